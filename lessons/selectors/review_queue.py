"""The review queue: which cards a student studies now, and the student's study day.

A study day starts at the student's rollover hour (default 4 am, as in Anki) in
their time zone (set from the browser at sign-up; blank: the site's ``TIME_ZONE``).
Anki's queue rules (its v3 scheduler):

1. Intraday learning and relearning cards that are due come first, at their exact time.
2. Then Review cards due by the end of this study day, oldest study day first, and within
   one study day in an order shuffled with a seed of (student, day), so cards learnt
   together do not always come back together; at most ``reviews_per_day`` a day.
3. Then items brought forward for a date that matters (an exam, a class's expected-by date: see
   ``lessons.selectors.exam_plan``), most at risk first, within what is left of ``reviews_per_day``.
4. Then new cards, in lesson order, at most ``new_cards_per_day`` a day.
5. When nothing else is left, (re)learning cards due within the learn-ahead limit
   (default 20 minutes) are shown early, instead of "Nothing due" for a few minutes.

Every review item is in this queue (issue 18): flashcards, and the self-check questions and ordering
exercises a student has tried once on the practice page (that first try is their first review, so they
are never "new" here; it counts toward the day's new limit all the same). Kinds a student switched out of
review for a lesson (``ReviewOptOut``) are left out. The counts and the caps count every kind.

Twin flashcards: a lesson's new flashcards are introduced from the study day after the student's first
self-check answer in that lesson, not the same day: the answer read minutes earlier would inflate the
card's first rating (its twin question often asks the same thing).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import MD5, Cast, Concat, TruncDate

from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Flashcard,
    FlashcardReveal,
    ReviewLog,
    SelfCheckAttempt,
    StudentProgress,
)
from lessons.selectors import exam_plan


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


def new_cards(user, *, today_start=None):
    """Cards the student has never rated, in lessons they started or that a class of theirs assigns.

    "Started" is what the home page calls started (``lessons.selectors.lesson_progress``): any activity of the lesson done.
    With ``today_start`` (the start of the student's study day), a lesson whose first self-check answer
    was given today keeps its new cards until tomorrow (the twin-card rule, see the module's docstring).
    """
    lesson = OuterRef("lesson")
    # The kept progress row exists exactly when the student has a record on the lesson's live items (or
    # its completion): one index probe instead of six EXISTS over the records, which cost more to build
    # in Python than to run. A card turned over on the practice page writes no row, so it is asked apart.
    started = (
        Exists(StudentProgress.objects.filter(user=user, lesson=lesson))
        | Exists(FlashcardReveal.objects.filter(user=user, card__lesson=lesson))
        | Exists(ClassLesson.objects.filter(lesson=lesson, classroom__enrollments__student=user))
    )
    cards = (
        Flashcard.objects.published()
        .filter(started)
        .exclude(Exists(CardState.objects.filter(user=user, card=OuterRef("pk"))))
        .order_by("lesson__course__position", "lesson__position", "lesson_id", "position")
    )
    if today_start is not None:
        answers = SelfCheckAttempt.objects.filter(user=user, question__lesson=lesson)
        cards = cards.exclude(
            Exists(answers.filter(revealed_at__gte=today_start)) & ~Exists(answers.filter(revealed_at__lt=today_start))
        )
    return cards


def study_day_sql(field, study_settings):
    """SQL: the study date of a datetime column (shift by the rollover hour, then the local date)."""
    shifted = ExpressionWrapper(F(field) - timedelta(hours=study_settings.rollover_hour), output_field=DateTimeField())
    return TruncDate(shifted, tzinfo=study_settings.zone)


def done_since(user, start):
    """New items introduced and Review items reviewed since ``start``, every kind (practice and undone ones
    excluded): a self-check question's or an exercise's first try counts as new."""
    return (
        ReviewLog.objects.scheduled()
        .filter(user=user, reviewed_at__gte=start)
        .aggregate(
            new=Count("pk", filter=Q(state_before__isnull=True)),
            reviews=Count("pk", filter=Q(state_before=CardStateKind.REVIEW)),
        )
    )


def new_introduced_since(user, start):
    """How many new cards the student rated for the first time since ``start`` (undone ones excluded)."""
    return done_since(user, start)["new"]


LEARNING_STATES = (CardStateKind.LEARNING, CardStateKind.RELEARNING)


def reviews_in_order(states, *, user, today, study_settings):
    """Review cards in due order (by study day), shuffled within a day with a seed of (student, day)."""
    seed = f"{user.pk}:{today.isoformat()}:"
    # A flashcard's key is its id, as before the other kinds joined; a question's "q<id>", an exercise's "e<id>".
    key = Case(
        When(card__isnull=False, then=Cast("card_id", CharField())),
        When(question__isnull=False, then=Concat(Value("q"), Cast("question_id", CharField()))),
        default=Concat(Value("e"), Cast("exercise_id", CharField())),
        output_field=CharField(),
    )
    return states.filter(state=CardStateKind.REVIEW).order_by(
        study_day_sql("due", study_settings), MD5(Concat(Value(seed), key)), "pk"
    )


HEAD_RELATED = ("card__lesson", "question__lesson", "exercise__lesson")


@dataclass
class Queue:
    """The student's queue now: counts and the item to show first (``head_card`` only when it is a flashcard)."""

    learning_count: int
    review_count: int
    new_count: int
    new_limit: int
    review_limit: int
    head_state: CardState | None
    head_card: Flashcard | None
    day_start: datetime
    day_end: datetime
    learn_ahead_count: int = 0
    advanced_count: int = 0  # brought forward for a date that matters (after the due reviews, within the cap)
    head_advanced: exam_plan.Advanced | None = None  # the first item, when it is one of those

    @property
    def head_kind(self):
        """ "card", "question" or "exercise" (None: nothing to show)."""
        if self.head_state is not None:
            return self.head_state.kind
        return "card" if self.head_card is not None else None

    @property
    def due_count(self):
        return self.learning_count + self.review_count + self.advanced_count + self.learn_ahead_count

    @property
    def left(self):
        return self.due_count + self.new_count


def queue_for(user, *, now, study_settings, with_head=True):
    """Counts of the student's items to study now (capped for the day), and the first one. Five queries at most,
    one more when a date that matters may bring items forward."""
    zone = study_settings.zone
    start = day_start(now, zone=zone, rollover_hour=study_settings.rollover_hour)
    end = next_day_start(start, zone=zone, rollover_hour=study_settings.rollover_hour)
    ahead = now + timedelta(minutes=study_settings.learn_ahead_minutes)
    states = CardState.objects.reviewing(user)
    learning = Q(state__in=LEARNING_STATES)
    counts = states.filter(due__lt=max(end, ahead)).aggregate(
        learning=Count("pk", filter=learning & Q(due__lte=now)),
        ahead=Count("pk", filter=learning & Q(due__gt=now, due__lte=ahead)),
        reviews=Count("pk", filter=Q(state=CardStateKind.REVIEW, due__lt=end)),
    )
    done = done_since(user, start)
    review_limit = max(0, study_settings.reviews_per_day - done["reviews"])
    review_count = min(counts["reviews"], review_limit)
    advanced = exam_plan.advanced_states(user, now=now, study_settings=study_settings)
    advanced_count = min(len(advanced), review_limit - review_count)
    new_limit = max(0, study_settings.new_cards_per_day - done["new"])
    new = new_cards(user, today_start=start)
    new_count = new[:new_limit].count() if new_limit else 0
    ahead_count = counts["ahead"] if not (counts["learning"] or review_count or advanced_count or new_count) else 0
    head_state = head_card = head_advanced = None
    if with_head:
        if counts["learning"]:
            head_state = (
                states.filter(learning, due__lte=now).order_by("due", "pk").select_related(*HEAD_RELATED).first()
            )
        elif review_count:
            head_state = (
                reviews_in_order(
                    states.filter(due__lt=end), user=user, today=start.date(), study_settings=study_settings
                )
                .select_related(*HEAD_RELATED)
                .first()
            )
        elif advanced_count:
            head_advanced = advanced[0]
            head_state = head_advanced.state
        elif new_count:
            head_card = new.select_related("lesson").first()
        elif ahead_count:
            head_state = (
                states.filter(learning, due__lte=ahead).order_by("due", "pk").select_related(*HEAD_RELATED).first()
            )
        if head_state is not None:
            head_card = head_state.card  # None when the head is a question or an exercise
    return Queue(
        learning_count=counts["learning"],
        review_count=review_count,
        new_count=new_count,
        new_limit=new_limit,
        review_limit=review_limit,
        head_state=head_state,
        head_card=head_card,
        day_start=start,
        day_end=end,
        learn_ahead_count=ahead_count,
        advanced_count=advanced_count,
        head_advanced=head_advanced,
    )


def next_due_at(user):
    """When the student's next item falls due (None when they have nothing scheduled)."""
    state = CardState.objects.reviewing(user).order_by("due").first()
    return state.due if state else None
