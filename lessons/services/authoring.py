"""Authoring writes done from the admin: lesson files and pasted flashcards.

Keyword-only, typed, atomic. Lesson files go through ``lessons.lessonfile`` so
the admin validates and reports exactly like ``manage.py import_lessons``.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.lessonfile import LessonFileError, LessonPlan, apply_plan, check_deferred_constraints, parse_text
from lessons.lessonfile.sync import plan_lesson
from lessons.models import (
    Flashcard,
    Lesson,
    OrderingAttempt,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
    SelfCheckQuestion,
)
from lessons.models.content import ARCHIVED_POSITION_BASE
from lessons.models.records import ITEM_RECORDS as ALL_ITEM_RECORDS
from lessons.models.records import LESSON_RECORDS
from lessons.services.progress import lesson_progress_refresh

STALE_FLASHCARDS = "The lesson's cards changed since the preview (a second click, or another editor)."


class PlanChanged(ApplicationError):
    """The lesson changed between the confirmation page and Apply: the plan shown is no longer what would happen.

    Carries the plan as it is now, so the confirmation page can show it again.
    """

    def __init__(self, plan):
        super().__init__("The lesson changed since this plan was made: check the new plan.", status=409)
        self.plan = plan


def lesson_file_plan(*, text: str, source: str) -> LessonPlan:
    """What uploading this lesson file would change; writes nothing. Raises LessonFileError."""
    spec = parse_text(text, source)
    with transaction.atomic():
        return plan_lesson(spec, source=source)


def lesson_file_apply(*, text: str, source: str, fingerprint: str) -> LessonPlan:
    """Apply the file's plan in one transaction, only if it is still the plan the instructor confirmed."""
    spec = parse_text(text, source)
    with transaction.atomic():
        _lesson_lock(Lesson.objects.filter(slug=spec["slug"]))
        plan = plan_lesson(spec, source=source)
        if plan.fingerprint() != fingerprint:
            raise PlanChanged(plan)
        try:
            with transaction.atomic():
                apply_plan(plan)
                check_deferred_constraints()
        except IntegrityError as error:
            raise LessonFileError(source, "the file", f"content the database accepts ({error})") from None
        return plan


def flashcards_append(*, lesson: Lesson, cards: list[tuple[str, str]], expected_count: int) -> list[Flashcard]:
    """Add cards after the lesson's last card, once: refuse if the card count is not the one previewed.

    ``bulk_create`` sends no ``post_save``, so the lesson's ``updated_at`` is bumped here as
    ``lessons.signals`` does for one card: the cached practice page and "updated since" see the new cards.
    """
    with transaction.atomic():
        _lesson_lock(Lesson.objects.filter(pk=lesson.pk))
        stats = Flashcard.objects.live().filter(lesson=lesson).aggregate(count=Count("pk"), last=Max("position"))
        if stats["count"] != expected_count:
            raise ApplicationError(STALE_FLASHCARDS, status=409)
        start = (stats["last"] or 0) + 1
        created = Flashcard.objects.bulk_create(
            Flashcard(lesson=lesson, position=start + i, front=front, back=back)
            for i, (front, back) in enumerate(cards)
        )
        Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
        lesson_progress_refresh(lesson=lesson)  # a first card adds the flashcards activity
        return created


# Every student record that hangs off a lesson's content, and how to reach the lesson from it.
STUDENT_RECORDS = LESSON_RECORDS


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


# ---------------------------------------------------------------- archive, restore, purge

ITEM_MODELS = {
    "question": SelfCheckQuestion,
    "ordering": OrderingExercise,
    "stage": OrderingItem,
    "prediction": PredictionExercise,
    "rubric": RubricPoint,
    "card": Flashcard,
}
# The student records deleted with an item (a stage's attempts belong to its exercise and stay).
ITEM_RECORDS = {model: [(r.model, r.item) for r in records] for model, records in ALL_ITEM_RECORDS.items()}


