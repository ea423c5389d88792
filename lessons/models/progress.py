"""What each student has done on the practice page."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce

from .content import Lesson, OrderingExercise, PredictionExercise, RubricPoint, SelfCheckQuestion


class Verdict(models.TextChoices):
    GOT_IT = "got_it", "Got it"
    PARTLY = "partly", "Partly"
    MISSED = "missed", "Missed"


class SelfCheckAttempt(models.Model):
    """A student's first reveal of a self-check question and their own verdict."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="self_check_attempts")
    question = models.ForeignKey(SelfCheckQuestion, on_delete=models.CASCADE, related_name="attempts")
    answer_text = models.TextField(blank=True)
    revealed_at = models.DateTimeField()
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    judged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["revealed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="selfcheck_one_attempt_per_user_question"),
        ]

    def __str__(self):
        return f"{self.user} on {self.question_id}: {self.verdict or 'revealed'}"


class OrderingAttempt(models.Model):
    """One graded submission of an ordering exercise. Every attempt is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ordering_attempts")
    exercise = models.ForeignKey(OrderingExercise, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(help_text="1 for the first try.")
    order = models.JSONField(help_text="The submitted labels, in order.")
    pairs_in_order = models.PositiveIntegerField()
    pairs_total = models.PositiveIntegerField()
    score = models.FloatField(help_text="Share of pairs in the right relative order (0-1).")
    is_correct = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["exercise", "user", "number"]
        constraints = [
            models.UniqueConstraint(fields=["user", "exercise", "number"], name="ordering_attempt_unique_number"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=1), name="ordering_score_0_1"),
        ]

    def __str__(self):
        return f"{self.user} try {self.number} on {self.exercise_id}: {'correct' if self.is_correct else self.score}"


class OrderingReveal(models.Model):
    """The student asked to see the answer of an ordering exercise."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ordering_reveals")
    exercise = models.ForeignKey(OrderingExercise, on_delete=models.CASCADE, related_name="reveals")
    revealed_at = models.DateTimeField()

    class Meta:
        ordering = ["revealed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "exercise"], name="ordering_one_reveal_per_user"),
        ]

    def __str__(self):
        return f"{self.user} revealed {self.exercise_id}"


class Confidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class PredictionDraft(models.Model):
    """The text a student is still writing, saved as they type."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prediction_drafts")
    exercise = models.ForeignKey(PredictionExercise, on_delete=models.CASCADE, related_name="drafts")
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "exercise"], name="prediction_one_draft_per_user"),
        ]

    def __str__(self):
        return f"Draft by {self.user} on {self.exercise_id}"


class PredictionSubmissionQuerySet(models.QuerySet):
    def for_responses(self):
        """Every submission with what the read-only admin shows, in a fixed number of queries."""
        rubric_total = (
            RubricPoint.objects.filter(exercise=models.OuterRef("exercise"))
            .order_by()
            .values("exercise")
            .annotate(total=models.Count("pk"))
            .values("total")
        )
        return (
            self.select_related("user", "exercise__lesson")
            .prefetch_related("named_points")
            .annotate(
                named_count=models.Count("named_points", distinct=True),
                rubric_total=Coalesce(models.Subquery(rubric_total), 0),
            )
        )


class PredictionSubmission(models.Model):
    """A submitted prediction; every submission is kept, the latest is shown."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prediction_submissions")
    exercise = models.ForeignKey(PredictionExercise, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField(help_text="1 for the first submission.")
    text = models.TextField()
    confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    named_points = models.ManyToManyField(RubricPoint, blank=True, related_name="submissions")
    marked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = PredictionSubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["exercise", "user", "number"]
        constraints = [
            models.UniqueConstraint(fields=["user", "exercise", "number"], name="prediction_unique_number"),
        ]

    def __str__(self):
        return f"{self.user} prediction {self.number} on {self.exercise_id}"


class LessonCompletion(models.Model):
    """When a student first completed a lesson. Completion only moves forward."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="completion_one_per_user_lesson"),
        ]

    def __str__(self):
        return f"{self.user} completed {self.lesson_id}"


class StudentProgress(models.Model):
    """A student's progress on a lesson, kept as it happens (the projection the pages read).

    Written only by ``lessons.services.progress`` in the same transaction as the activity or
    content edit that changed it; ``manage.py verify_progress`` recomputes it from the raw
    records. ``version`` grows with every write of the student on the lesson (practice page cache key).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="student_progress")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started = models.BooleanField(default=False)
    last_active = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="The recorded completion, or the last activity of a lesson at 100%."
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["user", "lesson"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="progress_one_per_user_lesson"),
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="progress_done_le_total"),
        ]
        indexes = [models.Index(fields=["lesson", "user"], name="progress_by_lesson_user")]
        verbose_name_plural = "student progress"

    def __str__(self):
        return f"{self.user} on {self.lesson_id}: {self.done}/{self.total}"
