"""Anki's queue rules in /review/: intraday (re)learning first, reviews by day with a seeded shuffle, both caps,
learn-ahead."""

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import MD5, Cast, Concat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons import scheduling
from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Flashcard,
    FlashcardReveal,
    Lesson,
    Rating,
    ReviewLog,
    ReviewOptOut,
    SelfCheckQuestion,
    StudentExam,
    StudentSettings,
)
from lessons.selectors import exam_plan
from lessons.selectors import review_queue as queue
from tests import factory
from tests.factory import synced

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 5, 6, 15, 0, tzinfo=UTC)  # study day of 6 May (UTC, rollover 04:00)


def put(user, card, state, due):
    """A card state, with the student's kept progress row rewritten as every writer of records does."""
    state = CardState.objects.create(
        user=user,
        card=card,
        state=state,
        due=due,
        stability=3.0,
        difficulty=5.0,
        last_review=due - timedelta(days=3),
        reps=2,
        version=1,
    )
    return synced(state, user, card.lesson)


def log(user, card, *, state_before, at, practice=False):
    return ReviewLog.objects.create(
        user=user,
        card=card,
        rating=Rating.GOOD,
        reviewed_at=at,
        state_before=state_before,
        state_after=CardStateKind.REVIEW,
        due_after=at + timedelta(days=3),
        practice=practice,
    )


def order(user, study_settings, now=NOW, limit=20):
    """The cards /review/ shows one after the other (each moved out of the way once shown)."""
    shown = []
    for _ in range(limit):
        q = queue.queue_for(user, now=now, study_settings=study_settings)
        if q.head_card is None:
            break
        shown.append(q.head_card.pk)
        if q.head_state is None:
            put(user, q.head_card, CardStateKind.REVIEW, now + timedelta(days=30))
        else:
            CardState.objects.filter(pk=q.head_state.pk).update(
                due=now + timedelta(days=30), state=CardStateKind.REVIEW
            )
    return shown


def test_learning_first_then_reviews_by_day_then_new_then_learn_ahead(student, make_lesson):
    cards = list(make_lesson("q", size=9).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", learn_ahead_minutes=20)
    put(student, cards[0], CardStateKind.REVIEW, datetime(2025, 5, 4, 4, tzinfo=UTC))  # two days overdue
    put(student, cards[1], CardStateKind.REVIEW, datetime(2025, 5, 6, 4, tzinfo=UTC))  # due today
    put(student, cards[2], CardStateKind.REVIEW, datetime(2025, 5, 6, 4, tzinfo=UTC))  # due today
    put(student, cards[3], CardStateKind.LEARNING, NOW - timedelta(minutes=1))  # intraday learning, due
    put(student, cards[4], CardStateKind.RELEARNING, NOW - timedelta(minutes=3))  # relearning, due earlier
    put(student, cards[5], CardStateKind.LEARNING, NOW + timedelta(minutes=15))  # within learn-ahead
    put(student, cards[6], CardStateKind.LEARNING, NOW + timedelta(minutes=40))  # beyond learn-ahead
    put(student, cards[7], CardStateKind.REVIEW, datetime(2025, 5, 7, 4, tzinfo=UTC))  # due tomorrow
    q = queue.queue_for(student, now=NOW, study_settings=settings_)
    assert (q.learning_count, q.review_count, q.new_count, q.learn_ahead_count) == (2, 3, 1, 0)
    shown = order(student, settings_)
    assert shown[:3] == [cards[4].pk, cards[3].pk, cards[0].pk]  # (re)learning by due time, then oldest day
    assert set(shown[3:5]) == {cards[1].pk, cards[2].pk}
    assert shown[5:] == [cards[8].pk, cards[5].pk]  # the new card, then learning ahead (nothing else left)


def test_reviews_due_on_one_day_are_shuffled_with_a_seed_of_student_and_day(student, other_student, make_lesson):
    cards = list(make_lesson("s", size=12).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC")
    due = datetime(2025, 5, 6, 4, tzinfo=UTC)

    def day_order(user, now):
        CardState.objects.filter(user=user).delete()
        for card in cards:
            put(user, card, CardStateKind.REVIEW, due)
        return order(user, StudentSettings.objects.for_user(user), now=now)

    today = day_order(student, NOW)
    assert sorted(today) == sorted(c.pk for c in cards)
    assert day_order(student, NOW + timedelta(hours=2)) == today  # the same all day: reloads do not reshuffle
    assert day_order(student, NOW + timedelta(days=1)) != today  # another day, another order
    assert today != sorted(today)  # not by id
    assert settings_ is not None


def test_the_daily_review_cap_counts_reviews_done_today_but_not_practice(student_client, student, make_lesson):
    cards = list(make_lesson("c", size=6).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", reviews_per_day=3, new_cards_per_day=0)
    for card in cards[:5]:
        put(student, card, CardStateKind.REVIEW, datetime(2025, 5, 5, 4, tzinfo=UTC))
    assert queue.queue_for(student, now=NOW, study_settings=settings_).review_count == 3
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(hours=1))
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(hours=1), practice=True)
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(days=1))  # yesterday
    assert queue.queue_for(student, now=NOW, study_settings=settings_).review_count == 2
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(minutes=5))
    log(student, cards[5], state_before=CardStateKind.REVIEW, at=NOW - timedelta(minutes=4))
    q = queue.queue_for(student, now=NOW, study_settings=settings_)
    assert q.review_count == 0 and q.head_card is None and q.review_limit == 0


