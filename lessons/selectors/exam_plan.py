"""Dates that matter: a student's exam dates and their classes' expected-by dates; predicted recall on them,
the plan that keeps everything above the desired retention, and the items brought forward for them.

Predicted recall is FSRS's retrievability of each of the student's review items on the day (from their
own memory states, with their fitted parameters when they have them; ``lessons.scheduling``), averaged.
It is a forecast of memory, shown rounded, never a grade.

Every review item counts, whatever its kind (flashcards, self-check questions and ordering exercises a
student has tried, less the kinds they switched out of review): the rows read are their FSRS states
(stability, last review, due date), found by the lesson they belong to (``STATE_LESSON``). Items never
studied are the lesson's new flashcards (a question or an exercise enters review at its first try).

An item is *at risk* for a date when its predicted recall on that day is below the student's desired
retention and its schedule will not bring it back before then (due on the day or after). From the first
day one Good review would keep it above the retention until the date (``scheduling.advance_from``), it is
*brought forward*: /review/ shows it after the due reviews, within the daily review cap, as Anki's
"Advance" and RemNote's exam scheduler do. Its rating is a real review. On and after the date, nothing is
brought forward for it: the schedule is back to normal.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch
from django.db.models.functions import Coalesce

from lessons import scheduling
from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Enrollment,
    Flashcard,
    Lesson,
    StudentExam,
    StudentSettings,
)
from lessons.selectors.sql import quoted_tables

# The lesson a review item belongs to, whatever its kind (exactly one of the three is set).
STATE_LESSON = Coalesce(F("card__lesson_id"), F("question__lesson_id"), F("exercise__lesson_id"))
ITEM_LESSONS = ("card__lesson", "question__lesson", "exercise__lesson")


def states_in(states, lesson_ids):
    """``states`` of items in ``lesson_ids``, each with its lesson id as ``lesson_ref``."""
    return states.annotate(lesson_ref=STATE_LESSON).filter(lesson_ref__in=list(lesson_ids))


EXPLANATION = (
    "A forecast of your memory, not a mark: FSRS's estimate, from your own reviews, of the share of these "
    "items you would recall on that day. About 90% means about 9 in 10."
)


def rounded(share: float | None) -> int | None:
    """A share as a percentage rounded to the nearest 5 (the forecast is not more precise than that)."""
    if share is None:
        return None
    return min(100, 5 * round(20 * share))


def dates_sql() -> str:
    """The text of ``lesson_dates``' query: rows (lesson_id, day), one per date that matters for a published
    lesson (an exam of its course the student set, an expected-by date of a class of theirs) after ``today``.
    Named parameters ``user`` (an id) and ``today``; table names from the models. The review queue reads it
    in its own statement (``review_queue.queue_for``)."""
    t = quoted_tables(Lesson, StudentExam, ClassLesson, Enrollment)
    # Fixed text, not ORM expressions: the queue reads it on every review and rating, and building the union
    # cost more Python than Postgres takes to run it. Only quoted table names are formatted in.
    return f"""
        SELECT l.id AS lesson_id, x.date AS day
          FROM {t["Lesson"]} l JOIN {t["StudentExam"]} x ON x.course_id = l.course_id
         WHERE x.user_id = %(user)s AND x.date > %(today)s AND l.published
        UNION ALL
        SELECT cl.lesson_id, cl.expected_by
          FROM {t["ClassLesson"]} cl
          JOIN {t["Enrollment"]} e ON e.classroom_id = cl.classroom_id
          JOIN {t["Lesson"]} l ON l.id = cl.lesson_id
         WHERE e.student_id = %(user)s AND cl.expected_by > %(today)s AND l.published
    """  # noqa: S608


_DATES_SQL: list[str] = []  # built on first use (the models' tables are known by then)


def as_date(value) -> date:
    """A date read by raw SQL: SQLite may give its text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def soonest_dates(rows) -> dict[int, date]:
    """Lesson id -> its soonest date, from ``dates_sql``'s rows."""
    dates = {}
    for lesson_id, day in rows:
        day = as_date(day)
        if lesson_id not in dates or day < dates[lesson_id]:
            dates[lesson_id] = day
    return dates


def lesson_dates(user, *, today: date) -> dict[int, date]:
    """Lesson id -> the soonest date after ``today`` that matters for it (an exam of its course the student
    set, or an expected-by date of a class of theirs). One query."""
    if not _DATES_SQL:
        _DATES_SQL.append(dates_sql())
    with connection.cursor() as cursor:
        cursor.execute(_DATES_SQL[0], {"user": user.pk, "today": connection.ops.adapt_datefield_value(today)})
        return soonest_dates(cursor.fetchall())


@dataclass(frozen=True)
class Advanced:
    """An item brought forward today for a date that matters."""

    state: CardState
    day: date  # the date it is brought forward for
    retrievability: float  # predicted recall on that day without another review


