"""Course content: what instructors author and students practise.

Every item a student acts on (a lesson, a self-check question, an ordering
exercise and each of its stages, a prediction and each rubric point, a
flashcard) has a ``uid``: a short id that survives reordering, editing and
re-import, written as ``id:`` in the lesson file. Student records point at the
row; the lesson file finds the row by its ``uid``, never by its position.

An item removed while students have records on it is archived
(``archived_at``), not deleted: ``.live()`` leaves it off the practice page,
the review queue and the dashboard totals, its records stay, and it can be
restored. Archived rows sit at positions from ``ARCHIVED_POSITION_BASE`` up, so
they never take a place a live item needs.
"""

import secrets

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

UID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed without doubt
UID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
ARCHIVED_POSITION_BASE = 1_000_000


def new_uid(prefix):
    """A short, readable id such as ``q-7kx2mp``: unique in practice, checked by a constraint anyway."""
    return f"{prefix}-" + "".join(secrets.choice(UID_ALPHABET) for _ in range(6))


def lesson_uid():
    return new_uid("l")


def question_uid():
    return new_uid("q")


def ordering_uid():
    return new_uid("o")


def stage_uid():
    return new_uid("s")


def prediction_uid():
    return new_uid("p")


def rubric_uid():
    return new_uid("r")


def card_uid():
    return new_uid("c")


def uid_field(default):
    return models.CharField(
        "id",
        max_length=40,
        default=default,
        validators=[RegexValidator(UID_PATTERN, "Letters, digits, '-', '_' or '.', at most 40.")],
        help_text="Stable id of this item in lesson files; student records follow it, not the position.",
    )


class ItemQuerySet(models.QuerySet):
    def live(self):
        """Items students see: not archived."""
        return self.filter(archived_at__isnull=True)

    def archived(self):
        """Items removed while students had records on them, kept for those records."""
        return self.filter(archived_at__isnull=False)


class ArchivableItem(models.Model):
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when removed while students had records on it; they are kept."
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_archived(self):
        return self.archived_at is not None

    def archive_fields(self, *, now=None, slot=0):
        """Mark archived and move out of the live positions; the caller saves (alone or in bulk)."""
        self.archived_at = now or timezone.now()
        for name in self.POSITION_FIELDS:
            setattr(self, name, ARCHIVED_POSITION_BASE + slot)


class Course(models.Model):
    title = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("course_detail", args=[self.slug])


def practice_prefetches():
    """The live lesson content the practice page shows: six queries, whatever its size. Archived items stay out."""
    return (
        Prefetch("questions", queryset=SelfCheckQuestion.objects.live()),
        Prefetch(
            "ordering_exercises",
            queryset=OrderingExercise.objects.live().prefetch_related(
                Prefetch("items", queryset=OrderingItem.objects.live())
            ),
        ),
        Prefetch(
            "predictions",
            queryset=PredictionExercise.objects.live().prefetch_related(
                Prefetch("rubric_points", queryset=RubricPoint.objects.live())
            ),
        ),
        Prefetch("flashcards", queryset=Flashcard.objects.live()),
    )


class LessonQuerySet(models.QuerySet):
    def published(self):
        """Lessons students may see."""
        return self.filter(published=True)

    def for_practice(self):
        """Everything the practice page shows, in a fixed number of queries."""
        return self.select_related("course").prefetch_related(*practice_prefetches())

    def with_archived_items(self):
        """Every item, archived ones too (after the live ones): what students' records may point at."""
        return self.select_related("course").prefetch_related(
            "questions",
            Prefetch("ordering_exercises", queryset=OrderingExercise.objects.prefetch_related("items")),
            Prefetch("predictions", queryset=PredictionExercise.objects.prefetch_related("rubric_points")),
            "flashcards",
        )


class LessonItemQuerySet(ItemQuerySet):
    """Questions, exercises and cards: each belongs to one lesson."""

    def published(self):
        """Items students may see: live (not archived), in a published lesson."""
        return self.live().filter(lesson__published=True)


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="lessons")
    slug = models.SlugField(max_length=100, unique=True)
    uid = models.CharField(
        "id",
        max_length=40,
        unique=True,
        default=lesson_uid,
        validators=[RegexValidator(UID_PATTERN, "Letters, digits, '-', '_' or '.', at most 40.")],
        help_text="Stable id of the lesson in lesson files (the slug may change; this does not).",
    )
    title = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)
    published = models.BooleanField(default=True)
    self_check_intro = models.TextField(blank=True, help_text="Markdown.")
    exercises_title = models.CharField(max_length=300, blank=True)
    exercises_intro = models.TextField(blank=True, help_text="Markdown.")
    side_effects = models.TextField(blank=True, help_text="Markdown.")
    flashcards_intro = models.TextField(blank=True, help_text="Markdown.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course__position", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"],
                name="lesson_unique_position_per_course",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("lesson_detail", args=[self.slug])


class SelfCheckQuestion(ArchivableItem):
    POSITION_FIELDS = ("position",)

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    uid = uid_field(question_uid)
    position = models.PositiveIntegerField(default=0)
    question = models.TextField(help_text="Markdown.")
    answer = models.TextField(help_text="Markdown.")

    objects = LessonItemQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"],
                name="question_unique_position_per_lesson",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["lesson", "uid"], name="question_unique_uid"),
        ]

    def __str__(self):
        return f"{self.lesson.slug} Q{self.position}: {self.question[:60]}"