def test_the_review_page_says_when_the_review_cap_is_met(student_client, student, make_lesson):
    cards = list(make_lesson("p", size=2).flashcards.all())
    StudentSettings.objects.create(user=student, reviews_per_day=0, new_cards_per_day=0)
    put(student, cards[0], CardStateKind.REVIEW, datetime(2025, 5, 5, 4, tzinfo=UTC))
    html = student_client.get(reverse("review")).content.decode()
    assert "Nothing due." in html and "today's limit of reviews" in html


def test_learn_ahead_shows_a_learning_card_due_within_the_limit_instead_of_nothing_due(student, make_lesson):
    cards = list(make_lesson("a", size=1).flashcards.all())
    settings_ = StudentSettings.objects.create(user=student, time_zone="UTC", learn_ahead_minutes=20)
    put(student, cards[0], CardStateKind.LEARNING, NOW + timedelta(minutes=4))
    q = queue.queue_for(student, now=NOW, study_settings=settings_)
    assert q.head_card == cards[0] and q.learn_ahead_count == 1
    settings_.learn_ahead_minutes = 0
    assert queue.queue_for(student, now=NOW, study_settings=settings_).head_card is None
    settings_.learn_ahead_minutes = 3
    assert queue.queue_for(student, now=NOW, study_settings=settings_).head_card is None


# ---------------------------------------------------------------- the one statement against the ORM's definitions


def orm_dates(user, *, today):
    """``exam_plan.lesson_dates`` as the ORM says it."""
    exams = Lesson.objects.published().filter(course__exams__user=user, course__exams__date__gt=today)
    classes = ClassLesson.objects.filter(
        classroom__enrollments__student=user, expected_by__gt=today, lesson__published=True
    )
    dates = {}
    for lesson_id, day in [
        *exams.values_list("pk", "course__exams__date"),
        *classes.values_list("lesson_id", "expected_by"),
    ]:
        dates[lesson_id] = min(day, dates.get(lesson_id, day))
    return dates


