"""Spaced-repetition state: one FSRS card state per (student, review item), an append-only log.

One model for every kind of retrieval item (issue 18). A review item is a flashcard, a self-check
question or an ordering exercise: ``CardState``, ``ReviewLog`` and ``FlashcardReveal`` each carry three
nullable foreign keys (``card``, ``question``, ``exercise``) and a check constraint that exactly one is
set. Why one table and not one per kind: the queue, the daily caps, the statistics, the optimizer and exam
planning all read "the student's items" and their ratings; with one table each of them is one query and
one code path, and FSRS does not care what was retrieved. Readers that mean flashcards only (the
flashcard dashboards, the .apkg, the progress of the flashcards activity) say so with ``card__isnull=False``
or a ``card__...`` filter.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models

from .content import Course, Flashcard, Lesson, OrderingExercise, SelfCheckQuestion


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


class ItemKind(models.TextChoices):
    """The kinds of review item (which of the three foreign keys is set)."""

    CARD = "card", "Flashcard"
    QUESTION = "question", "Self-check question"
    EXERCISE = "exercise", "Ordering exercise"


ITEM_FIELDS = ("card", "question", "exercise")


def exactly_one_item(name):
    """The check constraint of every review model: exactly one of card, question, exercise is set."""
    return models.CheckConstraint(
        condition=(
            models.Q(card__isnull=False, question__isnull=True, exercise__isnull=True)
            | models.Q(card__isnull=True, question__isnull=False, exercise__isnull=True)
            | models.Q(card__isnull=True, question__isnull=True, exercise__isnull=False)
        ),
        name=name,
    )


def item_filter(item) -> dict:
    """The filter that picks ``item``'s rows: ``{"card": card}``, ``{"question": q}`` or ``{"exercise": e}``."""
    if isinstance(item, Flashcard):
        return {"card": item}
    if isinstance(item, SelfCheckQuestion):
        return {"question": item}
    if isinstance(item, OrderingExercise):
        return {"exercise": item}
    raise TypeError(f"not a review item: {item!r}")


class ItemRowMixin:
    """What the three review models share: which item a row is about."""

    @property
    def kind(self) -> str:
        if self.card_id is not None:
            return ItemKind.CARD
        if self.question_id is not None:
            return ItemKind.QUESTION
        return ItemKind.EXERCISE

    @property
    def item(self):
        return getattr(self, self.kind)

    @property
    def item_id(self) -> int:
        return getattr(self, f"{self.kind}_id")


def published_items():
    """Q: rows whose item students may see (live, in a published lesson), whatever its kind."""
    return (
        models.Q(card__lesson__published=True, card__archived_at=None)
        | models.Q(question__lesson__published=True, question__archived_at=None)
        | models.Q(exercise__lesson__published=True, exercise__archived_at=None)
    )


class CardStateQuerySet(models.QuerySet):
    def published(self):
        """States of the items students may see (every kind): live (not archived), in published lessons."""
        return self.filter(published_items())

    def flashcards(self):
        """States of flashcards only."""
        return self.filter(card__isnull=False)

    def reviewing(self, user):
        """The user's published states, less the kinds they switched out of review for a lesson."""
        off = ReviewOptOut.objects.filter(user=user)
        return (
            self.published()
            .filter(user=user)
            .exclude(
                models.Q(question__isnull=False)
                & models.Exists(off.filter(lesson=models.OuterRef("question__lesson"), kind=ItemKind.QUESTION))
            )
            .exclude(
                models.Q(exercise__isnull=False)
                & models.Exists(off.filter(lesson=models.OuterRef("exercise__lesson"), kind=ItemKind.EXERCISE))
            )
        )

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


