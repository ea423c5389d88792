"""A large class's dashboard: its grid in sections of ``PAGE_SIZE`` students, with plain page links.

Every student counts toward the attention badge and the column shares whatever the page shown;
the links keep the sort and the filter; the page costs the same number of queries for a class
of 30 as of 230 (and the cells are built only for the page's students).
"""

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import ClassLesson, Enrollment, StudentProgress
from lessons.selectors.class_dashboard import PAGE_SIZE, class_dashboard
from tests.factory import make_class, make_lesson, reveal

pytestmark = pytest.mark.django_db

# session, user, its permissions (2), class, lessons, the roster (students with their names), the students'
# summaries with the lessons' completions (one statement over the kept rows), lesson totals, the kept rows and the
# cards due of the students shown
DASHBOARD_BUDGET = 11


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


def active_class(instructor, students):
    """A class of ``students`` on three lessons, every seventh of them with a question revealed (those students)."""
    classroom, lessons, users = big_class(instructor, students, lessons=3)
    for user in users[::7]:
        reveal(user, lessons[1].questions.get())
    return classroom, users[::7]


@pytest.mark.parametrize("students", [30, 230])
def test_dashboard_query_count_does_not_grow_with_the_class(
    instructor, teacher, django_assert_max_num_queries, students
):
    classroom, _ = active_class(instructor, students)
    with django_assert_max_num_queries(DASHBOARD_BUDGET):
        response = teacher.get(reverse("class_dashboard", args=[classroom.pk]) + "?page=1")
    assert response.status_code == 200 and len(rows_of(response.content.decode())) == min(students, PAGE_SIZE)


def test_every_students_summary_is_what_their_cells_add_up_to(instructor):
    """The sort, the attention count and the column shares come from two aggregates over the kept rows; each
    must equal what the student's cells (built from the same rows in Python) add up to."""
    rng = random.Random(16)
    lessons = [make_lesson(questions=1, cards=0, ordering=False, prediction=False) for _ in range(4)]
    classroom = make_class(instructor, lessons)
    now = timezone.now()
    late = ClassLesson.objects.filter(classroom=classroom, lesson__in=lessons[:2])
    late.update(expected_by=timezone.localdate(now) - timedelta(days=1))
    users = User.objects.bulk_create(User(username=f"pupil{n:03d}") for n in range(40))
    Enrollment.objects.bulk_create(Enrollment(classroom=classroom, student=user) for user in users)
    rows = []
    for user in users:
        for lesson in lessons:
            if rng.random() < 0.3:
                continue  # no row: not started
            total = rng.randint(0, 7)
            last_active = now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 999))
            completed_at = last_active if rng.random() < 0.3 else None
            rows.append(
                StudentProgress(
                    user=user,
                    lesson=lesson,
                    total=total,
                    done=rng.randint(0, total),
                    started=True,
                    last_active=last_active,
                    completed_at=completed_at,
                )
            )
    StudentProgress.objects.bulk_create(rows)

    board = class_dashboard(classroom, now=now)  # without a page: every row has its cells
    assert len(board.rows) == 40
    for row in board.rows:
        assert row.completed == sum(p.completed for p in row.progress)
        assert row.average_percent == sum(100 if p.completed else p.percent for p in row.progress) // 4
        assert row.behind_count == len(row.behind) == sum(not p.completed for p in row.progress[:2])
        assert row.last_active == max((p.last_active for p in row.progress if p.last_active), default=None)
    for i, column in enumerate(board.columns):
        assert column.completed == sum(row.progress[i].completed for row in board.rows)
    assert board.attention_count == sum(1 for row in board.rows if row.behind or row.inactive)
    assert 0 < board.attention_count < 40

    by_progress = class_dashboard(classroom, now=now, sort="progress", descending=True, page=1)
    expected = sorted(board.rows, key=lambda row: (row.completed, row.average_percent), reverse=True)
    assert [(r.completed, r.average_percent) for r in by_progress.rows] == [
        (r.completed, r.average_percent) for r in expected
    ]


def test_a_students_name_is_escaped_in_the_grid(instructor, teacher):
    """The rows are built in Python, not the template: a name is still text, never markup."""
    classroom, _, users = big_class(instructor, 2)
    users[0].first_name, users[0].last_name = "<script>alert(1)</script>", "O'Brien & Co"
    users[0].save()
    html = teacher.get(reverse("class_dashboard", args=[classroom.pk])).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Brien &amp; Co</a>" in html
    assert '<small class="student-username">pupil0000</small>' in html


# session, user, its permissions (2), class; the assigned lessons, the roster, the lesson totals, the kept rows.
WIDE_CSV_BUDGET = 9


@pytest.mark.parametrize("students", [30, 230])
def test_the_wide_csv_costs_the_same_queries_for_any_class(
    instructor, teacher, django_assert_max_num_queries, students
):
    classroom, active = active_class(instructor, students)
    with django_assert_max_num_queries(WIDE_CSV_BUDGET):
        response = teacher.get(reverse("class_export_wide", args=[classroom.pk]))
        body = b"".join(response.streaming_content) if response.streaming else response.content
    lines = body.decode().splitlines()
    assert len(lines) == students + 1
    assert sum(",completed," in line or ",in_progress," in line for line in lines) == len(active)
