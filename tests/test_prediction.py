"""The prediction exercise: write, "Show a model answer", mark against the rubric, revise; bad input changes nothing."""

import threading

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import (
    Confidence,
    PredictionDraft,
    PredictionExercise,
    PredictionSubmission,
    RubricPoint,
)
from lessons.services.prediction import prediction_mark, prediction_submit
from tests import budgets
from tests.threads import run_together

MODEL_ANSWER_SNIPPET = "It is slow, taking noticeable seconds per image"
RUBRIC_NOTE_SNIPPET = "you have the lesson"


@pytest.fixture
def exercise(diffusion):
    return diffusion.predictions.get()


@pytest.fixture
def points(exercise):
    return list(exercise.rubric_points.all())


def submit_url(exercise):
    return reverse("prediction_submit", args=[exercise.pk])


def draft_url(exercise):
    return reverse("prediction_draft", args=[exercise.pk])


def mark_url(exercise):
    return reverse("prediction_mark", args=[exercise.pk])


def page(client, lesson):
    return client.get(lesson.get_absolute_url())


def submit(client, exercise, text="Slow, because many steps.", *, number=1, confidence="medium", **headers):
    data = {"text": text, "number": number}
    if confidence is not None:
        data["confidence"] = confidence
    return client.post(submit_url(exercise), data, headers=headers)


def submissions(user, exercise):
    return list(PredictionSubmission.objects.filter(user=user, exercise=exercise).order_by("number"))


# ---------------------------------------------------------------- before submitting


def test_page_shows_prompt_and_form_but_not_the_model_answer(student_client, diffusion, exercise):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    response = page(student_client, diffusion)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Part B: predict three things you would notice." in html
    assert "predict three things you would observe" in html
    assert 'name="text"' in html and 'maxlength="3000"' in html
    assert "Up to 3000 characters." in html  # the limit is stated without JavaScript
    assert "Show a model answer" in html
    assert "How confident are you in this prediction?" in html
    assert MODEL_ANSWER_SNIPPET not in html
    assert RUBRIC_NOTE_SNIPPET not in html


# ---------------------------------------------------------------- submitting


def test_plain_submit_stores_and_redirects_to_the_page_with_the_answer(student_client, student, diffusion, exercise):
    response = submit(student_client, exercise, "It will be slow\r\nand varied.", confidence="high")
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/diffusion/#prediction-{exercise.pk}"

    (stored,) = submissions(student, exercise)
    assert (stored.number, stored.text, stored.confidence) == (1, "It will be slow\nand varied.", Confidence.HIGH)
    assert stored.marked_at is None and not stored.named_points.exists()
    assert PredictionDraft.objects.get(user=student, exercise=exercise).text == "It will be slow\nand varied."

    html = page(student_client, diffusion).content.decode()
    assert "It will be slow<br>and varied." in html
    assert MODEL_ANSWER_SNIPPET in html
    assert "you said your confidence was <strong>high</strong>" in html
    assert html.count('name="points"') == 3
    assert "Save my marking" in html
    assert "Revise and resubmit" in html
    assert RUBRIC_NOTE_SNIPPET not in html  # the note comes with the marking


