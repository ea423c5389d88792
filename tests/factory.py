"""One place to build test data: users, courses, lessons with every kind of exercise, classes and student records.

Plain functions with ``setdefault`` defaults (the style of djangoproject.com's ``checklists/tests/factory.py``):
call them with only what the test cares about, e.g. ``make_lesson(slug="cells", questions=1, ordering=False)``.
Records are written straight through the ORM, the way the services leave them, so a test of a read can set up
any history without driving the writes; tests of the writes call the services themselves.
"""

from contextlib import contextmanager
from datetime import timedelta
from itertools import combinations, count
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from lessons import scheduling
from lessons.lessonfile import import_paths
from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Classroom,
    Course,
    Enrollment,
    Flashcard,
    Lesson,
    OrderingAttempt,
    OrderingExercise,
    OrderingItem,
    OrderingReveal,
    PredictionExercise,
    PredictionSubmission,
    Rating,
    ReviewLog,
    RubricPoint,
    SelfCheckAttempt,
    SelfCheckQuestion,
)
from lessons.roles import instructors_group
from lessons.services.progress import progress_sync

CONTENT_DIR = Path(__file__).resolve().parent.parent / "lessons" / "content"
DIFFUSION_FILE = CONTENT_DIR / "diffusion.yaml"
PASSWORD = "a-Long-passw0rd"
# A made ordering exercise shows its items a-f in that order; this is their correct order (the shipped lesson's).
CORRECT = "bdcfae"

_serial = count(1)


