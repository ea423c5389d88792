"""Progress per activity type, monotonic completion, and the home and course pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from lessons.lessonfile import import_spec, parse_file
from lessons.models import Flashcard, LessonCompletion, Rating, SelfCheckAttempt, SelfCheckQuestion
from lessons.selectors.lesson_progress import COMPLETED, IN_PROGRESS, NOT_STARTED, progress_for
from lessons.services.progress import lesson_progress_record, progress_sync
from tests import budgets
from tests.factory import DIFFUSION_FILE, ago, ordering_attempt, ordering_reveal, prediction, reveal, review

pytestmark = pytest.mark.django_db

# The made lesson (conftest ``lesson``): 6 questions + 1 ordering + 1 prediction + its 10 cards as one activity.
LESSON_TOTAL = 9


def one(user, lesson, **kwargs):
    return progress_for([user], [lesson], **kwargs).get(user.pk, lesson)


def test_untouched_lesson_is_not_started_with_all_activities_counted(student, lesson):
    progress = one(student, lesson)
    assert (progress.state, progress.done, progress.total, progress.percent) == (NOT_STARTED, 0, LESSON_TOTAL, 0)
    assert progress.state_label == "Not started"


def test_each_revealed_question_is_one_activity(student, lesson):
    q1, q2 = lesson.questions.all()[:2]
    reveal(student, q1)
    reveal(student, q2, verdict="missed")
    progress = one(student, lesson)
    assert (progress.state, progress.done, progress.percent) == (IN_PROGRESS, 2, 22)


def test_started_is_distinct_from_zero_percent(student, lesson):
    """A wrong ordering attempt is activity but finishes nothing: in progress at 0%, not "not started"."""
    exercise = lesson.ordering_exercises.get()
    ordering_attempt(student, exercise, ["a", "b", "c", "d", "e", "f"])
    progress = one(student, lesson)
    assert (progress.state, progress.done, progress.percent) == (IN_PROGRESS, 0, 0)
    assert progress.last_active is not None


def test_ordering_counts_once_when_solved_or_answer_shown(student, other_student, lesson):
    exercise = lesson.ordering_exercises.get()
    ordering_attempt(student, exercise, ["a", "b", "c", "d", "e", "f"])
    ordering_attempt(student, exercise, ["b", "d", "c", "f", "a", "e"])
    ordering_reveal(student, exercise)  # solved and then shown: still one activity
    ordering_reveal(other_student, exercise)
    table = progress_for([student, other_student], [lesson])
    assert table.get(student.pk, lesson).done == 1
    assert table.get(other_student.pk, lesson).done == 1


def test_each_prediction_submitted_counts_once(student, lesson):
    exercise = lesson.predictions.get()
    prediction(student, exercise, marked=False)
    prediction(student, exercise, confidence="high")
    assert one(student, lesson).done == 1


def test_flashcards_count_once_every_card_has_a_rating_not_undone(student, lesson):
    cards = list(lesson.flashcards.all())
    for card in cards[:-1]:
        review(student, card, Rating.GOOD)
    review(student, cards[-1], Rating.AGAIN, undone=True)
    assert one(student, lesson).done == 0, "an undone rating does not count"
    review(student, cards[0], Rating.EASY)  # rating a card twice does not count for another card
    assert one(student, lesson).done == 0
    review(student, cards[-1], Rating.HARD)
    assert one(student, lesson).done == 1


def _complete(student, lesson):
    for question in lesson.questions.all():
        reveal(student, question, at=ago(hours=2))
    ordering_reveal(student, lesson.ordering_exercises.get(), at=ago(hours=2))
    prediction(student, lesson.predictions.get(), at=ago(hours=2))
    for card in lesson.flashcards.all():
        review(student, card, Rating.GOOD, at=ago(hours=1))


def test_full_lesson_reads_as_completed_at_its_last_activity_and_reading_writes_nothing(student, lesson):
    """Records written outside the services (an import, these factories): 100% reads as completed, nothing stored."""
    _complete(student, lesson)
    progress = one(student, lesson)
    assert progress.reached_full and progress.state == COMPLETED and progress.percent == 100
    # The moment of completion is the last activity, not the time someone looked.
    assert progress.completed_at < timezone.now() - timezone.timedelta(minutes=50)
    assert not LessonCompletion.objects.exists()


def test_the_service_records_the_completion_at_the_moment_the_lesson_is_finished(student, lesson):
    _complete(student, lesson)
    progress = lesson_progress_record(user=student, lesson=lesson)
    completion = LessonCompletion.objects.get(user=student, lesson=lesson)
    assert progress.completed_at == completion.completed_at
    assert one(student, lesson).completed_at == completion.completed_at
    lesson_progress_record(user=student, lesson=lesson)
    assert LessonCompletion.objects.count() == 1


def test_removing_the_last_unfinished_item_records_the_completion(student, lesson):
    """The edit rewrites the rows and records the completion in its own transaction (no later callback)."""
    _complete(student, lesson)
    unfinished = lesson.questions.last()
    SelfCheckAttempt.objects.filter(user=student, question=unfinished).delete()
    progress_sync(user_ids=[student.pk], lesson=lesson)  # a raw write keeps the row in step, as the services do
    assert one(student, lesson).state != COMPLETED
    unfinished.delete()
    completion = LessonCompletion.objects.get(user=student, lesson=lesson)
    assert completion.completed_at < timezone.now() - timezone.timedelta(minutes=50)
    assert one(student, lesson).state == COMPLETED


def test_completion_survives_an_edit_and_says_the_lesson_changed(student, diffusion):
    """Keeps the shipped lesson: the edit is a re-import of its lesson file."""
    _complete(student, diffusion)
    assert lesson_progress_record(user=student, lesson=diffusion).completed_at is not None
    # The instructor re-imports the lesson with a seventh question.
    spec = parse_file(DIFFUSION_FILE)
    spec["self_check"]["questions"].append({"question": "A new question?", "answer": "A new answer."})
    import_spec(spec)
    diffusion.refresh_from_db()
    assert SelfCheckQuestion.objects.filter(lesson=diffusion).count() == 7
    progress = one(student, diffusion)
    assert progress.state == COMPLETED
    assert (progress.done, progress.total) == (9, 10)
    assert progress.updated_since_completed
    assert LessonCompletion.objects.filter(user=student, lesson=diffusion).count() == 1


def test_lesson_progress_record_only_records_a_finished_lesson(student, other_student, lesson):
    _complete(other_student, lesson)
    review(student, lesson.flashcards.first(), Rating.GOOD)
    assert lesson_progress_record(user=student, lesson=lesson).completed_at is None
    assert not LessonCompletion.objects.exists()
    _complete(student, lesson)
    first = lesson_progress_record(user=student, lesson=lesson).completed_at
    assert first == LessonCompletion.objects.get(user=student, lesson=lesson).completed_at
    assert lesson_progress_record(user=student, lesson=lesson).completed_at == first
    assert LessonCompletion.objects.filter(user=student).count() == 1


def test_revealing_the_last_question_records_completion(student_client, student, make_lesson):
    lesson = make_lesson(size=2)
    Flashcard.objects.filter(lesson=lesson).delete()  # only self-check left: two activities
    first, second = lesson.questions.all()
    student_client.post(reverse("selfcheck_reveal", args=[first.pk]))
    assert not LessonCompletion.objects.exists()
    student_client.post(reverse("selfcheck_reveal", args=[second.pk]))
    assert LessonCompletion.objects.filter(user=student, lesson=lesson).count() == 1


def test_a_student_never_sees_another_students_progress(student, other_student, lesson):
    reveal(other_student, lesson.questions.first())
    table = progress_for([student], [lesson])
    assert table.get(student.pk, lesson).state == NOT_STARTED
    assert (other_student.pk, lesson.pk) not in table.entries


# ---------------------------------------------------------------- pages


def test_home_shows_a_progress_bar_per_lesson_and_where_to_continue(student_client, student, lesson, make_lesson):
    other = make_lesson("other-lesson", size=2)
    reveal(student, lesson.questions.first(), at=ago(days=2))
    reveal(student, other.questions.first(), at=ago(hours=1))
    html = student_client.get(reverse("home")).content.decode()
    assert html.count("<progress") == 2
    assert 'aria-label="Progress in Lesson other-lesson"' in html
    assert "11% · 1 of 9 done" in html
    assert "Continue where you left off" in html
    continue_part = html.split("Continue where you left off")[1].split("</section>")[0]
    assert other.get_absolute_url() in continue_part, "the most recently active unfinished lesson"


def test_home_never_suggests_a_completed_lesson(student_client, student, make_lesson):
    lesson = make_lesson(size=1)
    Flashcard.objects.filter(lesson=lesson).delete()
    reveal(student, lesson.questions.get())
    html = student_client.get(reverse("home")).content.decode()
    assert "Completed " in html
    assert "Continue where you left off" not in html


def test_course_page_shows_not_started_and_completed_with_updated_note(student_client, student, lesson):
    _complete(student, lesson)
    lesson_progress_record(user=student, lesson=lesson)
    html = student_client.get(reverse("course_detail", args=[lesson.course.slug])).content.decode()
    assert "Completed " in html and "updated since you completed it" not in html
    LessonCompletion.objects.update(completed_at=lesson.updated_at - timezone.timedelta(days=1))
    progress_sync(user_ids=[student.pk], lesson=lesson)
    html = student_client.get(reverse("course_detail", args=[lesson.course.slug])).content.decode()
    assert "updated since you completed it" in html


@pytest.mark.parametrize("size", [2, 12])
def test_home_query_count_does_not_grow_with_lessons(
    student_client, student, make_lesson, size, django_assert_num_queries
):
    for i in range(size):
        lesson = make_lesson(f"lesson-{i}", size=3)
        reveal(student, lesson.questions.first())
        review(student, lesson.flashcards.first(), Rating.GOOD)
    student_client.get(reverse("home"))  # warm the session
    # session, user, courses, lessons, then 7 progress queries
    with django_assert_num_queries(budgets.HOME):
        response = student_client.get(reverse("home"))
    assert response.content.decode().count("<progress") == size
