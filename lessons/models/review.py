"""Spaced-repetition state: one FSRS card state per (student, card), an append-only log."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .content import Flashcard


class Rating(models.IntegerChoices):
    AGAIN = 1, "Again"
    HARD = 2, "Hard"
    GOOD = 3, "Good"
    EASY = 4, "Easy"


class CardStateKind(models.IntegerChoices):
    """FSRS states. FSRS has no New state: a card without a CardState row is new."""

    LEARNING = 1, "Learning"
    REVIEW = 2, "Review"
    RELEARNING = 3, "Relearning"


class CardStateQuerySet(models.QuerySet):
    def published(self):
        """States of the cards students may see: live (not archived), in published lessons."""
        return self.filter(card__lesson__published=True, card__archived_at=None)

    def due_for(self, user, *, now, day_end):
        """The user's cards to study at ``now``, oldest due first.

        (Re)learning cards are due at their exact time; a Review card is due for the whole study
        day it falls in (which ends at ``day_end``), as in Anki. Driven by the partial index
        ``cardstate_user_due``: a range scan on (user, due < day_end).
        """
        return (
            self.filter(user=user, due__lt=day_end)
            .filter(models.Q(state=CardStateKind.REVIEW) | models.Q(due__lte=now))
            .order_by("due", "pk")
        )


class CardState(models.Model):
    """A student's FSRS memory state for one flashcard."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_states")
    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="states")
    state = models.PositiveSmallIntegerField(choices=CardStateKind.choices)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=0, help_text="Bumped on every change; stale forms are refused.")

    objects = CardStateQuerySet.as_manager()

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(fields=["user", "card"], name="cardstate_one_per_user_card"),
        ]
        indexes = [
            models.Index(fields=["user", "due"], name="cardstate_user_due", condition=models.Q(due__isnull=False)),
            # The class dashboard's one aggregate over card states (cards rated, last review, due,
            # overdue per student and lesson) reads this index alone: 16 ms instead of a 200 ms
            # sequential scan for a class of 300 among 3 million states.
            models.Index(fields=["user", "card"], include=["due", "last_review"], name="cardstate_user_card_cover"),
        ]

    def __str__(self):
        return f"{self.user} card {self.card_id} due {self.due:%Y-%m-%d %H:%M}"


class ReviewLogQuerySet(models.QuerySet):
    def live(self):
        """Ratings that were not undone."""
        return self.filter(undone_at__isnull=True)

    def scheduled(self):
        """Live ratings that scheduled their card (practice ratings left the schedule alone)."""
        return self.live().filter(practice=False)


class ReviewLog(models.Model):
    """One rating, never edited except to mark it undone. Keeps the state before it, for undo."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="review_logs")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="From the front shown to the rating (Anki's answer time)."
    )
    revealed_at = models.DateTimeField(null=True, blank=True, help_text="When the answer was shown.")
    practice = models.BooleanField(
        default=False, help_text="A practice rating of a card that was not due: logged, the schedule unchanged."
    )
    retrievability_before = models.FloatField(null=True, blank=True)
    # The state before the rating (null when the card was new), so undo restores it exactly.
    state_before = models.PositiveSmallIntegerField(choices=CardStateKind.choices, null=True, blank=True)
    step_before = models.PositiveSmallIntegerField(null=True, blank=True)
    stability_before = models.FloatField(null=True, blank=True)
    difficulty_before = models.FloatField(null=True, blank=True)
    due_before = models.DateTimeField(null=True, blank=True)
    last_review_before = models.DateTimeField(null=True, blank=True)
    reps_before = models.PositiveIntegerField(default=0)
    lapses_before = models.PositiveIntegerField(default=0)
    # The state after the rating.
    state_after = models.PositiveSmallIntegerField(choices=CardStateKind.choices)
    stability_after = models.FloatField(null=True, blank=True)
    difficulty_after = models.FloatField(null=True, blank=True)
    due_after = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewLogQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="reviewlog_user_time"),
            models.Index(fields=["card", "rating"], name="reviewlog_card_rating"),
            # A class's ratings of a lesson's cards (the item view's "most Again"), read from the index
            # alone: about 2,000 pages instead of 150,000 heap pages for a class of 300.
            models.Index(
                fields=["user", "card"],
                include=["rating"],
                condition=models.Q(undone_at__isnull=True),
                name="reviewlog_user_card_live",
            ),
        ]

    def __str__(self):
        return f"{self.user} rated card {self.card_id} {self.get_rating_display()}"


class FlashcardReveal(models.Model):
    """The last time a student turned a card over, and when its front was shown before that.

    A reveal counts for the rating that follows it in the same sitting only (see
    ``lessons.services.review.REVEAL_EXPIRES_AFTER``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flashcard_reveals")
    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="reveals")
    revealed_at = models.DateTimeField()
    shown_at = models.DateTimeField(null=True, blank=True, help_text="When the front was shown (the duration starts).")

    class Meta:
        ordering = ["-revealed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "card"], name="flashcard_one_reveal_per_user_card"),
        ]

    def __str__(self):
        return f"{self.user} revealed card {self.card_id}"