@contextmanager
def kept_for_module(django_db_blocker):
    """Hold data built once for a whole module, and roll it back at the end.

    Use it in a module-scoped fixture, building inside ``django_db_blocker.unblock()`` (see ``world`` in
    tests/test_permissions_matrix.py); tests that use the data also ask for ``db``. It opens a transaction that every test's own transaction (the ``db`` fixture's) nests inside as a
    savepoint, so each test still starts from the same data and leaves nothing behind.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


# ---------------------------------------------------------------- users


def make_user(username="student", *, instructor=False, **kwargs):
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("email", f"{username}@example.com")
    user = User.objects.create_user(username=username, **kwargs)
    if instructor:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(instructors_group())
    return user


def make_instructor(username="teacher", **kwargs):
    return make_user(username, instructor=True, **kwargs)


# ---------------------------------------------------------------- content


def make_course(**kwargs):
    number = next(_serial)
    kwargs.setdefault("title", f"Course {number}")
    kwargs.setdefault("slug", f"course-{number}")
    return Course.objects.create(**kwargs)


def make_lesson(*, questions=3, cards=3, ordering=True, prediction=True, **kwargs):
    """A published lesson with ``questions`` self-check questions, ``cards`` flashcards, an ordering exercise
    (items a-f, correct order ``CORRECT``) and a prediction with three rubric points; ``ordering=False`` or
    ``prediction=False`` leaves that exercise out."""
    number = next(_serial)
    if "course" not in kwargs:
        kwargs["course"] = make_course()
    kwargs.setdefault("slug", f"lesson-{number}")
    kwargs.setdefault("title", f"Lesson {kwargs['slug']}")
    kwargs.setdefault("position", Lesson.objects.filter(course=kwargs["course"]).count() + 1)
    kwargs.setdefault("published", True)
    lesson = Lesson.objects.create(**kwargs)
    SelfCheckQuestion.objects.bulk_create(
        SelfCheckQuestion(lesson=lesson, position=i, question=f"Question {i}?", answer=f"Answer {i}.")
        for i in range(1, questions + 1)
    )
    Flashcard.objects.bulk_create(
        Flashcard(lesson=lesson, position=i, front=f"Front {i}", back=f"Back {i}") for i in range(1, cards + 1)
    )
    if ordering:
        make_ordering(lesson)
    if prediction:
        make_prediction(lesson)
    return lesson


def make_question(lesson, **kwargs):
    kwargs.setdefault("position", lesson.questions.count() + 1)
    kwargs.setdefault("question", f"Question {kwargs['position']}?")
    kwargs.setdefault("answer", f"Answer {kwargs['position']}.")
    return SelfCheckQuestion.objects.create(lesson=lesson, **kwargs)


def make_card(lesson, **kwargs):
    kwargs.setdefault("position", lesson.flashcards.count() + 1)
    kwargs.setdefault("front", f"Front {kwargs['position']}")
    kwargs.setdefault("back", f"Back {kwargs['position']}")
    return Flashcard.objects.create(lesson=lesson, **kwargs)


def make_ordering(lesson, *, correct=CORRECT, **kwargs):
    """An ordering exercise showing its items in label order (a, b, c, ...); ``correct`` is the right order."""
    kwargs.setdefault("position", lesson.ordering_exercises.count() + 1)
    kwargs.setdefault("title", "Put the stages in order")
    kwargs.setdefault("prompt", "Order the stages from first to last.")
    exercise = OrderingExercise.objects.create(lesson=lesson, **kwargs)
    OrderingItem.objects.bulk_create(
        OrderingItem(
            exercise=exercise,
            label=label,
            text=f"Stage {label}",
            display_position=shown,
            correct_position=correct.index(label) + 1,
        )
        for shown, label in enumerate(sorted(correct), 1)
    )
    return exercise


def make_prediction(lesson, *, points=3, **kwargs):
    kwargs.setdefault("position", lesson.predictions.count() + 1)
    kwargs.setdefault("title", "Predict what happens")
    kwargs.setdefault("prompt", "What happens next?")
    kwargs.setdefault("model_answer", "The model answer.")
    exercise = PredictionExercise.objects.create(lesson=lesson, **kwargs)
    RubricPoint.objects.bulk_create(
        RubricPoint(exercise=exercise, position=i, text=f"rubric point {i}") for i in range(1, points + 1)
    )
    return exercise


def import_diffusion():
    """The shipped diffusion lesson, imported from its lesson file (only for tests about the shipped text)."""
    (result,) = import_paths([DIFFUSION_FILE])
    return Lesson.objects.for_practice().get(pk=result.lesson.pk)


# ---------------------------------------------------------------- classes


def make_class(instructor, lessons=(), *, students=(), expected_by=None, **kwargs):
    kwargs.setdefault("name", "Biology 101")
    kwargs.setdefault("section", "")
    classroom = Classroom.objects.create(**kwargs)
    classroom.instructors.add(instructor)
    for position, lesson in enumerate(lessons, 1):
        ClassLesson.objects.create(classroom=classroom, lesson=lesson, position=position, expected_by=expected_by)
    for student in students:
        enroll(student, classroom)
    return classroom


def enroll(student, classroom, **kwargs):
    return Enrollment.objects.create(classroom=classroom, student=student, **kwargs)


# ---------------------------------------------------------------- student records
# Like every writer of student records, each factory then rewrites the student's kept progress
# row on the lesson (``progress_sync``); unlike the services, it records no completion.


def synced(record, user, lesson):
    progress_sync(user_ids=[user.pk], lesson=lesson)
    return record


def reveal(user, question, *, verdict="", at=None):
    at = at or timezone.now()
    attempt = SelfCheckAttempt.objects.create(
        user=user, question=question, revealed_at=at, verdict=verdict, judged_at=at if verdict else None
    )
    return synced(attempt, user, question.lesson)


def ordering_attempt(user, exercise, order, *, at=None):
    """Store an attempt graded as the ordering feature does: pairwise share, exact match solves."""
    correct = exercise.correct_labels()
    place = {label: i for i, label in enumerate(order)}
    pairs = list(combinations(correct, 2))
    in_order = sum(1 for x, y in pairs if place[x] < place[y])
    number = OrderingAttempt.objects.filter(user=user, exercise=exercise).count() + 1
    attempt = OrderingAttempt.objects.create(
        user=user,
        exercise=exercise,
        number=number,
        order=list(order),
        pairs_in_order=in_order,
        pairs_total=len(pairs),
        score=in_order / len(pairs),
        is_correct=list(order) == correct,
        created_at=at or timezone.now(),
    )
    return synced(attempt, user, exercise.lesson)


def ordering_reveal(user, exercise, *, at=None):
    revealed = OrderingReveal.objects.create(user=user, exercise=exercise, revealed_at=at or timezone.now())
    return synced(revealed, user, exercise.lesson)


def prediction(user, exercise, *, confidence="", named=(), marked=True, at=None, text="My prediction."):
    at = at or timezone.now()
    number = PredictionSubmission.objects.filter(user=user, exercise=exercise).count() + 1
    submission = PredictionSubmission.objects.create(
        user=user,
        exercise=exercise,
        number=number,
        text=text,
        confidence=confidence,
        marked_at=at if marked else None,
        created_at=at,
    )
    submission.named_points.set(named)
    return synced(submission, user, exercise.lesson)


def review(user, card, rating, *, at=None, undone=False):
    """Log a rating and keep the card's state as ``services.review`` does.

    A rating that is not undone creates or updates the state (``last_review`` is its time);
    an undone rating leaves the state as it was before it (none, for a first rating).
    """
    at = at or timezone.now()
    if not undone:
        fields = {"state": CardStateKind.LEARNING, "due": at + timedelta(minutes=10), "last_review": at}
        CardState.objects.update_or_create(
            user=user, card=card, defaults=fields, create_defaults={**fields, **first_memory(rating)}
        )
    log = ReviewLog.objects.create(
        user=user,
        card=card,
        rating=rating,
        reviewed_at=at,
        state_after=CardStateKind.LEARNING,
        due_after=at + timedelta(minutes=10),
        undone_at=at + timedelta(seconds=5) if undone else None,
    )
    return synced(log, user, card.lesson)


def card_state(user, card, *, due):
    """Put the card in Review, due at ``due``: the state a rating left, or else one with the memory of a first
    Easy (the rating that takes a new card straight to Review) and no last review."""
    fields = {"state": CardStateKind.REVIEW, "due": due, "reps": 1}
    state, _ = CardState.objects.update_or_create(
        user=user, card=card, defaults=fields, create_defaults={**fields, **first_memory(Rating.EASY)}
    )
    return synced(state, user, card.lesson)


def first_memory(rating=Rating.GOOD):
    """The stability and difficulty fsrs gives a new card's first ``rating``: the database refuses a card
    state without them (no rating writes one)."""
    new = scheduling.MemoryState()
    after = scheduling.review(user_id=0, card_id=0, memory=new, rating=rating, now=timezone.now()).after
    return {"stability": after.stability, "difficulty": after.difficulty}
