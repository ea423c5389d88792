"""Progress kept as it happens equals progress recomputed from the records, whatever happens.

The property test drives the real services (the code the views call) with random sequences
of activities by three students, lesson edits (items added and deleted, the archive hook)
and undos, and after every step compares every kept row with a recomputation from the raw
records (``progress_differences``, what ``manage.py verify_progress`` runs).
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.errors import ApplicationError
from lessons.models import (
    Confidence,
    Course,
    Flashcard,
    Lesson,
    LessonCompletion,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    Rating,
    ReviewLog,
    RubricPoint,
    SelfCheckQuestion,
    StudentProgress,
    Verdict,
)
from lessons.selectors.lesson_progress import progress_differences, progress_for, progress_recompute
from lessons.services.authoring import item_archive, item_restore
from lessons.services.ordering import ordering_check, ordering_reveal
from lessons.services.prediction import prediction_mark, prediction_submit
from lessons.services.progress import lesson_progress_refresh
from lessons.services.review import review_record, review_reveal, review_undo
from lessons.services.selfcheck import selfcheck_judge, selfcheck_reveal

pytestmark = pytest.mark.django_db


def small_lesson(slug="prop"):
    """Two questions, an ordering exercise of three stages, a prediction with two points, two cards."""
    course, _ = Course.objects.get_or_create(title="Property course", defaults={"slug": "property-course"})
    lesson = Lesson.objects.create(course=course, slug=slug, title=f"Lesson {slug}", position=1)
    for i in (1, 2):
        SelfCheckQuestion.objects.create(lesson=lesson, position=i, question=f"Q{i}?", answer=f"A{i}.")
        Flashcard.objects.create(lesson=lesson, position=i, front=f"F{i}", back=f"B{i}")
    exercise = OrderingExercise.objects.create(lesson=lesson, position=1, title="Order", prompt="Order them.")
    for label, display, correct in (("a", 1, 2), ("b", 2, 3), ("c", 3, 1)):
        OrderingItem.objects.create(
            exercise=exercise, label=label, text=label, display_position=display, correct_position=correct
        )
    prediction = PredictionExercise.objects.create(lesson=lesson, position=1, title="P", prompt="?", model_answer="!")
    for i in (1, 2):
        RubricPoint.objects.create(exercise=prediction, position=i, text=f"point {i}")
    return lesson


ACTIONS = [
    "reveal",
    "judge",
    "order",
    "order_reveal",
    "submit",
    "mark",
    "rate",
    "undo",
    "add_question",
    "delete_question",
    "add_card",
    "delete_card",
    "delete_ordering",
    "refresh",
    "archive",
    "restore",
]
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, 5), st.integers(0, 3)),
    min_size=1,
    max_size=14,
)


def pick(items, index):
    items = list(items)
    return items[index % len(items)] if items else None


def act(lesson, students, action, who, index, extra):
    """One activity through the services; a refusal (e.g. judging before revealing) is part of the game."""
    user = students[who]
    if action == "reveal" and (question := pick(lesson.questions.all(), index)):
        selfcheck_reveal(user=user, question=question, answer_text="mine")
    elif action == "judge" and (question := pick(lesson.questions.all(), index)):
        selfcheck_judge(user=user, question=question, verdict=list(Verdict)[extra % 3])
    elif action in ("order", "order_reveal") and (exercise := pick(lesson.ordering_exercises.all(), index)):
        if action == "order_reveal":
            ordering_reveal(user=user, exercise=exercise)
        else:
            orders = [["c", "a", "b"], ["a", "b", "c"], ["b", "a", "c"], ["c", "b", "a"]]
            number = exercise.attempts.filter(user=user).count() + 1
            ordering_check(user=user, exercise=exercise, order=orders[extra], number=number)
    elif action in ("submit", "mark") and (exercise := pick(lesson.predictions.all(), index)):
        latest = exercise.submissions.filter(user=user).count()
        if action == "submit":
            prediction_submit(
                user=user, exercise=exercise, number=latest + 1, text="guess", confidence=Confidence.MEDIUM
            )
        else:
            points = list(exercise.rubric_points.all())[: extra % 3]
            prediction_mark(user=user, exercise=exercise, number=max(latest, 1), points=points)
    elif action == "rate" and (card := pick(lesson.flashcards.all(), index)):
        state = card.states.filter(user=user).first()
        version = state.version if state else 0
        review_reveal(user=user, card=card)
        review_record(user=user, card=card, rating=list(Rating)[extra], version=version)
    elif action == "undo":
        log = ReviewLog.objects.filter(user=user, card__lesson=lesson).live().order_by("-reviewed_at", "-pk").first()
        if log:
            review_undo(user=user, log_id=log.pk)
    elif action == "add_question":
        position = (lesson.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        SelfCheckQuestion.objects.create(lesson=lesson, position=position, question="New?", answer="New.")
    elif action == "delete_question" and (question := pick(lesson.questions.all(), index)):
        question.delete()
    elif action == "add_card":
        position = (lesson.flashcards.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        Flashcard.objects.create(lesson=lesson, position=position, front="New", back="Card")
    elif action == "delete_card" and (card := pick(lesson.flashcards.all(), index)):
        card.delete()
    elif action == "delete_ordering" and (exercise := pick(lesson.ordering_exercises.all(), index)):
        exercise.delete()
    elif action == "refresh":  # the hook itself
        lesson_progress_refresh(lesson=lesson)
    elif action == "archive" and (item := pick(_items(lesson, archived=False), index)):
        item_archive(item=item)
    elif action == "restore" and (item := pick(_items(lesson, archived=True), index)):
        item_restore(item=item)


def _items(lesson, *, archived):
    """The lesson's questions and cards, archived or live."""
    found = []
    for model in (SelfCheckQuestion, Flashcard):
        rows = model.objects.filter(lesson=lesson)
        found += list(rows.archived() if archived else rows.live())
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_kept_progress_equals_a_recomputation_after_every_step(make_user, steps):
    with transaction.atomic():
        students = [make_user(f"prop-student-{i}") for i in range(3)]
        lesson = small_lesson()
        for action, who, index, extra in steps:
            try:
                with transaction.atomic():
                    act(lesson, students, action, who, index, extra)
            except ApplicationError:
                pass
            assert progress_differences([lesson]) == [], f"after {action} by student {who}"
        transaction.set_rollback(True)


