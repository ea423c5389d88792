"""A large class's dashboard: its grid in sections of ``PAGE_SIZE`` students, with plain page links.

Every student counts toward the attention badge and the column shares whatever the page shown;
the links keep the sort and the filter; the page costs the same number of queries for a class
of 30 as of 230 (and the cells are built only for the page's students).
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from lessons.models import Enrollment
from lessons.selectors.class_dashboard import PAGE_SIZE
from tests.factory import make_class, make_lesson, reveal

pytestmark = pytest.mark.django_db

DASHBOARD_BUDGET = 10  # session, user, its permissions (2), class, lessons, enrollments + users, lesson totals, kept progress rows, cards due


def big_class(instructor, students, *, lessons=2):
    made = [make_lesson(questions=1, cards=0, ordering=False, prediction=False) for _ in range(lessons)]
    classroom = make_class(instructor, made)
    users = User.objects.bulk_create(User(username=f"pupil{n:04d}") for n in range(students))
    Enrollment.objects.bulk_create(Enrollment(classroom=classroom, student=user) for user in users)
    return classroom, made, users


def rows_of(html):
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [row.split('class="student-name">')[1].split("<")[0] for row in body.split("<tr>")[1:]]


@pytest.fixture
def teacher(instructor):
    client = Client()
    client.force_login(instructor)
    return client


def test_a_large_class_pages_its_grid_and_keeps_the_whole_class_in_its_numbers(instructor, teacher):
    classroom, lessons, users = big_class(instructor, 2 * PAGE_SIZE + 30)
    reveal(users[-1], lessons[0].questions.get())  # the last student by name is on the last page
    url = reverse("class_dashboard", args=[classroom.pk])

    html = teacher.get(url).content.decode()
    assert rows_of(html) == [f"pupil{n:04d}" for n in range(PAGE_SIZE)]
    assert f"Showing students 1–{PAGE_SIZE} of {2 * PAGE_SIZE + 30} (page 1 of 3" in " ".join(html.split())
    assert f'href="{url}?sort=name&amp;page=2"' in html and 'aria-current="page">1<' in html
    assert "1 of 230 (0%)" in html  # the footer counts the student who completed it, though on page 3

    last = teacher.get(url + "?page=3").content.decode()
    assert rows_of(last) == [f"pupil{n:04d}" for n in range(2 * PAGE_SIZE, 2 * PAGE_SIZE + 30)]
    assert "Completed" in last.split("<tbody>")[1].split("</tbody>")[0] and 'aria-current="page">3<' in last

    descending = teacher.get(url + "?sort=-name&page=2").content.decode()
    assert rows_of(descending)[0] == f"pupil{2 * PAGE_SIZE + 30 - PAGE_SIZE - 1:04d}"
    assert f'href="{url}?sort=-name&amp;page=3"' in descending  # the links keep the sort


@pytest.mark.parametrize("page", ["0", "-1", "abc", "9999", "1e3"])
def test_a_bad_page_number_shows_a_real_page(instructor, teacher, page):
    classroom, _, _ = big_class(instructor, PAGE_SIZE + 5)
    response = teacher.get(reverse("class_dashboard", args=[classroom.pk]) + f"?page={page}")
    assert response.status_code == 200
    assert len(rows_of(response.content.decode())) in (PAGE_SIZE, 5)


def test_a_small_class_has_no_page_links(instructor, teacher):
    classroom, _, _ = big_class(instructor, 3)
    html = teacher.get(reverse("class_dashboard", args=[classroom.pk])).content.decode()
    assert "Sections of the class" not in html and "Showing 3 of 3 students" in html


@pytest.mark.parametrize("students", [30, 230])
def test_dashboard_query_count_does_not_grow_with_the_class(
    instructor, teacher, django_assert_max_num_queries, students
):
    classroom, lessons, users = big_class(instructor, students, lessons=3)
    for user in users[::7]:
        reveal(user, lessons[1].questions.get())
    with django_assert_max_num_queries(DASHBOARD_BUDGET):
        response = teacher.get(reverse("class_dashboard", args=[classroom.pk]) + "?page=1")
    assert response.status_code == 200 and len(rows_of(response.content.decode())) == min(students, PAGE_SIZE)