class OrderingExercise(ArchivableItem):
    POSITION_FIELDS = ("position",)

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="ordering_exercises")
    uid = uid_field(ordering_uid)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    prompt = models.TextField(help_text="Markdown.")
    explanation = models.TextField(blank=True, help_text="Markdown.")

    objects = LessonItemQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"],
                name="ordering_unique_position_per_lesson",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["lesson", "uid"], name="ordering_unique_uid"),
        ]

    def __str__(self):
        return self.title

    def live_items(self):
        """The stages students see (archived ones are kept for old attempts only)."""
        return [item for item in self.items.all() if item.archived_at is None]

    def display_items(self):
        """Items in the scrambled order students first see."""
        return sorted(self.live_items(), key=lambda item: item.display_position)

    def correct_labels(self):
        """The labels in the correct order."""
        return [item.label for item in sorted(self.live_items(), key=lambda item: item.correct_position)]


class OrderingItem(ArchivableItem):
    """A stage of an ordering exercise: its own id, so its label and text may change without losing attempts."""

    POSITION_FIELDS = ("display_position", "correct_position")

    exercise = models.ForeignKey(OrderingExercise, on_delete=models.CASCADE, related_name="items")
    uid = uid_field(stage_uid)
    label = models.CharField(max_length=10)
    text = models.TextField(help_text="Markdown.")
    display_position = models.PositiveIntegerField(help_text="Place in the scrambled list students see.")
    correct_position = models.PositiveIntegerField(help_text="Place in the correct order.")

    class Meta:
        ordering = ["exercise", "display_position"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "label"],
                name="item_unique_label_per_exercise",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["exercise", "uid"], name="item_unique_uid"),
            models.UniqueConstraint(
                fields=["exercise", "display_position"],
                name="item_unique_display_position_per_exercise",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["exercise", "correct_position"],
                name="item_unique_correct_position_per_exercise",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]

    def __str__(self):
        return f"({self.label}) {self.text[:60]}"


class PredictionExercise(ArchivableItem):
    POSITION_FIELDS = ("position",)

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="predictions")
    uid = uid_field(prediction_uid)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    prompt = models.TextField(help_text="Markdown.")
    model_answer = models.TextField(help_text="Markdown.")
    rubric_note = models.TextField(blank=True, help_text="Markdown.")

    objects = LessonItemQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"],
                name="prediction_unique_position_per_lesson",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["lesson", "uid"], name="prediction_unique_uid"),
        ]

    def __str__(self):
        return self.title


class RubricPoint(ArchivableItem):
    POSITION_FIELDS = ("position",)

    exercise = models.ForeignKey(PredictionExercise, on_delete=models.CASCADE, related_name="rubric_points")
    uid = uid_field(rubric_uid)
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["exercise", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "position"],
                name="rubric_unique_position_per_exercise",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["exercise", "uid"], name="rubric_unique_uid"),
        ]

    def __str__(self):
        return self.text


class Flashcard(ArchivableItem):
    POSITION_FIELDS = ("position",)

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="flashcards")
    uid = uid_field(card_uid)
    position = models.PositiveIntegerField(default=0)
    front = models.TextField(help_text="Markdown.")
    back = models.TextField(help_text="Markdown.")

    objects = LessonItemQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"],
                name="flashcard_unique_position_per_lesson",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["lesson", "uid"], name="flashcard_unique_uid"),
        ]

    def __str__(self):
        return self.front[:80]


def count_of(model, field="lesson"):
    """A correlated COUNT subquery of the live ``model`` rows pointing at the outer row by ``field``: one column,
    any size. Archived items are not counted (not in the totals, not in the admin's counts)."""
    rows = model.objects.live().filter(**{field: OuterRef("pk")}).order_by().values(field)
    rows = rows.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)