def _at_risk(memory, day, *, today, study_settings, clock):
    """(predicted recall on ``day``, brought forward today?) for a Review item not due before ``day``."""
    parameters = study_settings.fsrs_parameters
    recall = scheduling.retrievability_on(memory, day, parameters=parameters, clock=clock)
    if recall is None or recall >= study_settings.desired_retention:
        return recall, False
    start = scheduling.advance_from(
        memory, day, desired_retention=study_settings.desired_retention, parameters=parameters
    )
    return recall, today >= start


def advanced_states(user, *, now, study_settings, dates=None) -> list[Advanced]:
    """The student's items brought forward today (at risk for a date, within its window), most at risk
    first; uncapped (the queue caps them). Two queries at most (one when no date matters)."""
    clock = scheduling.StudyClock.of(study_settings)
    today = clock.date_of(now)
    dates = lesson_dates(user, today=today) if dates is None else dates
    if not dates:
        return []
    candidates = states_in(
        CardState.objects.reviewing(user).filter(
            state=CardStateKind.REVIEW,
            due__gte=clock.start_of(min(dates.values())),
            last_review__lt=clock.start_of(today),  # rated today: not again today
        ),
        dates,
    ).select_related(*ITEM_LESSONS)
    found = []
    for state in candidates:
        day = dates[state.lesson_ref]
        if state.due < clock.start_of(day):
            continue  # its schedule brings it back before the day
        memory = scheduling.MemoryState.of(state)
        recall, advance = _at_risk(memory, day, today=today, study_settings=study_settings, clock=clock)
        if advance:
            found.append(Advanced(state=state, day=day, retrievability=recall))
    found.sort(key=lambda item: (item.retrievability, item.state.pk))
    return found


def is_advanced(user, state, *, lesson_id, now, study_settings) -> bool:
    """Whether ``state``'s item is brought forward today (what lets its rating schedule it). One query."""
    if state is None or state.state != CardStateKind.REVIEW:
        return False
    clock = scheduling.StudyClock.of(study_settings)
    today = clock.date_of(now)
    dates = lesson_dates(user, today=today)
    if lesson_id not in dates or state.due < clock.start_of(dates[lesson_id]):
        return False
    if state.last_review is not None and clock.date_of(state.last_review) >= today:
        return False
    memory = scheduling.MemoryState.of(state)
    return _at_risk(memory, dates[lesson_id], today=today, study_settings=study_settings, clock=clock)[1]


# ---------------------------------------------------------------- the /plan/ page


@dataclass
class LessonForecast:
    lesson: Lesson
    studied: int = 0  # items with a memory state
    new: int = 0  # items never reviewed yet
    recall_sum: float = 0.0  # predicted recall on the day if no review came before it
    planned_sum: float = 0.0  # predicted recall on the day after the plan's reviews
    reviews: int = 0  # the plan's reviews of this lesson's items
    at_risk: int = 0  # items the plan brings forward

    @property
    def recall(self) -> int | None:
        return rounded(self.recall_sum / self.studied) if self.studied else None

    @property
    def planned(self) -> int | None:
        return rounded(self.planned_sum / self.studied) if self.studied else None


@dataclass
class DatePlan:
    """One date that matters and what the student's memory and the plan look like for it."""

    day: date
    title: str  # "Your exam: Biology" or "Expected by, Biology 101"
    days_left: int  # study days before the date, today included
    lessons: list[LessonForecast] = field(default_factory=list)
    exam: StudentExam | None = None

    @property
    def studied(self) -> int:
        return sum(f.studied for f in self.lessons)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.lessons)

    @property
    def recall(self) -> int | None:
        studied = self.studied
        return rounded(sum(f.recall_sum for f in self.lessons) / studied) if studied else None

    @property
    def planned(self) -> int | None:
        studied = self.studied
        return rounded(sum(f.planned_sum for f in self.lessons) / studied) if studied else None

    @property
    def reviews(self) -> int:
        return sum(f.reviews for f in self.lessons)

    @property
    def at_risk(self) -> int:
        return sum(f.at_risk for f in self.lessons)

    @property
    def per_day(self) -> int:
        return math.ceil(self.reviews / self.days_left) if self.days_left else 0


def _forecast(forecast, states, new, *, today, day, study_settings, clock):
    """Fill one lesson's forecast from the student's states of its items and its count of new ones."""
    parameters = study_settings.fsrs_parameters
    retention = study_settings.desired_retention
    for state in states:
        memory = scheduling.MemoryState.of(state)
        forecast.studied += 1
        forecast.recall_sum += scheduling.retrievability_on(memory, day, parameters=parameters, clock=clock) or 0.0
        projection = scheduling.project(
            memory=memory, today=today, day=day, desired_retention=retention, parameters=parameters, clock=clock
        )
        forecast.planned_sum += projection.retrievability
        forecast.reviews += projection.reviews
        forecast.at_risk += projection.advanced
    if new:
        forecast.new = new
        projection = scheduling.project(
            memory=scheduling.MemoryState(),
            today=today,
            day=day,
            desired_retention=retention,
            parameters=parameters,
            clock=clock,
        )
        forecast.reviews += new * projection.reviews


