"""Small factories for student records, written straight through the ORM (the class tests' own helpers).

Like every writer of student records, each one then rewrites the student's progress row
(``progress_sync``); unlike the services, it records no completion.
"""

from datetime import timedelta
from itertools import combinations

from django.utils import timezone

from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Classroom,
    Enrollment,
    OrderingAttempt,
    OrderingReveal,
    PredictionSubmission,
    ReviewLog,
    SelfCheckAttempt,
)
from lessons.services.progress import progress_sync


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def make_class(instructor, lessons=(), *, name="Biology 101", section="", expected_by=None, students=()):
    classroom = Classroom.objects.create(name=name, section=section)
    classroom.instructors.add(instructor)
    for position, lesson in enumerate(lessons, 1):
        ClassLesson.objects.create(classroom=classroom, lesson=lesson, position=position, expected_by=expected_by)
    for student in students:
        Enrollment.objects.create(classroom=classroom, student=student)
    return classroom


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
        CardState.objects.update_or_create(
            user=user,
            card=card,
            defaults={"state": CardStateKind.LEARNING, "due": at + timedelta(minutes=10), "last_review": at},
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
    """Set the card's due time (the state a rating left, or a bare one)."""
    state, _ = CardState.objects.update_or_create(
        user=user, card=card, defaults={"state": CardStateKind.REVIEW, "due": due, "reps": 1}
    )
    return synced(state, user, card.lesson)
