"""Class pages: join/leave/reset/expire, create/edit, the permission matrix, dashboard, item view, CSV, query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import ClassLesson, Classroom, Enrollment, Rating
from lessons.models.classes import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from tests.factory import (
    ago,
    card_state,
    make_class,
    ordering_attempt,
    ordering_reveal,
    prediction,
    reveal,
    review,
)

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def teacher_client(instructor):
    return client_for(instructor)


@pytest.fixture
def classroom(instructor, lesson):
    return make_class(instructor, [lesson])


def page(response):
    return response.content.decode()


# ---------------------------------------------------------------- join, leave, reset, expire


def test_join_code_alphabet_has_no_ambiguous_characters(classroom):
    assert len(classroom.join_code) == JOIN_CODE_LENGTH == 7
    assert set(classroom.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1lI") & set(JOIN_CODE_ALPHABET)


def test_student_joins_with_the_code_typed_loosely_and_twice_is_harmless(student_client, student, classroom):
    typed = f" {classroom.join_code[:3].lower()}-{classroom.join_code[3:].lower()} "
    response = student_client.post(reverse("class_join"), {"code": typed}, follow=True)
    assert f"You joined {classroom}." in page(response)
    response = student_client.post(reverse("class_join"), {"code": classroom.join_code}, follow=True)
    assert f"You are already in {classroom}." in page(response)
    assert Enrollment.objects.filter(classroom=classroom, student=student).count() == 1
    assert classroom.name in page(student_client.get(reverse("class_list")))


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        (None, "ABC", "A join code has 7 letters and digits"),
        (None, "2222222", "No class has this code"),
        ("disable", None, "Joining Biology 101 with a code is turned off"),
        ("expire", None, "The code for Biology 101 has expired"),
    ],
)
def test_join_refusals_are_clear_and_change_nothing(student_client, classroom, setup, code, message):
    if setup == "disable":
        classroom.join_enabled = False
        classroom.save()
    elif setup == "expire":
        classroom.join_expires_at = ago(minutes=1)
        classroom.save()
    if code == "2222222" and classroom.join_code == code:
        classroom.regenerate_join_code()
    response = student_client.post(reverse("class_join"), {"code": code or classroom.join_code})
    assert response.status_code == 200
    assert message in page(response)
    assert not Enrollment.objects.exists()


def test_join_link_asks_to_confirm_and_a_get_never_joins(student_client, student, classroom):
    response = student_client.get(classroom.get_join_url())
    assert response.status_code == 200
    assert f"Join {classroom}?" in page(response).replace("<strong>", "").replace("</strong>", "")
    assert f'value="{classroom.join_code}"' in page(response)
    assert not Enrollment.objects.exists()
    student_client.post(reverse("class_join"), {"code": classroom.join_code})
    assert "You are already in" in page(student_client.get(classroom.get_join_url()))


def test_join_link_with_a_dead_code_says_why(student_client, classroom):
    old = classroom.join_code
    classroom.regenerate_join_code()
    response = student_client.get(reverse("class_join_link", args=[old]))
    assert response.status_code == 404
    assert "No class has this code" in page(response)


def test_join_page_prefills_the_code_from_the_query(student_client):
    response = student_client.get(reverse("class_join") + "?code=ABCDEFG")
    assert 'value="ABCDEFG"' in page(response)


def test_join_link_tells_its_own_instructor_what_students_see(teacher_client, classroom):
    html = page(teacher_client.get(classroom.get_join_url()))
    assert "You teach <strong>Biology 101</strong>" in html and classroom.get_absolute_url() in html
    assert "Join Biology 101</button>" not in html


def test_instructor_cannot_join_their_own_class(teacher_client, classroom):
    response = teacher_client.post(reverse("class_join"), {"code": classroom.join_code})
    assert "instructors do not join their own class" in page(response)
    assert not Enrollment.objects.exists()


def test_reset_code_kills_the_old_code_and_keeps_students(teacher_client, student, other_student, classroom):
    Enrollment.objects.create(classroom=classroom, student=student)
    old = classroom.join_code
    response = teacher_client.post(reverse("class_code_reset", args=[classroom.pk]), follow=True)
    classroom.refresh_from_db()
    assert classroom.join_code != old
    assert f"New join code: {classroom.join_code}" in page(response)
    other = client_for(other_student)
    assert "No class has this code" in page(other.post(reverse("class_join"), {"code": old}))
    other.post(reverse("class_join"), {"code": classroom.join_code})
    assert set(classroom.enrollments.values_list("student__username", flat=True)) == {"student", "other"}


def test_leave_removes_the_enrollment_and_keeps_the_work(student_client, student, classroom, lesson):
    Enrollment.objects.create(classroom=classroom, student=student)
    reveal(student, lesson.questions.first())
    assert student_client.get(reverse("class_leave", args=[classroom.pk])).status_code == 405
    response = student_client.post(reverse("class_leave", args=[classroom.pk]), follow=True)
    assert f"You left {classroom}." in page(response)
    assert not Enrollment.objects.exists()
    assert student.self_check_attempts.count() == 1
    again = student_client.post(reverse("class_leave", args=[classroom.pk]), follow=True)  # a double click
    assert "You are not in that class." in page(again)
    forged = student_client.post(reverse("class_leave", args=[classroom.pk + 999]), follow=True)
    assert "You are not in that class." in page(forged)


# ---------------------------------------------------------------- create and edit


def form_data(lessons=(), **overrides):
    data = {"name": "Physics", "section": "B", "instructor_names": "teacher", "join_enabled": "on"}
    for lesson, expected in lessons:
        data[f"lesson_{lesson.pk}"] = "on"
        if expected:
            data[f"expected_{lesson.pk}"] = expected
    data.update(overrides)
    return data


def test_instructor_creates_a_class_with_lessons_dates_and_a_colleague(teacher_client, make_user, lesson):
    make_user("colleague", instructor=True)
    data = form_data([(lesson, "2030-05-01")], instructor_names="teacher, colleague", join_expires_on="2030-06-30")
    response = teacher_client.post(reverse("class_create"), data)
    classroom = Classroom.objects.get()
    assert response.status_code == 302 and response["Location"] == classroom.get_absolute_url()
    assert str(classroom) == "Physics (B)"
    assert sorted(classroom.instructors.values_list("username", flat=True)) == ["colleague", "teacher"]
    cl = ClassLesson.objects.get(classroom=classroom)
    assert (cl.lesson, str(cl.expected_by)) == (lesson, "2030-05-01")
    assert timezone.localtime(classroom.join_expires_at).date().isoformat() == "2030-07-01"
    assert classroom.join_open(now=timezone.make_aware(timezone.datetime(2030, 6, 30, 23, 59)))
    assert not classroom.join_open(now=timezone.make_aware(timezone.datetime(2030, 7, 1, 0, 0)))
    edit = page(teacher_client.get(reverse("class_edit", args=[classroom.pk])))
    assert 'value="2030-06-30"' in edit and 'value="2030-05-01"' in edit


def test_double_submitted_create_makes_one_class(teacher_client, lesson):
    data = form_data([(lesson, "")])
    first = teacher_client.post(reverse("class_create"), data)
    second = teacher_client.post(reverse("class_create"), data)
    classroom = Classroom.objects.get()
    assert first["Location"] == second["Location"] == classroom.get_absolute_url()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instructor_names": "teacher, nobody"}, "Not an instructor here: nobody."),
        ({"instructor_names": "teacher, student"}, "Not an instructor here: student."),
        ({"instructor_names": "colleague"}, "Keep your own username"),
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"join_expires_on": "not a date"}, "Enter a valid date."),
    ],
)
def test_bad_class_form_is_explained_and_stores_nothing(teacher_client, make_user, student, overrides, message):
    make_user("colleague", instructor=True)
    response = teacher_client.post(reverse("class_create"), form_data(**overrides))
    assert response.status_code == 200
    assert message in page(response)
    assert not Classroom.objects.exists()


def test_expected_date_without_assigning_is_refused(teacher_client, lesson):
    response = teacher_client.post(reverse("class_create"), form_data(**{f"expected_{lesson.pk}": "2030-01-01"}))
    assert "to assign it, or clear the date" in page(response)
    assert not Classroom.objects.exists()


def test_edit_changes_assignments_disables_the_code_and_keeps_work(teacher_client, student, classroom, make_lesson):
    other = make_lesson("other-lesson")
    lesson = classroom.lessons.get()
    reveal(student, lesson.questions.first())
    data = form_data([(other, "")], name="Biology 101")
    del data["join_enabled"]
    response = teacher_client.post(reverse("class_edit", args=[classroom.pk]), data)
    assert response.status_code == 302
    classroom.refresh_from_db()
    assert list(classroom.lessons.all()) == [other]
    assert classroom.join_status() == "disabled"
    assert student.self_check_attempts.count() == 1


# ---------------------------------------------------------------- permissions


def instructor_urls(classroom, lesson):
    return [
        ("get", reverse("class_dashboard", args=[classroom.pk])),
        ("get", reverse("class_edit", args=[classroom.pk])),
        ("post", reverse("class_edit", args=[classroom.pk])),
        ("get", reverse("class_lesson_items", args=[classroom.pk, lesson.pk])),
        ("get", reverse("class_export_wide", args=[classroom.pk])),
        ("get", reverse("class_export_long", args=[classroom.pk])),
        ("post", reverse("class_code_reset", args=[classroom.pk])),
    ]


def test_permission_matrix(make_user, student, classroom, lesson):
    """Own instructor 200/302; a student (even one in the class) 403; another instructor 404; anonymous to login."""
    Enrollment.objects.create(classroom=classroom, student=student)
    other_instructor = make_user("stranger", instructor=True)
    code = classroom.join_code
    owner, pupil, stranger, anonymous = (
        client_for(classroom.instructors.get()),
        client_for(student),
        client_for(other_instructor),
        Client(),
    )
    for method, url in instructor_urls(classroom, lesson):
        assert getattr(pupil, method)(url).status_code == 403, url
        assert getattr(stranger, method)(url).status_code == 404, url
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        if method == "get":
            assert owner.get(url).status_code == 200, url
    classroom.refresh_from_db()
    assert classroom.join_code == code, "nobody but the owner reset the code"
    assert pupil.get(reverse("class_create")).status_code == 403
    assert stranger.get(reverse("class_create")).status_code == 200


def test_staff_without_the_instructor_permission_is_refused(make_user):
    staff = make_user("helpdesk")
    staff.is_staff = True
    staff.save()
    assert client_for(staff).get(reverse("class_create")).status_code == 403


def test_instructor_item_view_404_for_a_lesson_not_assigned(teacher_client, classroom, make_lesson):
    other = make_lesson("unassigned")
    assert teacher_client.get(reverse("class_lesson_items", args=[classroom.pk, other.pk])).status_code == 404


def test_class_list_shows_each_user_only_their_own(teacher_client, make_user, student_client, student, classroom):
    make_class(make_user("stranger", instructor=True), name="Secret class")
    Enrollment.objects.create(classroom=classroom, student=student)
    teacher = page(teacher_client.get(reverse("class_list")))
    assert "Biology 101" in teacher and "Secret class" not in teacher and "Create a class" in teacher
    pupil = page(student_client.get(reverse("class_list")))
    assert "Biology 101" in pupil and "Secret class" not in pupil and "Create a class" not in pupil


def test_student_sees_the_lessons_of_their_class_with_dates_and_progress(
    student_client, student, instructor, diffusion, make_lesson
):
    hidden = make_lesson("draft", published=False)
    later = make_lesson("later")
    classroom = make_class(instructor, [diffusion, hidden, later], students=[student])
    yesterday = timezone.localdate() - timedelta(days=1)
    ClassLesson.objects.filter(lesson=diffusion).update(expected_by=yesterday)
    reveal(student, diffusion.questions.first())
    html = page(student_client.get(reverse("class_list")))
    section = html.split(f"<h3>{classroom}</h3>", 1)[1]
    assert f'href="{diffusion.get_absolute_url()}"' in section and f'href="{later.get_absolute_url()}"' in section
    assert hidden.title not in html  # unpublished: the student would only get a 404
    assert f"Expected by {yesterday:%-d %b %Y}" in section
    assert "In progress, 11%" in section and "Behind" in section and "Not started" in section


def test_student_class_list_takes_the_same_queries_at_two_sizes(student_client, student, make_user, make_lesson):
    counts = []
    for size, prefix in ((2, "small"), (10, "big")):
        for i in range(size):
            teacher = make_user(f"{prefix}-teacher-{i}", instructor=True)
            lessons = [make_lesson(f"{prefix}-{i}-{j}") for j in range(2)]
            make_class(teacher, lessons, name=f"{prefix} {i}", students=[student])
        counts.append(count_queries(student_client, reverse("class_list")))
    assert counts[0] == counts[1] <= 12, counts


# ---------------------------------------------------------------- the dashboard on a hand-built class


@pytest.fixture
def built(make_user, instructor, diffusion, make_lesson):
    """Four students on diffusion (expected yesterday) and a second lesson; see each line for what they did."""
    second = make_lesson("second", size=2)
    ann, bob, cat, dan = (make_user(name) for name in ("ann", "bob", "cat", "dan"))
    classroom = make_class(instructor, [diffusion, second], students=[ann, bob, cat, dan])
    ClassLesson.objects.filter(lesson=diffusion).update(expected_by=timezone.localdate() - timedelta(days=1))
    Enrollment.objects.filter(classroom=classroom).update(joined_at=ago(days=30))  # they joined a month ago
    q1, q2 = diffusion.questions.all()[:2]
    exercise = diffusion.ordering_exercises.get()
    pred = diffusion.predictions.get()
    p1, p2, p3 = pred.rubric_points.all()
    cards = list(diffusion.flashcards.all())

    # ann completed diffusion an hour ago: every question, the answer shown, a prediction, every card.
    for question in diffusion.questions.all():
        reveal(ann, question, at=ago(hours=3))
    ordering_reveal(ann, exercise, at=ago(hours=3))
    prediction(ann, pred, at=ago(hours=3))
    for card in cards:
        review(ann, card, Rating.GOOD, at=ago(hours=1))
    # bob: two questions (missed, got it), ordering wrong then right, confident with one rubric point.
    reveal(bob, q1, verdict="missed")
    reveal(bob, q2, verdict="got_it")
    ordering_attempt(bob, exercise, ["b", "c", "d", "f", "a", "e"])
    ordering_attempt(bob, exercise, ["b", "d", "c", "f", "a", "e"])
    prediction(bob, pred, confidence="high", named=[p1])
    review(bob, cards[0], Rating.AGAIN)
    review(bob, cards[1], Rating.GOOD)
    card_state(bob, cards[0], due=ago(days=2))
    card_state(bob, cards[1], due=timezone.now() + timedelta(hours=1))
    card_state(bob, cards[2], due=ago(hours=1))
    # cat: nothing. dan: ten days ago, one question (partly), a wrong order, a confident full prediction.
    reveal(dan, q1, verdict="partly", at=ago(days=10))
    ordering_attempt(dan, exercise, ["d", "b", "c", "f", "a", "e"], at=ago(days=10))
    prediction(dan, pred, confidence="high", named=[p1, p2, p3], at=ago(days=10))
    review(dan, cards[0], Rating.AGAIN, at=ago(days=10))
    review(dan, cards[0], Rating.AGAIN, at=ago(days=10))
    return classroom


def grid_rows(html):
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [" ".join(row.split()) for row in body.split("<tr>")[1:]]


def test_dashboard_numbers_on_a_hand_built_class(teacher_client, built):
    html = page(teacher_client.get(built.get_absolute_url()))
    ann, bob, cat, dan = grid_rows(html)
    assert "ann" in ann and "1/2 completed" in ann and "Completed" in ann and "Behind" not in ann
    assert "0 due" in ann and "Never" not in ann
    assert "bob" in bob and "In progress" in bob and "44%" in bob and "0/2 completed" in bob
    assert "2 due, 1 overdue" in bob
    assert "Behind on 1" in bob and "Inactive" not in bob
    assert "cat" in cat and "Never" in cat and "No activity yet" in cat and "Not started" in cat
    assert cat.count("Behind") == 2  # the flag and the cell
    assert "dan" in dan and "22%" in dan and "Inactive 7+ days" in dan
    footer = " ".join(html.split("<tfoot>")[1].split("</tfoot>")[0].split())
    assert "1 of 4 (25%)" in footer and "0 of 4 (0%)" in footer
    assert "Only students who need attention (3)" in html


def test_dashboard_sorts_and_filters_without_javascript(teacher_client, built):
    url = built.get_absolute_url()

    def first_words(query):
        rows = grid_rows(page(teacher_client.get(url + query)))
        return [row.split('class="student-name">')[1].split("<")[0] for row in rows]

    assert first_words("") == ["ann", "bob", "cat", "dan"]
    assert first_words("?sort=-name") == ["dan", "cat", "bob", "ann"]
    assert first_words("?sort=progress") == ["cat", "dan", "bob", "ann"]
    assert first_words("?sort=-progress") == ["ann", "bob", "dan", "cat"]
    assert first_words("?sort=last_active") == ["cat", "dan", "ann", "bob"]
    assert first_words("?attention=1") == ["bob", "cat", "dan"]
    assert first_words("?sort=nonsense") == ["ann", "bob", "cat", "dan"]
    html = page(teacher_client.get(url + "?sort=progress"))
    assert 'aria-sort="ascending"' in html and f"{url}?sort=-progress" in html


def test_dashboard_htmx_gets_only_the_grid(teacher_client, built, htmx_headers):
    response = teacher_client.get(built.get_absolute_url() + "?attention=1", headers=htmx_headers)
    html = page(response)
    assert html.lstrip().startswith('<div id="grid">')
    assert "<h1>" not in html and "Showing 3 of 4 students who need attention" in html


def test_item_view_numbers_on_a_hand_built_class(teacher_client, built, diffusion):
    html = " ".join(page(teacher_client.get(reverse("class_lesson_items", args=[built.pk, diffusion.pk]))).split())
    questions = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert "50% <small>(1 of 2)</small>" in questions[0]  # bob missed, dan partly, ann did not judge
    assert "0% <small>(0 of 1)</small>" in questions[1]
    assert "No verdicts yet" in questions[2]
    headings = html.split("<thead>")[1].split("</thead>")[0]
    assert headings.index(">Question<") < headings.index(">Missed<") < headings.index(">Revealed<")
    assert "Correct on the first try: <strong>0%</strong> (0 of 2)" in html
    assert "Average tries per student: <strong>1.5</strong>" in html and "1 solved it" in html
    # Each stage named by its label and its own words (issue 17), not only "c before d".
    assert (
        "<strong>50%</strong> put (c) <q>Start generation from a fresh screen of pure random static.</q>"
        " before (d) <q>Train a network to undo one noising step, using the clean versions we kept as answers.</q>"
        " <small>(1 of 2)</small>" in html
    )
    assert "<strong>50%</strong> put (d) <q>Train a network" in html and "before (b) <q>Take real images" in html
    assert "slow because many steps</th><td>67% <small>(2 of 3)</small>" in html
    assert "varied because random starting static</th><td>33% <small>(1 of 3)</small>" in html
    confident = html.split("<h3>Confidently wrong</h3>")[1].split("</ul>")[0]
    assert "bob <small>(named 1 of 3)</small>" in confident and "dan" not in confident
    cards = html.split('id="cards-heading"')[1]
    assert "Again 3 times in 4 reviews by 3 students" in cards


def test_item_view_ignores_students_outside_the_class(teacher_client, built, diffusion, make_user):
    outsider = make_user("outsider")
    reveal(outsider, diffusion.questions.all()[2], verdict="missed")
    ordering_attempt(outsider, diffusion.ordering_exercises.get(), ["e", "a", "f", "c", "d", "b"])
    html = page(teacher_client.get(reverse("class_lesson_items", args=[built.pk, diffusion.pk])))
    assert "(0 of 2)" in html and "outsider" not in html
    assert "put (e)" not in html


# ---------------------------------------------------------------- CSV


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_wide_csv_has_a_row_per_student_and_three_columns_per_lesson(teacher_client, built, diffusion):
    rows = read_csv(teacher_client.get(reverse("class_export_wide", args=[built.pk])))
    assert list(rows[0]) == [
        "student_id",
        "username",
        "name",
        "diffusion:state",
        "diffusion:percent",
        "diffusion:completed_at",
        "second:state",
        "second:percent",
        "second:completed_at",
    ]
    by_name = {row["username"]: row for row in rows}
    assert [row["username"] for row in rows] == ["ann", "bob", "cat", "dan"]
    assert by_name["ann"]["diffusion:state"] == "completed" and by_name["ann"]["diffusion:percent"] == "100"
    assert by_name["ann"]["diffusion:completed_at"].endswith("Z")
    assert (by_name["bob"]["diffusion:state"], by_name["bob"]["diffusion:percent"]) == ("in_progress", "44")
    assert (by_name["cat"]["diffusion:state"], by_name["cat"]["diffusion:completed_at"]) == ("not_started", "")
    assert by_name["bob"]["student_id"] == str(built.enrollments.get(student__username="bob").student_id)
    assert by_name["bob"]["name"] == ""  # bob gave no name; the next test names someone


def test_wide_csv_carries_the_display_name_made_safe_for_spreadsheets(teacher_client, built):
    User.objects.filter(username="bob").update(first_name="Bob Byrne")
    User.objects.filter(username="cat").update(first_name="=Cat")
    by_name = {
        row["username"]: row for row in read_csv(teacher_client.get(reverse("class_export_wide", args=[built.pk])))
    }
    assert by_name["bob"]["name"] == "Bob Byrne" and by_name["cat"]["name"] == "'=Cat"


def test_long_csv_carries_the_display_name_next_to_the_username_made_safe(teacher_client, built):
    User.objects.filter(username="bob").update(first_name="Bob Byrne")
    User.objects.filter(username="dan").update(first_name="-Dan")
    rows = read_csv(teacher_client.get(reverse("class_export_long", args=[built.pk])))
    assert list(rows[0])[:4] == ["occurred_at", "student_id", "username", "name"]
    names = {(row["username"], row["name"]) for row in rows}
    assert names == {("ann", ""), ("bob", "Bob Byrne"), ("dan", "'-Dan")}


def test_long_csv_has_a_row_per_event_in_time_order(teacher_client, built):
    rows = read_csv(teacher_client.get(reverse("class_export_long", args=[built.pk])))
    events = [(row["username"], row["activity"], row["event"]) for row in rows]
    # ann: 6 reveals, 1 answer shown, 1 prediction, 10 reviews. bob: 2 reveals + 2 verdicts, 2 attempts,
    # 1 prediction, 2 reviews. dan: reveal + verdict, attempt, prediction, 2 reviews.
    assert len(rows) == 18 + 9 + 6
    assert events.count(("bob", "self_check", "verdict")) == 2
    assert [row["occurred_at"] for row in rows] == sorted(row["occurred_at"] for row in rows)
    bob_attempts = [row for row in rows if row["username"] == "bob" and row["event"] == "attempt"]
    assert [(r["attempt"], r["value"], r["correct"]) for r in bob_attempts] == [
        ("1", "b c d f a e", "false"),
        ("2", "b d c f a e", "true"),
    ]
    assert {row["value"] for row in rows if row["username"] == "dan" and row["activity"] == "flashcard"} == {"again"}
    dan_prediction = next(r for r in rows if r["username"] == "dan" and r["activity"] == "prediction")
    assert (dan_prediction["value"], dan_prediction["score"]) == ("high", "3")


def test_csv_is_utf8_and_defuses_spreadsheet_formulas(teacher_client, make_user, classroom, lesson):
    for name in ("zoë", "=cmd"):
        user = make_user(name)
        Enrollment.objects.create(classroom=classroom, student=user)
        reveal(user, lesson.questions.first())
    wide = read_csv(teacher_client.get(reverse("class_export_wide", args=[classroom.pk])))
    assert [row["username"] for row in wide] == ["'=cmd", "zoë"]
    long = read_csv(teacher_client.get(reverse("class_export_long", args=[classroom.pk])))
    assert sorted(row["username"] for row in long) == ["'=cmd", "zoë"]


# ---------------------------------------------------------------- query counts at two class sizes


def populate(instructor, lesson, size, prefix):
    from django.contrib.auth.models import User

    students = [User.objects.create_user(f"{prefix}{i}") for i in range(size)]
    classroom = make_class(instructor, [lesson], name=f"Class {prefix}", students=students)
    exercise = lesson.ordering_exercises.get()
    pred = lesson.predictions.get()
    card = lesson.flashcards.first()
    for i, student in enumerate(students):
        reveal(student, lesson.questions.first(), verdict="missed" if i % 2 else "got_it")
        ordering_attempt(student, exercise, ["b", "c", "d", "f", "a", "e"])
        prediction(student, pred, confidence="high", named=list(pred.rubric_points.all()[: i % 3]))
        review(student, card, Rating.AGAIN)
        card_state(student, card, due=ago(days=2))
    return classroom


def count_queries(client, url):
    client.get(url)  # warm: the session, and any completion recorded lazily
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("view", ["class_dashboard", "class_lesson_items", "class_export_wide", "class_export_long"])
def test_class_pages_take_the_same_queries_for_5_and_50_students(teacher_client, instructor, lesson, view):
    counts = []
    for size, prefix in ((5, "small"), (50, "big")):
        classroom = populate(instructor, lesson, size, prefix)
        args = [classroom.pk, lesson.pk] if view == "class_lesson_items" else [classroom.pk]
        counts.append(count_queries(teacher_client, reverse(view, args=args)))
    assert counts[0] == counts[1], counts
    assert counts[0] <= CLASS_PAGE_BUDGETS[view], counts


# The grid and the wide CSV read the kept progress rows (lesson totals + rows, + cards due on the grid)
# instead of seven aggregates over the raw records; the grid sums every student's rows and each lesson's
# completions in two aggregates, and reads rows and cards due for the students shown only; the item view and the long CSV read the records.
# The long CSV reads the students' display names once (issue 17): one query more than its six event reads.
CLASS_PAGE_BUDGETS = {"class_dashboard": 12, "class_lesson_items": 21, "class_export_wide": 9, "class_export_long": 12}


def test_admin_shows_an_instructor_only_their_classes(teacher_client, make_user, classroom):
    make_class(make_user("stranger", instructor=True), name="Secret class")
    html = page(teacher_client.get(reverse("admin:lessons_classroom_changelist")))
    assert "Biology 101" in html and "Secret class" not in html
    other = Classroom.objects.get(name="Secret class")
    assert teacher_client.get(reverse("admin:lessons_classroom_change", args=[other.pk])).status_code == 302


@pytest.mark.parametrize("view", ["class_list", "class_edit"])
def test_list_and_edit_pages_take_the_same_queries_at_two_sizes(teacher_client, instructor, make_lesson, view):
    counts = []
    for size, prefix in ((2, "small"), (12, "big")):
        lessons = [make_lesson(f"{prefix}-{i}") for i in range(size)]
        classrooms = [make_class(instructor, lessons, name=f"{prefix} {i}") for i in range(size)]
        args = [classrooms[0].pk] if view == "class_edit" else []
        counts.append(count_queries(teacher_client, reverse(view, args=args)))
    assert counts[0] == counts[1] <= 12, counts


def test_admin_class_page_takes_the_same_queries_at_two_sizes(teacher_client, instructor, make_user, make_lesson):
    counts = []
    for size, prefix in ((3, "small"), (20, "big")):
        lessons = [make_lesson(f"{prefix}-{i}") for i in range(size)]
        students = [make_user(f"{prefix}-student-{i}") for i in range(size)]
        classroom = make_class(instructor, lessons, name=prefix, students=students)
        url = reverse("admin:lessons_classroom_change", args=[classroom.pk])
        counts.append(count_queries(teacher_client, url))
        html = page(teacher_client.get(url))
        assert f"{prefix}-student-{size - 1}" in html and f"{prefix}-{size - 1}" in html
    assert counts[0] == counts[1], counts


def test_admin_class_page_saves_a_date_and_removes_a_student(teacher_client, instructor, student, lesson):
    from tests.test_authoring_admin import form_data, prefix_of

    classroom = make_class(instructor, [lesson], students=[student])
    url = reverse("admin:lessons_classroom_change", args=[classroom.pk])
    response = teacher_client.get(url)
    data = form_data(response)
    data[f"{prefix_of(response, ClassLesson)}-0-expected_by"] = "2030-05-01"
    data[f"{prefix_of(response, Enrollment)}-0-DELETE"] = "on"
    saved = teacher_client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert str(ClassLesson.objects.get(classroom=classroom).expected_by) == "2030-05-01"
    assert not Enrollment.objects.filter(classroom=classroom).exists()
    assert "Add another" not in page(teacher_client.get(url)).split("Students (they join")[-1]


def test_a_student_who_just_joined_is_not_flagged_inactive(teacher_client, instructor, make_user, lesson):
    newcomer = make_user("newcomer")
    classroom = make_class(instructor, [lesson], students=[newcomer])
    row = grid_rows(page(teacher_client.get(classroom.get_absolute_url())))[0]
    assert "newcomer" in row and "Not started" in row and "No activity yet" not in row
    Enrollment.objects.filter(classroom=classroom).update(joined_at=ago(days=8))
    row = grid_rows(page(teacher_client.get(classroom.get_absolute_url())))[0]
    assert "No activity yet" in row