def orm_queue(user, *, now, study_settings, with_head):
    """The queue read query by query through the ORM (``queue_for`` before its one statement): the reference
    the statement must agree with, count for count and head for head."""
    zone, hour = study_settings.zone, study_settings.rollover_hour
    start = queue.day_start(now, zone=zone, rollover_hour=hour)
    end = queue.next_day_start(start, zone=zone, rollover_hour=hour)
    ahead = now + timedelta(minutes=study_settings.learn_ahead_minutes)
    states = CardState.objects.reviewing(user)
    learning = Q(state__in=(CardStateKind.LEARNING, CardStateKind.RELEARNING))
    counts = states.filter(due__lt=max(end, ahead)).aggregate(
        learning=Count("pk", filter=learning & Q(due__lte=now)),
        ahead=Count("pk", filter=learning & Q(due__gt=now, due__lte=ahead)),
        reviews=Count("pk", filter=Q(state=CardStateKind.REVIEW, due__lt=end)),
    )
    done = (
        ReviewLog.objects.scheduled()
        .filter(user=user, reviewed_at__gte=start)
        .aggregate(
            new=Count("pk", filter=Q(state_before__isnull=True)),
            reviews=Count("pk", filter=Q(state_before=CardStateKind.REVIEW)),
        )
    )
    review_limit = max(0, study_settings.reviews_per_day - done["reviews"])
    review_count = min(counts["reviews"], review_limit)
    today = scheduling.StudyClock.of(study_settings).date_of(now)
    dates = orm_dates(user, today=today)
    advanced = exam_plan.advanced_states(user, now=now, study_settings=study_settings, dates=dates)
    advanced_count = min(len(advanced), review_limit - review_count)
    new_limit = max(0, study_settings.new_cards_per_day - done["new"])
    new = queue.new_cards(user, today_start=start)
    new_count = new[:new_limit].count() if new_limit else 0
    ahead_count = counts["ahead"] if not (counts["learning"] or review_count or advanced_count or new_count) else 0
    source, head = "none", None
    if with_head:
        if counts["learning"]:
            source, head = "learning", states.filter(learning, due__lte=now).order_by("due", "pk").first()
        elif review_count:
            key = Case(
                When(card__isnull=False, then=Cast("card_id", CharField())),
                When(question__isnull=False, then=Concat(Value("q"), Cast("question_id", CharField()))),
                default=Concat(Value("e"), Cast("exercise_id", CharField())),
                output_field=CharField(),
            )
            shuffle = MD5(Concat(Value(f"{user.pk}:{start.date().isoformat()}:"), key))
            day = queue.study_day_sql("due", study_settings)
            reviews = states.filter(state=CardStateKind.REVIEW, due__lt=end)
            source, head = "review", reviews.order_by(day, shuffle, "pk").first()
        elif advanced_count:
            source, head = "advanced", advanced[0].state
        elif new_count:
            source, head = "new", new.first()
        elif ahead_count:
            source, head = "ahead", states.filter(learning, due__lte=ahead).order_by("due", "pk").first()
    if isinstance(head, CardState):
        head = (head.kind, head.item_id)
    elif head is not None:
        head = ("new card", head.pk)
    shown = (counts["learning"], review_count, new_count, new_limit, review_limit, ahead_count, advanced_count, head)
    return source, shown


def shown_by(q):
    """What ``orm_queue`` compares, from a ``Queue``."""
    if q.head_state is not None:
        head = (q.head_state.kind, q.head_state.item_id)
    else:
        head = ("new card", q.head_card.pk) if q.head_card is not None else None
    counts = (q.learning_count, q.review_count, q.new_count, q.new_limit, q.review_limit)
    return (*counts, q.learn_ahead_count, q.advanced_count, head)


OFFSETS = [  # around now, the learn-ahead limits and the day's ends (minutes)
    -4 * 1440,
    -1440 - 1,
    -1440,
    -600,
    -61,
    -1,
    0,
    1,
    4,
    19,
    20,
    21,
    239,
    600,
    660,
    1440,
    2 * 1440,
]


