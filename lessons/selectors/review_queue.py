"""The review queue: which cards a student studies now, and the student's study day.

A study day starts at the student's rollover hour (default 4 am, as in Anki) in
their time zone (blank: the site's ``TIME_ZONE``). Learning and relearning cards
are due at their exact time; a Review card counts as due for the whole study day
it falls in, as Anki does. New cards come after the due ones, in lesson order,
up to the student's daily cap of new cards per study day.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef

from lessons.models import (
    CardState,
    ClassLesson,
    Flashcard,
    FlashcardReveal,
    LessonCompletion,
    OrderingAttempt,
    OrderingReveal,
    PredictionSubmission,
    ReviewLog,
    SelfCheckAttempt,
)


def day_start(now, *, zone, rollover_hour):
    """When the study day containing ``now`` began (an aware datetime)."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(rollover_hour), tzinfo=zone)
    if local < start:
        start = datetime.combine(local.date() - timedelta(days=1), time(rollover_hour), tzinfo=zone)
    return start


def next_day_start(start, *, zone, rollover_hour):
    """The start of the study day after the one that began at ``start`` (DST-safe)."""
    local = start.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(rollover_hour), tzinfo=zone)


def study_date(moment, *, zone, rollover_hour):
    """The calendar date of the study day a moment belongs to."""
    return (moment.astimezone(zone) - timedelta(hours=rollover_hour)).date()


def new_cards(user):
    """Cards the student has never rated, in lessons they started or that a class of theirs assigns.

    "Started" is what the home page calls started (``lessons.selectors.lesson_progress``): any activity of the lesson done.
    """
    lesson = OuterRef("lesson")
    started = (
        Exists(CardState.objects.filter(user=user, card__lesson=lesson))
        | Exists(FlashcardReveal.objects.filter(user=user, card__lesson=lesson))
        | Exists(SelfCheckAttempt.objects.filter(user=user, question__lesson=lesson))
        | Exists(OrderingAttempt.objects.filter(user=user, exercise__lesson=lesson))
        | Exists(OrderingReveal.objects.filter(user=user, exercise__lesson=lesson))
        | Exists(PredictionSubmission.objects.filter(user=user, exercise__lesson=lesson))
        | Exists(LessonCompletion.objects.filter(user=user, lesson=lesson))
        | Exists(ClassLesson.objects.filter(lesson=lesson, classroom__enrollments__student=user))
    )
    return (
        Flashcard.objects.published()
        .filter(started)
        .exclude(Exists(CardState.objects.filter(user=user, card=OuterRef("pk"))))
        .order_by("lesson__course__position", "lesson__position", "lesson_id", "position")
    )


def new_introduced_since(user, start):
    """How many new cards the student rated for the first time since ``start`` (undone ones excluded)."""
    return ReviewLog.objects.live().filter(user=user, reviewed_at__gte=start, state_before__isnull=True).count()


@dataclass
class Queue:
    """The student's queue now: counts and the card to show first."""

    due_count: int
    new_count: int
    new_limit: int
    head_state: CardState | None
    head_card: Flashcard | None
    day_start: datetime
    day_end: datetime

    @property
    def left(self):
        return self.due_count + self.new_count


def queue_for(user, *, now, study_settings, with_head=True):
    """Counts of due and new cards (new ones capped for the day), and the first card. Five queries at most."""
    zone = study_settings.zone
    start = day_start(now, zone=zone, rollover_hour=study_settings.rollover_hour)
    end = next_day_start(start, zone=zone, rollover_hour=study_settings.rollover_hour)
    due = CardState.objects.published().due_for(user, now=now, day_end=end)
    due_count = due.count()
    new_limit = max(0, study_settings.new_cards_per_day - new_introduced_since(user, start))
    new = new_cards(user)
    new_count = new[:new_limit].count() if new_limit else 0
    head_state = head_card = None
    if with_head:
        if due_count:
            head_state = due.select_related("card__lesson").first()
            head_card = head_state.card if head_state else None
        elif new_count:
            head_card = new.select_related("lesson").first()
    return Queue(
        due_count=due_count,
        new_count=new_count,
        new_limit=new_limit,
        head_state=head_state,
        head_card=head_card,
        day_start=start,
        day_end=end,
    )


def next_due_at(user):
    """When the student's next card falls due (None when they have no scheduled card)."""
    state = CardState.objects.published().filter(user=user).order_by("due").first()
    return state.due if state else None