def test_every_kind_of_write_moves_the_row(make_user):
    """Each activity (and its undo) rewrites the row: version up, and the numbers of a recomputation."""
    student = make_user("writer")
    lesson = small_lesson()
    question, card = lesson.questions.first(), lesson.flashcards.first()
    exercise, prediction = lesson.ordering_exercises.get(), lesson.predictions.get()

    def version():
        return StudentProgress.objects.filter(user=student, lesson=lesson).values_list("version", flat=True).first()

    writes = [
        lambda: selfcheck_reveal(user=student, question=question, answer_text=""),
        lambda: selfcheck_judge(user=student, question=question, verdict=Verdict.MISSED),
        lambda: ordering_check(user=student, exercise=exercise, order=["a", "b", "c"], number=1),
        lambda: ordering_reveal(user=student, exercise=exercise),
        lambda: prediction_submit(user=student, exercise=prediction, number=1, text="x", confidence=Confidence.LOW),
        lambda: prediction_mark(user=student, exercise=prediction, number=1, points=[]),
        lambda: (
            review_reveal(user=student, card=card),
            review_record(user=student, card=card, rating=Rating.GOOD, version=0),
        ),
        lambda: review_undo(user=student, log_id=ReviewLog.objects.get(user=student, card=card).pk),
    ]
    before = version() or 0
    for write in writes:
        write()
        after = version()
        assert after > before, write
        before = after
        assert progress_differences([lesson]) == []
    kept = progress_for([student], [lesson]).get(student.pk, lesson)
    assert (kept.done, kept.total) == (3, 5)  # a question, the ordering, the prediction; the rating was undone


def test_verify_progress_reports_a_planted_difference_and_fix_rewrites_it(make_user):
    student = make_user("planted")
    lesson = small_lesson()
    selfcheck_reveal(user=student, question=lesson.questions.first(), answer_text="")
    out = io.StringIO()
    call_command("verify_progress", stdout=out)
    assert "Progress matches the records: 1 lessons checked." in out.getvalue()

    StudentProgress.objects.filter(user=student, lesson=lesson).update(done=0)  # the planted difference
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 progress rows differ"):
        call_command("verify_progress", stdout=out)
    assert f"user {student.pk}, lesson prop: kept" in out.getvalue()
    assert "'done': 0" in out.getvalue() and "'done': 1" in out.getvalue()

    call_command("verify_progress", "--fix", stdout=io.StringIO())
    assert progress_differences([lesson]) == []
    assert StudentProgress.objects.get(user=student, lesson=lesson).done == 1


def test_verify_progress_finds_a_missing_row_and_an_unknown_slug(make_user):
    student = make_user("missing")
    lesson = small_lesson()
    selfcheck_reveal(user=student, question=lesson.questions.first(), answer_text="")
    StudentProgress.objects.all().delete()
    with pytest.raises(CommandError, match="1 progress rows differ"):
        call_command("verify_progress", "prop", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No lesson with the slug nope"):
        call_command("verify_progress", "nope", stdout=io.StringIO())


def test_deleting_the_last_unfinished_item_completes_in_the_same_transaction(make_user):
    student = make_user("finisher")
    lesson = small_lesson()
    for question in lesson.questions.all():
        selfcheck_reveal(user=student, question=question, answer_text="")
    with transaction.atomic():
        lesson.flashcards.all().delete()
        lesson.ordering_exercises.all().delete()
        lesson.predictions.all().delete()
        assert LessonCompletion.objects.filter(user=student, lesson=lesson).exists()  # before the commit
    progress = progress_for([student], [lesson]).get(student.pk, lesson)
    assert progress.completed and progress.percent == 100
    assert progress.completed_at <= timezone.now()
    assert progress_recompute([student], [lesson]).get(student.pk, lesson).completed_at == progress.completed_at


def test_deleting_a_lesson_deletes_its_rows(make_user):
    student = make_user("gone")
    lesson = small_lesson()
    selfcheck_reveal(user=student, question=lesson.questions.first(), answer_text="")
    lesson.delete()
    assert not StudentProgress.objects.exists()
