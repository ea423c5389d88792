"""The reviews due the dashboard and a student's page show: one statement of fixed SQL, checked against the
ORM query it replaced (kept here as the reference) over varied worlds, moments and sets of lessons."""

import random
from datetime import timedelta

import pytest
from django.db.models import Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from lessons.models import CardState, CardStateKind, ItemKind, Lesson, ReviewOptOut
from lessons.selectors.lesson_progress import _reviews_due, progress_for
from tests import factory
from tests.test_review_queue import NOW, varied_world

pytestmark = pytest.mark.django_db


def orm_reviews_due(user_ids, lesson_ids, due_at, overdue_at):
    """The ORM definition: live items of the lessons due by ``due_at``, less the kinds switched out of review."""
    off = ReviewOptOut.objects.filter(user=OuterRef("user"))
    rows = (
        CardState.objects.filter(user__in=user_ids, due__lte=due_at)
        .filter(
            Q(card__lesson__in=lesson_ids, card__archived_at=None)
            | Q(question__lesson__in=lesson_ids, question__archived_at=None)
            | Q(exercise__lesson__in=lesson_ids, exercise__archived_at=None)
        )
        .exclude(
            Q(question__isnull=False) & Exists(off.filter(lesson=OuterRef("question__lesson"), kind=ItemKind.QUESTION))
        )
        .exclude(
            Q(exercise__isnull=False) & Exists(off.filter(lesson=OuterRef("exercise__lesson"), kind=ItemKind.EXERCISE))
        )
        .order_by()
        .values("user_id", lesson_id=Coalesce("card__lesson_id", "question__lesson_id", "exercise__lesson_id"))
        .annotate(
            n_due=Count("due"),
            n_overdue=Count("due", filter=Q(due__lt=overdue_at)) if overdue_at else Value(0),
        )
        .values_list("user_id", "lesson_id", "n_due", "n_overdue")
    )
    return sorted(rows)


def test_the_reviews_due_agree_with_the_orm_definition(instructor, make_user):
    compared = overdue_seen = 0
    for seed in range(2):
        rng = random.Random(seed)
        students = [make_user(f"d{seed}-{n}") for n in range(3)]
        varied_world(rng, instructor, students)
        lessons = list(Lesson.objects.values_list("pk", flat=True))
        ids = [s.pk for s in students]
        for minutes in (-3 * 1440, 0, 25, 11 * 60, 3 * 1440, 30 * 1440):
            due_at = NOW + timedelta(minutes=minutes)
            for overdue_at in (None, due_at - timedelta(days=1)):
                for lesson_ids in (lessons, rng.sample(lessons, k=2), lessons[:1]):
                    got = sorted(_reviews_due(ids, lesson_ids, due_at, overdue_at))
                    assert got == orm_reviews_due(ids, lesson_ids, due_at, overdue_at), (seed, minutes, lesson_ids)
                    compared += bool(got)
                    overdue_seen += any(n_overdue for *_, n_overdue in got)
    assert compared > 20 and overdue_seen > 5
    # The switches matter in these worlds: without them, some counts would be higher.
    assert ReviewOptOut.objects.exists()


def test_a_switched_off_kind_and_an_archived_item_are_not_due(student):
    lesson = factory.make_lesson(questions=2, cards=1, ordering=False, prediction=False)
    question, archived = lesson.questions.order_by("position")
    card = lesson.flashcards.get()
    for item in ({"question": question}, {"question": archived}, {"card": card}):
        CardState.objects.create(
            user=student,
            state=CardStateKind.REVIEW,
            due=NOW - timedelta(days=3),
            last_review=NOW,
            stability=3.0,
            difficulty=5.0,
            **item,
        )
    archived.archived_at = NOW
    archived.save()
    factory.synced(None, student, lesson)  # the kept row the states come with
    due = progress_for([student], [lesson], due_at=NOW, overdue_at=NOW - timedelta(days=1)).get(student.pk, lesson)
    assert (due.reviews_due, due.reviews_overdue) == (2, 2)  # the card and the live question

    ReviewOptOut.objects.create(user=student, lesson=lesson, kind=ItemKind.QUESTION)
    due = progress_for([student], [lesson], due_at=NOW).get(student.pk, lesson)
    assert (due.reviews_due, due.reviews_overdue) == (1, 0)