def exam_plan(user, *, now) -> dict:
    """The /plan/ page: the student's exam dates and class dates from today on, each with predicted recall per
    lesson and overall, and the plan. Six queries whatever the number of items."""
    study_settings = StudentSettings.objects.for_user(user)
    clock = scheduling.StudyClock.of(study_settings)
    today = clock.date_of(now)
    exams = list(
        StudentExam.objects.upcoming(user, today=today).prefetch_related(
            Prefetch("course__lessons", queryset=Lesson.objects.published())
        )
    )
    class_lessons = list(
        ClassLesson.objects.filter(
            classroom__enrollments__student=user, expected_by__gte=today, lesson__published=True
        ).select_related("classroom", "lesson__course")
    )
    plans = []
    for exam in exams:
        plan = DatePlan(
            day=exam.date, title=f"Your exam: {exam.course.title}", days_left=(exam.date - today).days, exam=exam
        )
        plan.lessons = [LessonForecast(lesson=lesson) for lesson in exam.course.lessons.all()]
        plans.append(plan)
    by_class = {}
    for cl in class_lessons:
        key = (cl.expected_by, cl.classroom_id)
        if key not in by_class:
            by_class[key] = DatePlan(
                day=cl.expected_by, title=f"Expected by, {cl.classroom}", days_left=(cl.expected_by - today).days
            )
            plans.append(by_class[key])
        by_class[key].lessons.append(LessonForecast(lesson=cl.lesson))
    lesson_ids = {f.lesson.pk for plan in plans for f in plan.lessons}
    states, new = {}, {}
    if lesson_ids:
        for state in states_in(CardState.objects.reviewing(user), lesson_ids):
            states.setdefault(state.lesson_ref, []).append(state)
        new = dict(
            Flashcard.objects.published()
            .filter(lesson_id__in=lesson_ids)
            .exclude(Exists(CardState.objects.filter(user=user, card=OuterRef("pk"))))
            .values("lesson_id")
            .annotate(n=Count("pk"))
            .values_list("lesson_id", "n")
            .order_by()
        )
    for plan in plans:
        for forecast in plan.lessons:
            _forecast(
                forecast,
                states.get(forecast.lesson.pk, ()),
                new.get(forecast.lesson.pk, 0),
                today=today,
                day=plan.day,
                study_settings=study_settings,
                clock=clock,
            )
    plans.sort(key=lambda plan: (plan.day, plan.title))
    return {
        "plans": plans,
        "today": today,
        "retention": round(100 * study_settings.desired_retention),
        "explanation": EXPLANATION,
        "fitted": bool(study_settings.fsrs_parameters),
    }


# ---------------------------------------------------------------- the class dashboard


@dataclass
class ClassForecast:
    """A class lesson's expected-by date: the class's predicted recall on it and the students below."""

    day: date
    recall: int | None = None  # mean over the students who studied the lesson, rounded
    studied: int = 0  # students with at least one item of the lesson studied
    below: list = field(default_factory=list)  # students whose predicted recall is under their desired retention


def class_forecasts(class_lessons, students, *, today) -> dict[int, ClassForecast]:
    """ClassLesson id -> its forecast, for the published lessons expected by today or later. Two queries
    whatever the class's size (none when no lesson has such a date)."""
    dated = [cl for cl in class_lessons if cl.expected_by and cl.expected_by >= today and cl.lesson.published]
    if not dated or not students:
        return {}
    by_id = {student.pk: student for student in students}
    settings = {s.user_id: s for s in StudentSettings.objects.filter(user_id__in=list(by_id))}
    lesson_days = {}
    for cl in dated:
        lesson_days.setdefault(cl.lesson_id, []).append(cl)
    sums = {}  # (student, lesson) -> [recall sum, items]
    states = states_in(CardState.objects.published().filter(user_id__in=list(by_id)), lesson_days)
    for state in states:
        study_settings = settings.get(state.user_id) or StudentSettings(user_id=state.user_id)
        clock = scheduling.StudyClock.of(study_settings)
        memory = scheduling.MemoryState.of(state)
        for cl in lesson_days[state.lesson_ref]:
            recall = scheduling.retrievability_on(
                memory, cl.expected_by, parameters=study_settings.fsrs_parameters, clock=clock
            )
            entry = sums.setdefault((state.user_id, cl.pk), [0.0, 0])
            entry[0] += recall or 0.0
            entry[1] += 1
    forecasts = {}
    for cl in dated:
        forecast = ClassForecast(day=cl.expected_by)
        means = []
        for student in students:
            entry = sums.get((student.pk, cl.pk))
            if not entry:
                continue
            mean = entry[0] / entry[1]
            means.append(mean)
            target = (settings.get(student.pk) or StudentSettings()).desired_retention
            if mean < target:
                forecast.below.append(student)
        forecast.studied = len(means)
        forecast.recall = rounded(sum(means) / len(means)) if means else None
        forecasts[cl.pk] = forecast
    return forecasts