def test_htmx_submit_returns_the_fragment(student_client, student, exercise, htmx_headers):
    response = submit(student_client, exercise, "Varied pictures.", **htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith(f'<article class="prediction" id="prediction-{exercise.pk}"')
    assert MODEL_ANSWER_SNIPPET in html and "Varied pictures." in html
    assert "data-focus-after-swap" in html
    assert len(submissions(student, exercise)) == 1


@pytest.mark.parametrize("text", ["", "   \r\n  "])
@pytest.mark.parametrize("use_htmx", [False, True])
def test_empty_prediction_gets_a_message_and_stores_nothing(student_client, student, exercise, text, use_htmx):
    headers = {"HX-Request": "true"} if use_htmx else {}
    response = submit(student_client, exercise, text, **headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write your prediction first" in html
    assert MODEL_ANSWER_SNIPPET not in html
    assert ("<html" in html) is not use_htmx  # the whole page without htmx, the fragment with it
    assert submissions(student, exercise) == []
    assert not PredictionDraft.objects.exists()


def test_missing_confidence_gets_a_message_keeps_the_text_and_stores_nothing(student_client, student, exercise):
    response = submit(student_client, exercise, "Slow and varied.", confidence=None, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Say how confident you are" in html
    assert ">Slow and varied.</textarea>" in html  # what they wrote is sent back to fix
    assert submissions(student, exercise) == []


def test_forged_confidence_is_refused(student_client, student, exercise):
    response = submit(student_client, exercise, "Slow.", confidence="certain")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert submissions(student, exercise) == []


def test_oversized_prediction_gets_a_message_and_stores_nothing(student_client, student, exercise):
    response = submit(student_client, exercise, "x" * 3001)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your prediction is too long: keep it to 3000 characters (it has 3001)." in html
    assert submissions(student, exercise) == []
    assert not PredictionDraft.objects.exists()


def test_a_line_break_counts_as_one_character_like_the_browser(student_client, student, exercise):
    # The browser's maxlength counts a line break as one, but the form sends CRLF.
    text = "a" * 2998 + "\r\n" + "b"
    response = submit(student_client, exercise, text)
    assert response.status_code == 302
    assert submissions(student, exercise)[0].text == "a" * 2998 + "\nb"


def test_double_submit_makes_one_record(student_client, student, exercise, htmx_headers):
    first = submit(student_client, exercise, "Slow.", **htmx_headers)
    second = submit(student_client, exercise, "Slow.", **htmx_headers)
    assert first.status_code == second.status_code == 200
    assert MODEL_ANSWER_SNIPPET in second.content.decode()
    assert [s.number for s in submissions(student, exercise)] == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_racing_submit_with_the_same_number_is_settled_by_the_unique_constraint(student, diffusion, exercise):
    """Another request inserts number 1 after we read the latest number: we return its record, not a second one.

    Postgres only: the second insert must block on the first one's uncommitted row in the unique index.
    """
    inserted, raced = threading.Event(), threading.Event()
    results = {}

    def other_request():
        with transaction.atomic():
            PredictionSubmission.objects.create(
                user=student, exercise=exercise, number=1, text="first", created_at=timezone.now()
            )
            inserted.set()
            raced.wait(timeout=10)  # hold the row uncommitted while the second request tries to insert

    def this_request():
        inserted.wait(timeout=10)
        timer = threading.Timer(0.5, raced.set)  # let the insert block on the unique index first
        timer.start()
        results["submission"] = prediction_submit(
            user=student, exercise=exercise, number=1, text="second", confidence=Confidence.LOW
        )

    run_together(other_request, this_request, timeout=20)

    assert results["submission"].text == "first"
    assert [(s.number, s.text) for s in submissions(student, exercise)] == [(1, "first")]


def test_a_number_beyond_the_next_is_refused(student_client, student, exercise):
    response = submit(student_client, exercise, "Slow.", number=5)
    assert response.status_code == 409
    assert "out of date" in response.content.decode()
    assert submissions(student, exercise) == []
    assert not PredictionDraft.objects.exists()


@pytest.mark.parametrize("number", ["", "0", "two"])
def test_a_missing_or_forged_number_is_refused(student_client, student, exercise, number):
    response = submit(student_client, exercise, "Slow.", number=number)
    assert response.status_code == 400
    assert submissions(student, exercise) == []


def test_revise_and_resubmit_keeps_every_submission_and_shows_the_latest(student_client, student, diffusion, exercise):
    submit(student_client, exercise, "First guess: slow.", confidence="low")
    response = submit(student_client, exercise, "Second guess: slow and varied.", number=2, confidence="high")
    assert response.status_code == 302
    stored = submissions(student, exercise)
    assert [(s.number, s.text, s.confidence) for s in stored] == [
        (1, "First guess: slow.", "low"),
        (2, "Second guess: slow and varied.", "high"),
    ]
    html = page(student_client, diffusion).content.decode()
    assert "Your prediction (submission 2)" in html
    assert html.index("Second guess: slow and varied.") < html.index("Earlier submissions (1)")
    assert html.index("Earlier submissions (1)") < html.index("First guess: slow.")
    assert 'name="number" value="3"' in html  # the next submission's number


# ---------------------------------------------------------------- marking


def test_marking_stores_the_ticks_and_shows_coverage_and_the_note(student_client, student, diffusion, exercise, points):
    submit(student_client, exercise)
    response = student_client.post(
        mark_url(exercise), {"number": 1, "points": [points[0].pk, points[2].pk]}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "named <strong>2 of 3</strong> points" in html
    assert RUBRIC_NOTE_SNIPPET in html

    (stored,) = submissions(student, exercise)
    assert set(stored.named_points.all()) == {points[0], points[2]}
    assert stored.marked_at is not None

    html = page(student_client, diffusion).content.decode()
    assert html.count("checked") == 2
    assert f'value="{points[0].pk}" checked' in html and f'value="{points[2].pk}" checked' in html
    assert "named <strong>2 of 3</strong> points" in html


def test_marking_again_replaces_the_ticks(student_client, student, exercise, points):
    submit(student_client, exercise)
    student_client.post(mark_url(exercise), {"number": 1, "points": [p.pk for p in points]})
    response = student_client.post(mark_url(exercise), {"number": 1, "points": [points[1].pk]})
    assert response.status_code == 302
    assert list(submissions(student, exercise)[0].named_points.all()) == [points[1]]


def test_marking_nothing_is_zero_of_three(student_client, student, exercise):
    submit(student_client, exercise)
    response = student_client.post(mark_url(exercise), {"number": 1}, headers={"HX-Request": "true"})
    assert "named <strong>0 of 3</strong> points" in response.content.decode()
    assert submissions(student, exercise)[0].marked_at is not None


def test_ticks_belong_to_a_submission(student_client, student, diffusion, exercise, points):
    submit(student_client, exercise)
    student_client.post(mark_url(exercise), {"number": 1, "points": [points[0].pk, points[1].pk]})
    submit(student_client, exercise, "Revised.", number=2)
    first, second = submissions(student, exercise)
    assert first.named_points.count() == 2 and second.named_points.count() == 0
    html = page(student_client, diffusion).content.decode()
    assert 'name="points" value' in html and " checked" not in html.split("Save my marking")[0].split("Model answer")[1]
    assert "Named 2 of 3 points." in html  # the earlier submission keeps its marking


@pytest.fixture
def other_exercise(diffusion):
    other = PredictionExercise.objects.create(
        lesson=diffusion, position=2, title="Part C", prompt="Predict more.", model_answer="More."
    )
    return RubricPoint.objects.create(exercise=other, position=1, text="another point")


@pytest.mark.parametrize("forged", ["other-exercise", "missing", "not-a-number"])
def test_rubric_ids_of_another_exercise_or_forged_are_refused(
    student_client, student, exercise, points, other_exercise, forged
):
    submit(student_client, exercise)
    bad = {"other-exercise": other_exercise.pk, "missing": 999_999, "not-a-number": "abc"}[forged]
    response = student_client.post(
        mark_url(exercise), {"number": 1, "points": [points[0].pk, bad]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "Tick only the points listed for this exercise." in response.content.decode()
    (stored,) = submissions(student, exercise)
    assert stored.marked_at is None and not stored.named_points.exists()


def test_the_service_refuses_points_of_another_exercise(student, exercise, other_exercise):
    prediction_submit(user=student, exercise=exercise, number=1, text="Slow.", confidence=Confidence.LOW)
    with pytest.raises(ApplicationError, match="belong to the exercise"):
        prediction_mark(user=student, exercise=exercise, number=1, points=[other_exercise])
    assert not submissions(student, exercise)[0].named_points.exists()


def test_marking_a_submission_that_is_not_yours_is_404(student_client, other_student, exercise, points):
    prediction_submit(user=other_student, exercise=exercise, number=1, text="Theirs.", confidence=Confidence.LOW)
    response = student_client.post(mark_url(exercise), {"number": 1, "points": [points[0].pk]})
    assert response.status_code == 404
    assert submissions(other_student, exercise)[0].marked_at is None


# ---------------------------------------------------------------- drafts


def test_draft_is_saved_as_they_type_and_survives_a_reload(student_client, student, diffusion, exercise, htmx_headers):
    response = student_client.post(draft_url(exercise), {"text": "Half a thought"}, headers=htmx_headers)
    assert response.status_code == 200
    assert response.content.decode().startswith("Draft saved at ")
    response = student_client.post(draft_url(exercise), {"text": "Half a thought, now whole."}, headers=htmx_headers)
    assert PredictionDraft.objects.get(user=student, exercise=exercise).text == "Half a thought, now whole."
    assert PredictionDraft.objects.count() == 1

    html = page(student_client, diffusion).content.decode()
    assert ">Half a thought, now whole.</textarea>" in html
    assert "Draft saved at " in html
    assert MODEL_ANSWER_SNIPPET not in html  # a draft is not a submission
    assert not PredictionSubmission.objects.exists()


def test_plain_draft_post_redirects_back(student_client, student, exercise):
    response = student_client.post(draft_url(exercise), {"text": "Draft."})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#prediction-{exercise.pk}")


def test_oversized_draft_is_refused(student_client, exercise, htmx_headers):
    response = student_client.post(draft_url(exercise), {"text": "x" * 3001}, headers=htmx_headers)
    assert response.status_code == 400
    assert "too long" in response.content.decode()
    assert not PredictionDraft.objects.exists()


def test_a_revision_in_progress_reopens_after_a_reload(student_client, diffusion, exercise, htmx_headers):
    submit(student_client, exercise, "Slow.")
    student_client.post(draft_url(exercise), {"text": "Slow, and varied too."}, headers=htmx_headers)
    html = page(student_client, diffusion).content.decode()
    assert '<details class="prediction-revise" open>' in html
    assert ">Slow, and varied too.</textarea>" in html


# ---------------------------------------------------------------- who may see and do what


@pytest.mark.parametrize("url_name", ["prediction_submit", "prediction_draft", "prediction_mark"])
def test_forged_exercise_id_is_404(student_client, url_name):
    response = student_client.post(reverse(url_name, args=[999_999]), {"text": "Slow.", "number": 1})
    assert response.status_code == 404


@pytest.mark.parametrize("url_name", ["prediction_submit", "prediction_draft", "prediction_mark"])
def test_unpublished_lesson_is_404_and_stores_nothing(student_client, diffusion, exercise, points, url_name):
    diffusion.published = False
    diffusion.save(update_fields=["published"])
    data = {"text": "Slow.", "number": 1, "confidence": "low", "points": [points[0].pk]}
    assert student_client.post(reverse(url_name, args=[exercise.pk]), data).status_code == 404
    assert page(student_client, diffusion).status_code == 404
    assert not PredictionSubmission.objects.exists() and not PredictionDraft.objects.exists()


@pytest.mark.parametrize("url_name", ["prediction_submit", "prediction_draft", "prediction_mark"])
def test_get_on_post_urls_is_405(student_client, exercise, url_name):
    assert student_client.get(reverse(url_name, args=[exercise.pk])).status_code == 405


@pytest.mark.parametrize("url_name", ["prediction_submit", "prediction_draft", "prediction_mark"])
def test_anonymous_is_sent_to_log_in(client, exercise, url_name):
    response = client.post(reverse(url_name, args=[exercise.pk]), {"text": "Slow.", "number": 1})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not PredictionSubmission.objects.exists()


def test_no_student_sees_another_students_text(student_client, other_student, diffusion, exercise, points):
    prediction_submit(
        user=other_student, exercise=exercise, number=1, text="OTHER STUDENT'S SECRET", confidence=Confidence.HIGH
    )
    prediction_mark(user=other_student, exercise=exercise, number=1, points=points)
    other = Client()
    other.force_login(other_student)
    other.post(draft_url(exercise), {"text": "OTHER DRAFT"}, headers={"HX-Request": "true"})

    html = page(student_client, diffusion).content.decode()
    assert "SECRET" not in html and "OTHER DRAFT" not in html
    assert MODEL_ANSWER_SNIPPET not in html
    assert 'name="number" value="1"' in html  # numbering is per student


# ---------------------------------------------------------------- query counts


def make_prediction_lesson(make_lesson, user, *, slug, exercises, points, submissions_each):
    """A lesson with prediction exercises, rubric points, and marked submissions by ``user`` and another student."""
    from django.contrib.auth.models import User

    lesson = make_lesson(slug, size=exercises)
    lesson.exercises_title = "Exercises"
    lesson.save(update_fields=["exercises_title"])
    others = [User.objects.create_user(f"{slug}-other-{i}") for i in range(submissions_each)]
    for e in range(1, exercises + 1):
        exercise = PredictionExercise.objects.create(
            lesson=lesson,
            position=e,
            title=f"Predict {e}",
            prompt="Predict.",
            model_answer="Answer.",
            rubric_note="Note.",
        )
        rubric = RubricPoint.objects.bulk_create(
            RubricPoint(exercise=exercise, position=p, text=f"point {p}") for p in range(1, points + 1)
        )
        for student in [user, *others]:
            for n in range(1, submissions_each + 1):
                prediction_submit(user=student, exercise=exercise, number=n, text=f"Try {n}", confidence="low")
                prediction_mark(user=student, exercise=exercise, number=n, points=rubric[: n % (points + 1)])
    return lesson


SIZES = {
    "small": {"exercises": 1, "points": 2, "submissions_each": 1},
    "large": {"exercises": 4, "points": 6, "submissions_each": 8},
}


@pytest.mark.parametrize("size", SIZES)
def test_practice_page_query_count_does_not_grow(
    student_client, student, make_lesson, size, django_assert_max_num_queries
):
    lesson = make_prediction_lesson(make_lesson, student, slug=f"q-{size}", **SIZES[size])
    # Session, user, lesson + its prefetches, self-check attempts, submissions + ticks, drafts: 11 at any size.
    with django_assert_max_num_queries(budgets.PRACTICE_PAGE):
        response = page(student_client, lesson)
    assert response.status_code == 200
    assert response.content.decode().count("Model answer") == SIZES[size]["exercises"]


@pytest.mark.parametrize("size", SIZES)
def test_fragment_query_counts_do_not_grow(
    student_client, student, make_lesson, size, htmx_headers, django_assert_max_num_queries
):
    lesson = make_prediction_lesson(make_lesson, student, slug=f"f-{size}", **SIZES[size])
    exercise = lesson.predictions.last()
    number = SIZES[size]["submissions_each"]
    # Counts include SAVEPOINT statements: 11 queries (one is the session) and 6 savepoints.
    with django_assert_max_num_queries(17):
        response = submit(student_client, exercise, "Again.", number=number + 1, **htmx_headers)
    assert response.status_code == 200
    point_ids = [p.pk for p in exercise.rubric_points.all()[:2]]
    with django_assert_max_num_queries(14):
        response = student_client.post(
            mark_url(exercise), {"number": number + 1, "points": point_ids}, headers=htmx_headers
        )
    assert f"named <strong>2 of {SIZES[size]['points']}</strong> points" in response.content.decode()
    with django_assert_max_num_queries(8):  # with the session
        response = student_client.post(draft_url(exercise), {"text": "More."}, headers=htmx_headers)
    assert response.status_code == 200