def varied_world(rng, instructor, students):
    """Two courses of lessons (one unpublished, some items archived); for each student states of every kind
    and state around now, ratings of every sort today and before, answers today and before, a reveal, review
    switches, a class with a date, an exam. The last student ("calm") has nothing due but what learning ahead,
    a date brought forward or a new card shows; the one before learns only later in the day."""
    late, early = factory.make_course(position=2), factory.make_course(position=1)
    lessons = [
        factory.make_lesson(course=c, questions=2, cards=3, prediction=False) for c in (late, late, early, early)
    ]
    hidden = factory.make_lesson(course=early, questions=1, cards=2, prediction=False, published=False)
    Flashcard.objects.filter(lesson=lessons[0], position=3).update(archived_at=NOW)
    lessons[1].questions.filter(position=2).update(archived_at=NOW)
    assigned = factory.make_lesson(course=late, questions=1, cards=2, prediction=False)
    factory.make_class(
        instructor, [assigned, lessons[2]], students=students, expected_by=NOW.date() + timedelta(days=4)
    )
    items = []
    for lesson in [*lessons, hidden]:
        items += [("card", c) for c in Flashcard.objects.filter(lesson=lesson)]
        items += [("question", q) for q in SelfCheckQuestion.objects.filter(lesson=lesson)]
        items += [("exercise", e) for e in lesson.ordering_exercises.all()]
    for student in students:
        StudentExam.objects.create(user=student, course=early, date=NOW.date() + timedelta(days=6))
        calm, reviewer = student is students[-1], student is students[-2]
        for kind, item in rng.sample(items, k=len(items) * 2 // 3):
            if calm:
                state = rng.choice([CardStateKind.REVIEW, CardStateKind.LEARNING])
                minutes = rng.choice([7 * 1440, 9 * 1440]) if state == CardStateKind.REVIEW else 15
            elif reviewer:  # (re)learning only later today: the reviews come first
                state = rng.choice([CardStateKind.REVIEW, CardStateKind.REVIEW, CardStateKind.RELEARNING])
                minutes = rng.choice(OFFSETS) if state == CardStateKind.REVIEW else 600
            else:
                state = rng.choice(list(CardStateKind))
                minutes = rng.choice(OFFSETS) + rng.choice([0, 0, 7])
            due = NOW + timedelta(minutes=minutes)
            CardState.objects.create(
                user=student,
                state=state,
                due=due,
                stability=rng.choice([0.4, 1.5, 6.0, 40.0]),
                difficulty=5.0,
                last_review=NOW - timedelta(days=rng.choice([1, 4, 12])),
                reps=2,
                **{kind: item},
            )
        for lesson in [*lessons, hidden]:
            factory.synced(None, student, lesson)
        if not calm:
            for question in rng.sample([q for kind, q in items if kind == "question"], k=4):
                factory.reveal(student, question, at=NOW - timedelta(hours=rng.choice([1, 5, 14, 30, 60])))
            ReviewOptOut.objects.create(
                user=student, lesson=rng.choice(lessons), kind=rng.choice(["question", "exercise"])
            )
            cards = [c for kind, c in items if kind == "card"]
            for _ in range(8):
                ReviewLog.objects.create(
                    user=student,
                    card=rng.choice(cards),
                    rating=Rating.GOOD,
                    reviewed_at=NOW - timedelta(hours=rng.choice([1, 6, 11, 20, 40])),
                    state_before=rng.choice([None, None, CardStateKind.REVIEW, CardStateKind.LEARNING]),
                    state_after=CardStateKind.REVIEW,
                    due_after=NOW + timedelta(days=3),
                    practice=rng.random() < 0.2,
                    undone_at=NOW if rng.random() < 0.2 else None,
                )
        unrated = Flashcard.objects.filter(lesson=lessons[3]).exclude(states__user=student).first()
        if unrated is not None and not calm:
            FlashcardReveal.objects.get_or_create(user=student, card=unrated, defaults={"revealed_at": NOW})


SETTINGS = [
    {},
    {
        "time_zone": "America/New_York",
        "rollover_hour": 0,
        "new_cards_per_day": 2,
        "reviews_per_day": 3,
        "learn_ahead_minutes": 0,
    },
    {"time_zone": "Asia/Tokyo", "rollover_hour": 23, "new_cards_per_day": 0, "reviews_per_day": 0},
    {"time_zone": "Asia/Beirut", "rollover_hour": 4, "learn_ahead_minutes": 720, "reviews_per_day": 0},
    {"time_zone": "Pacific/Kiritimati", "rollover_hour": 12, "new_cards_per_day": 1, "reviews_per_day": 9999},
]


def test_the_queue_agrees_with_the_orm_definitions_of_its_rules(instructor, make_user):
    """Every count, cap and head of ``queue_for`` (one statement) equals what the ORM definitions give, over
    varied worlds, zones, rollover hours, caps, learn-ahead limits and moments; every head rule is seen."""
    seen, compared = set(), 0
    for seed in range(2):
        rng = random.Random(seed)
        students = [make_user(f"s{seed}-{n}") for n in range(3)]
        varied_world(rng, instructor, students)
        for student, variant, minutes in itertools.product(students, SETTINGS, [0, 25, 11 * 60, 3 * 1440]):
            study_settings = StudentSettings(user=student, **variant)
            now = NOW + timedelta(minutes=minutes)
            for with_head in (True, False):
                q = queue.queue_for(student, now=now, study_settings=study_settings, with_head=with_head)
                source, expected = orm_queue(student, now=now, study_settings=study_settings, with_head=with_head)
                assert shown_by(q) == expected, (seed, student.username, variant, minutes, with_head)
                compared += 1
                if q.head_advanced is not None:
                    assert q.head_state == q.head_advanced.state
                if q.head_state is not None or q.head_card is not None:
                    seen.add((source, q.head_kind))
                    with CaptureQueriesContext(connection) as reads:
                        (q.head_state.item if q.head_state else q.head_card).lesson.course_id  # noqa: B018
                    assert not reads.captured_queries  # the head comes with its item and lesson
    sources = {source for source, _ in seen}
    assert sources == {"learning", "review", "advanced", "new", "ahead"}, seen
    assert {kind for _, kind in seen} == {"card", "question", "exercise"}, seen
    assert compared == 2 * 3 * len(SETTINGS) * 4 * 2
