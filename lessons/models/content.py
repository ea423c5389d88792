"""Course content: what instructors author and students practise."""

from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse


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
    """The lesson content the practice page shows: six queries, whatever its size."""
    return (
        "questions",
        Prefetch("ordering_exercises", queryset=OrderingExercise.objects.prefetch_related("items")),
        Prefetch("predictions", queryset=PredictionExercise.objects.prefetch_related("rubric_points")),
        "flashcards",
    )


class LessonQuerySet(models.QuerySet):
    def published(self):
        """Lessons students may see."""
        return self.filter(published=True)

    def for_practice(self):
        """Everything the practice page shows, in a fixed number of queries."""
        return self.select_related("course").prefetch_related(*practice_prefetches())


class LessonItemQuerySet(models.QuerySet):
    """Questions, exercises and cards: each belongs to one lesson."""

    def published(self):
        """Items of lessons students may see."""
        return self.filter(lesson__published=True)


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="lessons")
    slug = models.SlugField(max_length=100, unique=True)
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


class SelfCheckQuestion(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
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
        ]

    def __str__(self):
        return f"{self.lesson.slug} Q{self.position}: {self.question[:60]}"


class OrderingExercise(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="ordering_exercises")
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
        ]

    def __str__(self):
        return self.title

    def display_items(self):
        """Items in the scrambled order students first see."""
        return sorted(self.items.all(), key=lambda item: item.display_position)

    def correct_labels(self):
        """The labels in the correct order."""
        return [item.label for item in sorted(self.items.all(), key=lambda item: item.correct_position)]


class OrderingItem(models.Model):
    exercise = models.ForeignKey(OrderingExercise, on_delete=models.CASCADE, related_name="items")
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


class PredictionExercise(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="predictions")
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
        ]

    def __str__(self):
        return self.title


class RubricPoint(models.Model):
    exercise = models.ForeignKey(PredictionExercise, on_delete=models.CASCADE, related_name="rubric_points")
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
        ]

    def __str__(self):
        return self.text


class Flashcard(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="flashcards")
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
        ]

    def __str__(self):
        return self.front[:80]


def count_of(model, field="lesson"):
    """A correlated COUNT subquery of ``model`` rows pointing at the outer row by ``field``: one column, any size."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)