class Theme(models.TextChoices):
    SYSTEM = "", "Follow my device"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class StudentSettingsQuerySet(models.QuerySet):
    def for_user(self, user):
        """The student's settings, or the defaults (unsaved) when they never saved any (one query)."""
        return self.filter(user=user).first() or StudentSettings(user=user)


class StudentSettings(models.Model):
    """A student's study preferences."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings")
    desired_retention = models.FloatField(default=0.9, validators=[MinValueValidator(0.7), MaxValueValidator(0.97)])
    new_cards_per_day = models.PositiveSmallIntegerField(default=20, validators=[MaxValueValidator(500)])
    time_zone = models.CharField(max_length=64, blank=True, help_text="Blank: the site's time zone.")
    rollover_hour = models.PositiveSmallIntegerField(default=4, validators=[MaxValueValidator(23)])
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.SYSTEM, blank=True)
    daily_goal = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(500)],
        help_text="Reviews a day the Today page counts toward; 0: no goal.",
    )
    reviews_per_day = models.PositiveSmallIntegerField(default=200, validators=[MaxValueValidator(9999)])
    learn_ahead_minutes = models.PositiveSmallIntegerField(default=20, validators=[MaxValueValidator(720)])
    # The address a verification link proved the student reads (issue 17); the email counts as verified while
    # it is still the account's email, so changing the email needs a new link and no other write.
    verified_email = models.EmailField(max_length=254, blank=True)
    # The FSRS weights this student is scheduled with (None: FSRS's defaults); set by the optimizer.
    fsrs_parameters = models.JSONField(null=True, blank=True)

    objects = StudentSettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "student settings"
        ordering = ["user"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(desired_retention__gte=0.7, desired_retention__lte=0.97),
                name="settings_retention_range",
            ),
            models.CheckConstraint(condition=models.Q(rollover_hour__lte=23), name="settings_rollover_hour"),
        ]

    def __str__(self):
        return f"Settings of {self.user}"

    @property
    def email_verified(self) -> bool:
        """Whether the account's current email is the one a verification link confirmed."""
        email = self.user.email
        return bool(email) and email.casefold() == self.verified_email.casefold()

    @property
    def zone(self) -> ZoneInfo:
        """The student's time zone (blank: the site's ``TIME_ZONE``)."""
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)


class ParameterFit(models.Model):
    """One run of the FSRS optimizer for a student (their own history, or their class's pooled)."""

    class Source(models.TextChoices):
        STUDENT = "student", "Your own reviews"
        CLASS = "class", "Your class's reviews (pooled)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="parameter_fits")
    fitted_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices)
    reviews = models.PositiveIntegerField(help_text="Reviews the parameters were fitted on.")
    parameters = models.JSONField()
    log_loss_before = models.FloatField()
    log_loss_after = models.FloatField()
    rmse_before = models.FloatField()
    rmse_after = models.FloatField()
    kept = models.BooleanField(help_text="Kept only when they lowered the log loss on the student's own history.")

    class Meta:
        ordering = ["-fitted_at"]
        indexes = [models.Index(fields=["user", "fitted_at"], name="parameterfit_user_time")]

    def __str__(self):
        return f"{self.user} fit {self.fitted_at:%Y-%m-%d} ({'kept' if self.kept else 'not kept'})"
