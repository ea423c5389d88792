"""Authoring writes done from the admin: lesson files and pasted flashcards.

Keyword-only, typed, atomic. Lesson files go through ``lessons.lessonfile`` so
the admin validates and reports exactly like ``manage.py import_lessons``.
"""

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.lessonfile import ImportResult, LessonFileError, import_spec, parse_text
from lessons.models import (
    CardState,
    Flashcard,
    FlashcardReveal,
    Lesson,
    LessonCompletion,
    OrderingAttempt,
    OrderingReveal,
    PredictionDraft,
    PredictionSubmission,
    ReviewLog,
    SelfCheckAttempt,
)

STALE_FLASHCARDS = "The lesson's cards changed since the preview (a second click, or another editor)."


def lesson_file_import(*, text: str, source: str, prune: bool = False) -> ImportResult:
    """Validate a lesson file's text and create or update its lesson; raises LessonFileError, changes nothing then."""
    spec = parse_text(text, source)
    if spec["position"] is not None:
        taken = (
            Lesson.objects.filter(course__title=spec["course"], position=spec["position"])
            .exclude(slug=spec["slug"])
            .first()
        )
        if taken:
            raise LessonFileError(
                source,
                "position",
                f"a position no other lesson of “{spec['course']}” has; {spec['position']} is “{taken}”'s",
            )
    try:
        with transaction.atomic():
            result = import_spec(spec, source=source, prune=prune)
            _check_deferred_constraints()
            return result
    except IntegrityError as error:
        raise LessonFileError(source, "the file", f"content the database accepts ({error})") from error


def _check_deferred_constraints():
    """Postgres checks DEFERRED unique constraints at commit; check them now, where the error can be reported."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def flashcards_append(*, lesson: Lesson, cards: list[tuple[str, str]], expected_count: int) -> list[Flashcard]:
    """Add cards after the lesson's last card, once: refuse if the card count is not the one previewed.

    ``bulk_create`` sends no ``post_save``, so the lesson's ``updated_at`` is bumped here as
    ``lessons.signals`` does for one card: the cached practice page and "updated since" see the new cards.
    """
    with transaction.atomic():
        Lesson.objects.select_for_update().filter(pk=lesson.pk).first()
        stats = Flashcard.objects.filter(lesson=lesson).aggregate(count=Count("pk"), last=Max("position"))
        if stats["count"] != expected_count:
            raise ApplicationError(STALE_FLASHCARDS, status=409)
        start = (stats["last"] or 0) + 1
        created = Flashcard.objects.bulk_create(
            Flashcard(lesson=lesson, position=start + i, front=front, back=back)
            for i, (front, back) in enumerate(cards)
        )
        Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
        return created


# Every student record that hangs off a lesson's content, and how to reach the lesson from it.
STUDENT_RECORDS = [
    (SelfCheckAttempt, "question__lesson"),
    (OrderingAttempt, "exercise__lesson"),
    (OrderingReveal, "exercise__lesson"),
    (PredictionSubmission, "exercise__lesson"),
    (PredictionDraft, "exercise__lesson"),
    (CardState, "card__lesson"),
    (ReviewLog, "card__lesson"),
    (FlashcardReveal, "card__lesson"),
    (LessonCompletion, "lesson"),
]


def student_records_for_lessons(lessons) -> int:
    """How many student records deleting these lessons would delete with them (one query per record type)."""
    return sum(model.objects.filter(**{f"{path}__in": lessons}).count() for model, path in STUDENT_RECORDS)


def student_records_for_exercise(exercise) -> int:
    """Student records of one ordering or prediction exercise (attempts, reveals, submissions, drafts)."""
    counts = [
        model.objects.filter(exercise=exercise).count()
        for model, path in STUDENT_RECORDS
        if path == "exercise__lesson" and model._meta.get_field("exercise").related_model is type(exercise)
    ]
    return sum(counts)