def student_records_for_item(item) -> int:
    """Student records that hang off one item (what deleting it for good would delete)."""
    return sum(model.objects.filter(**{fk: item}).count() for model, fk in ITEM_RECORDS[type(item)])


def item_is_used(item) -> bool:
    """Students have records on it: removing it archives it. A stage is used once its exercise has attempts."""
    if isinstance(item, OrderingItem):
        return OrderingAttempt.objects.filter(exercise_id=item.exercise_id).exists()
    return any(model.objects.filter(**{fk: item}).exists() for model, fk in ITEM_RECORDS[type(item)])


def _lesson_lock(lessons) -> None:
    """Serialise edits of a lesson on its row, without blocking students' writes (see ``services.progress``).

    FOR NO KEY UPDATE of the lesson row alone: a plain FOR UPDATE (and the course row the default
    ordering joins) would also block every insert that references the lesson (a student's
    progress row or completion), which could then deadlock with the edit's progress refresh.
    """
    lessons.select_for_update(no_key=True, of=("self",)).order_by("pk").first()


def _lesson_id(item):
    return item.exercise.lesson_id if isinstance(item, (OrderingItem, RubricPoint)) else item.lesson_id


def _siblings(item):
    model = type(item)
    if isinstance(item, (OrderingItem, RubricPoint)):
        return model.objects.filter(exercise_id=item.exercise_id)
    return model.objects.filter(lesson_id=item.lesson_id)


def _refresh_progress(item):
    """Archiving or restoring an activity changes its lesson's totals: rewrite the kept progress, same transaction."""
    if not isinstance(item, (OrderingItem, RubricPoint)):
        lesson_progress_refresh(lesson=Lesson.objects.get(pk=_lesson_id(item)))


def item_archive(*, item) -> None:
    """Take an item off the practice page, the review queue and the totals; every record stays."""
    with transaction.atomic():
        _lesson_lock(Lesson.objects.filter(pk=_lesson_id(item)))
        last = _siblings(item).archived().aggregate(last=Max(item.POSITION_FIELDS[0]))["last"]
        slot = (last - ARCHIVED_POSITION_BASE + 1) if last else 1
        item.archive_fields(slot=slot)
        item.save(update_fields=["archived_at", *item.POSITION_FIELDS])
        _refresh_progress(item)


def item_restore(*, item) -> None:
    """Put an archived item back, after the live items; refuses a stage whose label a live stage now has."""
    with transaction.atomic():
        _lesson_lock(Lesson.objects.filter(pk=_lesson_id(item)))
        live = _siblings(item).live()
        if isinstance(item, OrderingItem) and live.filter(label=item.label).exists():
            raise ApplicationError(
                f"A live stage of “{item.exercise}” has the label “{item.label}”: give it another label first.",
                status=409,
            )
        for name in item.POSITION_FIELDS:
            last = live.aggregate(last=Max(name))["last"] or 0
            setattr(item, name, last + 1)
        item.archived_at = None
        item.save(update_fields=["archived_at", *item.POSITION_FIELDS])
        _refresh_progress(item)


def item_purge(*, item, expected_records: int) -> int:
    """Delete an item for good with its student records, only if the count is the one the instructor confirmed."""
    with transaction.atomic():
        _lesson_lock(Lesson.objects.filter(pk=_lesson_id(item)))
        count = student_records_for_item(item)
        if count != expected_records:
            raise ApplicationError(
                f"Nothing deleted: “{item}” now has {count} student records, not {expected_records}. Check again.",
                status=409,
            )
        item.delete()
        return count


def student_records_by_item(model, items) -> dict:
    """{item pk: student records}, one query per kind of record, for a page listing many items."""
    counts = {}
    pks = [item.pk for item in items]
    if not pks:
        return counts
    for record, fk in ITEM_RECORDS[model]:
        for pk, n in record.objects.filter(**{f"{fk}__in": pks}).values_list(fk).annotate(n=Count("pk")).order_by():
            counts[pk] = counts.get(pk, 0) + n
    return counts