class CardState(ItemRowMixin, models.Model):
    """A student's FSRS memory state for one review item (a flashcard, a self-check question or an ordering
    exercise: exactly one of the three keys is set)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_states")
    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="states", null=True, blank=True)
    question = models.ForeignKey(
        SelfCheckQuestion, on_delete=models.CASCADE, related_name="review_states", null=True, blank=True
    )
    exercise = models.ForeignKey(
        OrderingExercise, on_delete=models.CASCADE, related_name="review_states", null=True, blank=True
    )
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
            models.UniqueConstraint(fields=["user", "question"], name="cardstate_one_per_user_question"),
            models.UniqueConstraint(fields=["user", "exercise"], name="cardstate_one_per_user_exercise"),
            exactly_one_item("cardstate_exactly_one_item"),
            # Every row is scheduled (a new card has no row), and fsrs needs a memory to schedule from.
            models.CheckConstraint(
                condition=models.Q(stability__isnull=False, difficulty__isnull=False),
                name="cardstate_scheduled_has_memory",
            ),
        ]
        indexes = [
            # The item columns are carried so the dashboard's reviews due per student and lesson (every
            # kind, 24,000 due states for a class of 300) reads the index alone: 3 ms instead of 20 ms.
            models.Index(
                fields=["user", "due"],
                include=["card", "question", "exercise"],
                name="cardstate_user_due",
                condition=models.Q(due__isnull=False),
            ),
            # The class dashboard's one aggregate over card states (cards rated, last review, due,
            # overdue per student and lesson) reads this index alone: 16 ms instead of a 200 ms
            # sequential scan for a class of 300 among 3 million states.
            models.Index(fields=["user", "card"], include=["due", "last_review"], name="cardstate_user_card_cover"),
        ]

    def __str__(self):
        return f"{self.user} {self.kind} {self.item_id} due {self.due:%Y-%m-%d %H:%M}"


class ReviewLogQuerySet(models.QuerySet):
    def live(self):
        """Ratings that were not undone."""
        return self.filter(undone_at__isnull=True)

    def scheduled(self):
        """Live ratings that scheduled their card (practice ratings left the schedule alone)."""
        return self.live().filter(practice=False)


class ReviewLog(ItemRowMixin, models.Model):
    """One rating of a review item, never edited except to mark it undone. Keeps the state before it, for undo."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="review_logs", null=True, blank=True)
    question = models.ForeignKey(
        SelfCheckQuestion, on_delete=models.CASCADE, related_name="review_logs", null=True, blank=True
    )
    exercise = models.ForeignKey(
        OrderingExercise, on_delete=models.CASCADE, related_name="review_logs", null=True, blank=True
    )
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
        constraints = [exactly_one_item("reviewlog_exactly_one_item")]
        indexes = [
            # The student's ratings by time carry what the hot reads filter and count on (the Today page's
            # reviews a day, the queue's ratings so far today), so those read the index alone: a few pages
            # instead of one heap page a rating (330 for a student at scale 10, where the ratings of 20,000
            # students lie in 3 GB and most of them outside the buffers).
            models.Index(
                fields=["user", "reviewed_at"],
                include=["undone_at", "practice", "state_before"],
                name="reviewlog_user_time",
            ),
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
        return f"{self.user} rated {self.kind} {self.item_id} {self.get_rating_display()}"


class FlashcardReveal(ItemRowMixin, models.Model):
    """The student's sitting with a review item in /review/: when its answer was shown, and when its front.

    For a flashcard: the last time the card was turned over. For a self-check question: "Show answer",
    with what the student typed. For an ordering exercise: the sitting's tries so far and the last order
    (``revealed_at`` is set by "Show answer" or by the solving check). A reveal counts for the rating
    that follows it in the same sitting only (``scheduling.reveal_counts``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flashcard_reveals")
    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="reveals", null=True, blank=True)
    question = models.ForeignKey(
        SelfCheckQuestion, on_delete=models.CASCADE, related_name="review_reveals", null=True, blank=True
    )
    exercise = models.ForeignKey(
        OrderingExercise, on_delete=models.CASCADE, related_name="review_reveals", null=True, blank=True
    )
    revealed_at = models.DateTimeField(null=True, blank=True, help_text="When the answer was shown.")
    shown_at = models.DateTimeField(null=True, blank=True, help_text="When the front was shown (the duration starts).")
    answer_text = models.TextField(blank=True, help_text="A self-check question: what the student typed.")
    tries = models.PositiveSmallIntegerField(default=0, help_text="An ordering exercise: checks in this sitting.")
    order = models.JSONField(null=True, blank=True, help_text="An ordering exercise: the sitting's last order.")

    class Meta:
        ordering = ["-revealed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "card"], name="flashcard_one_reveal_per_user_card"),
            models.UniqueConstraint(fields=["user", "question"], name="reveal_one_per_user_question"),
            models.UniqueConstraint(fields=["user", "exercise"], name="reveal_one_per_user_exercise"),
            exactly_one_item("reveal_exactly_one_item"),
        ]

    def __str__(self):
        return f"{self.user} revealed {self.kind} {self.item_id}"


def current_sitting(*, state, sitting, now, clock):
    """An exercise's sitting row if it belongs to the current review of it, else None (start afresh).

    A sitting begun before the item's last rating, or on an earlier study day (``clock``: the student's
    ``scheduling.StudyClock``), is over.
    """
    if sitting is None or state is None:
        return None
    started = sitting.shown_at or sitting.revealed_at
    if started is None or (state.last_review and started <= state.last_review):
        return None
    if clock.date_of(started) != clock.date_of(now):
        return None
    return sitting


class ReviewOptOut(models.Model):
    """A lesson's self-check questions or ordering exercises that a student switched out of review.

    Per lesson, as the issue asks. The row's existence is the switch: their states and logs stay (nothing
    is deleted), the queue leaves them out, and switching back brings them back as they were.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_opt_outs")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="review_opt_outs")
    kind = models.CharField(max_length=16, choices=[c for c in ItemKind.choices if c[0] != ItemKind.CARD])

    class Meta:
        ordering = ["user", "lesson", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson", "kind"], name="optout_one_per_user_lesson_kind"),
            models.CheckConstraint(condition=models.Q(kind__in=["question", "exercise"]), name="optout_kind"),
        ]

    def __str__(self):
        return f"{self.user} does not review the {self.kind}s of {self.lesson}"


class Theme(models.TextChoices):
    SYSTEM = "", "Follow my device"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class StudentSettingsQuerySet(models.QuerySet):
    def for_user(self, user):
        """The student's settings, or the defaults (unsaved) when they never saved any (one query).

        A raw query: every student page reads the settings, and Django took 0.5 ms to build and run the
        filter against 0.2 ms for this text."""
        table = connection.ops.quote_name(StudentSettings._meta.db_table)
        found = list(self.raw(f"SELECT * FROM {table} WHERE user_id = %s", [user.pk]))  # noqa: S608
        return found[0] if found else StudentSettings(user=user)


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


class StudentExamQuerySet(models.QuerySet):
    def upcoming(self, user, *, today):
        """The student's exam dates from ``today`` on, soonest first, with their course."""
        return self.filter(user=user, date__gte=today).select_related("course").order_by("date", "course__position")


class StudentExam(models.Model):
    """A date a student set for a course ("my exam is on ..."): their plan keeps its lessons above their
    desired retention on that day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exams")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exams")
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StudentExamQuerySet.as_manager()

    class Meta:
        ordering = ["user", "date"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="studentexam_one_per_user_course")]

    def __str__(self):
        return f"{self.user}: {self.course} exam on {self.date:%Y-%m-%d}"
