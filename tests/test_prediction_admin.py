"""Instructors read their students' prediction submissions in the admin; nobody edits them there; students cannot get in.

"Their students": the students of the classes they teach (tests/test_admin_scoping.py checks the
others stay out of sight).
"""

import pytest
from django.test import Client
from django.urls import reverse

from lessons.models import Classroom, Confidence, Enrollment, PredictionExercise, PredictionSubmission, RubricPoint
from lessons.services.prediction import prediction_mark, prediction_submit

CHANGELIST = reverse("admin:lessons_predictionsubmission_changelist")
ADD = reverse("admin:lessons_predictionsubmission_add")


@pytest.fixture
def classroom(instructor):
    classroom = Classroom.objects.create(name="Period 1")
    classroom.instructors.add(instructor)
    return classroom


def enrol(classroom, *students):
    Enrollment.objects.bulk_create(Enrollment(classroom=classroom, student=student) for student in students)


@pytest.fixture
def instructor_client(instructor, classroom):
    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def exercise(diffusion):
    return diffusion.predictions.get()


@pytest.fixture
def responses(exercise, student, other_student, classroom):
    """Two students' work: the student marked 2 of 3 with high confidence; the other never marked."""
    enrol(classroom, student, other_student)
    points = list(exercise.rubric_points.all())
    mine = prediction_submit(
        user=student, exercise=exercise, number=1, text="Slow because of many steps.", confidence=Confidence.HIGH
    )
    prediction_mark(user=student, exercise=exercise, number=1, points=points[:2])
    theirs = prediction_submit(
        user=other_student, exercise=exercise, number=1, text="Pictures vary a lot.", confidence=Confidence.LOW
    )
    return mine, theirs


def detail_url(submission):
    return reverse("admin:lessons_predictionsubmission_change", args=[submission.pk])


def test_instructor_reads_every_submission_of_their_students(instructor_client, responses, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    response = instructor_client.get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "student" in html and "other" in html
    assert diffusion.title in html and "Part B: predict three things you would notice." in html
    assert "2 of 3" in html and "not marked" in html
    assert "High" in html and "Low" in html
    assert "slow because many steps; varied because random starting static" in html
    assert "Slow because of many steps." in html
    assert "Add prediction submission" not in html


def test_filter_by_lesson_and_student_and_search_by_text_and_username(
    instructor_client, responses, diffusion, student, make_lesson
):
    mine, theirs = responses
    elsewhere = make_lesson("elsewhere")
    other_exercise = PredictionExercise.objects.create(
        lesson=elsewhere, position=1, title="Elsewhere exercise", prompt="?", model_answer="!"
    )
    prediction_submit(user=student, exercise=other_exercise, number=1, text="Elsewhere text.", confidence="medium")

    def listed(params):
        response = instructor_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}

    elsewhere_pk = PredictionSubmission.objects.get(exercise=other_exercise).pk
    assert listed({"exercise__lesson__id__exact": diffusion.pk}) == {mine.pk, theirs.pk}
    assert listed({"exercise__lesson__id__exact": elsewhere.pk}) == {elsewhere_pk}
    assert listed({"user__id__exact": student.pk}) == {mine.pk, elsewhere_pk}
    assert listed({"q": "vary a lot"}) == {theirs.pk}
    assert listed({"q": "other"}) == {theirs.pk}
    assert listed({"confidence__exact": "high"}) == {mine.pk}


def test_instructor_sees_the_full_text_and_ticked_points_but_cannot_change_anything(instructor_client, responses):
    mine, _ = responses
    response = instructor_client.get(detail_url(mine))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Slow because of many steps." in html
    assert "slow because many steps; varied because random starting static" in html
    assert "2 of 3" in html
    assert 'name="_save"' not in html  # read-only: no save button

    assert instructor_client.get(ADD).status_code == 403
    assert instructor_client.post(detail_url(mine), {"text": "Rewritten", "number": 1}).status_code == 403
    delete_url = reverse("admin:lessons_predictionsubmission_delete", args=[mine.pk])
    assert instructor_client.get(delete_url).status_code == 403
    assert instructor_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = instructor_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [mine.pk]})
    assert bulk.status_code in (200, 302)
    mine.refresh_from_db()
    assert mine.text == "Slow because of many steps."
    assert PredictionSubmission.objects.count() == 2


def test_students_cannot_reach_the_responses(student_client, responses):
    mine, _ = responses
    for url in (CHANGELIST, detail_url(mine)):
        response = student_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_member_without_the_view_permission_is_refused(make_user, responses):
    staff = make_user("staff-no-perm")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 403


def make_responses(make_lesson, make_user, *, students, points, classroom=None):
    lesson = make_lesson(f"admin-{students}")
    exercise = PredictionExercise.objects.create(lesson=lesson, position=1, title="P", prompt="?", model_answer="!")
    rubric = RubricPoint.objects.bulk_create(
        RubricPoint(exercise=exercise, position=p, text=f"point {p}") for p in range(1, points + 1)
    )
    for s in range(students):
        user = make_user(f"s{s}")
        if classroom:
            enrol(classroom, user)
        for number in (1, 2):
            prediction_submit(user=user, exercise=exercise, number=number, text=f"text {s}", confidence="low")
            prediction_mark(user=user, exercise=exercise, number=number, points=rubric[: s % (points + 1)])


@pytest.mark.parametrize("students, points", [(1, 2), (30, 6)])
def test_changelist_query_count_does_not_grow(
    instructor_client, classroom, make_lesson, make_user, students, points, django_assert_max_num_queries
):
    make_responses(make_lesson, make_user, students=students, points=points, classroom=classroom)
    with django_assert_max_num_queries(12):  # with the session
        response = instructor_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2 * students
