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
from functools import lru_cache

from django.db import connection
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
)
from django.db.models.functions import TruncDate
from django.db.models.sql import Query

from lessons import scheduling
from lessons.models import (
    CardState,
    CardStateKind,
    ClassLesson,
    Course,
    Enrollment,
    Flashcard,
    FlashcardReveal,
    ItemKind,
    Lesson,
    OrderingExercise,
    ReviewLog,
    ReviewOptOut,
    SelfCheckAttempt,
    SelfCheckQuestion,
    StudentProgress,
)
from lessons.selectors import exam_plan
from lessons.selectors.sql import quoted_tables


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
    # The queue counts these in SQL (``_queue_sql``'s CTE ``new_cards``): a change here is a change there.
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


def _queue_sql() -> str:
    """The text of ``queue_for``'s statement: everything the queue counts, in one round trip.

    It says in SQL what the ORM would: ``CardState.objects.reviewing(user)`` up to the latest moment the
    queue looks at (the CTE ``rs``); ``new_cards(user, today_start=...)``, at most a day's worth (the CTE
    ``new_cards``: keep the two alike); the scheduled ratings since the study day began, new ones and
    reviews, practice and undone ones excluded; ``exam_plan.dates_sql``. Every row is (kind, nine values,
    a date): one "queue" row (counts of learning due, learning within the learn-ahead limit, reviews due;
    new items and reviews done today; new cards up to a day's worth; then the heads), and one "date" row
    per date that matters. A head is looked for only when it may be the one shown: the first (re)learning
    item due by the learn-ahead limit (the first due now, when there is one), the first Review item in the
    day's order (only when no learning item is due), the first new card; a state head comes back as
    "<kind>:<id>", so that its fetch joins only its own item and lesson.

    The day's order of Review items (Anki's): by study day (``{review_day}``, see ``_review_day_sql``),
    shuffled within a day by the MD5 of a seed of (student, day) and the item's key (a flashcard's id, a
    question's "q<id>", an exercise's "e<id>"; MD5 is Postgres's own, and the function Django registers
    on SQLite), then by id.

    Fixed text (but for ``{review_day}``), not ORM expressions: the queue is on /review/, every rating and
    the home page, and Django spent more Python building its six queries than Postgres took to run them.
    Only quoted table names are formatted in; every value is a named parameter.
    """
    t = quoted_tables(
        CardState,
        Flashcard,
        SelfCheckQuestion,
        OrderingExercise,
        Lesson,
        Course,
        ReviewOptOut,
        ReviewLog,
        StudentProgress,
        FlashcardReveal,
        ClassLesson,
        Enrollment,
        SelfCheckAttempt,
    )

    def answered(comparison):
        return f"""EXISTS (SELECT 1 FROM {t["SelfCheckAttempt"]} a
                              JOIN {t["SelfCheckQuestion"]} aq ON aq.id = a.question_id
                             WHERE aq.lesson_id = f.lesson_id AND a.user_id = %(user)s
                               AND a.revealed_at {comparison} %(start)s)"""  # noqa: S608

    return f"""
        WITH rs AS (
            SELECT s.id, s.card_id, s.question_id, s.exercise_id, s.state, s.due,
                   CASE WHEN s.card_id IS NOT NULL THEN %(card)s
                        WHEN s.question_id IS NOT NULL THEN %(question)s ELSE %(exercise)s END AS kind
              FROM {t["CardState"]} s
              LEFT JOIN {t["Flashcard"]} f ON f.id = s.card_id
              LEFT JOIN {t["Lesson"]} fl ON fl.id = f.lesson_id
              LEFT JOIN {t["SelfCheckQuestion"]} q ON q.id = s.question_id
              LEFT JOIN {t["Lesson"]} ql ON ql.id = q.lesson_id
              LEFT JOIN {t["OrderingExercise"]} e ON e.id = s.exercise_id
              LEFT JOIN {t["Lesson"]} el ON el.id = e.lesson_id
             WHERE s.user_id = %(user)s AND s.due <= %(horizon)s
               AND ((f.archived_at IS NULL AND fl.published)
                    OR (q.archived_at IS NULL AND ql.published)
                    OR (e.archived_at IS NULL AND el.published))
               AND NOT (s.question_id IS NOT NULL AND EXISTS (
                   SELECT 1 FROM {t["ReviewOptOut"]} o
                    WHERE o.user_id = %(user)s AND o.kind = %(question)s AND o.lesson_id = q.lesson_id))
               AND NOT (s.exercise_id IS NOT NULL AND EXISTS (
                   SELECT 1 FROM {t["ReviewOptOut"]} o
                    WHERE o.user_id = %(user)s AND o.kind = %(exercise)s AND o.lesson_id = e.lesson_id))
        ),
        new_cards AS (
            SELECT f.id, c.position AS course_position, l.position AS lesson_position, f.lesson_id, f.position
              FROM {t["Flashcard"]} f
              JOIN {t["Lesson"]} l ON l.id = f.lesson_id
              JOIN {t["Course"]} c ON c.id = l.course_id
             WHERE f.archived_at IS NULL AND l.published
               AND (EXISTS (SELECT 1 FROM {t["StudentProgress"]} p
                             WHERE p.lesson_id = f.lesson_id AND p.user_id = %(user)s)
                    OR EXISTS (SELECT 1 FROM {t["FlashcardReveal"]} r JOIN {t["Flashcard"]} rf ON rf.id = r.card_id
                                WHERE rf.lesson_id = f.lesson_id AND r.user_id = %(user)s)
                    OR EXISTS (SELECT 1 FROM {t["ClassLesson"]} cl
                                 JOIN {t["Enrollment"]} en ON en.classroom_id = cl.classroom_id
                                WHERE cl.lesson_id = f.lesson_id AND en.student_id = %(user)s))
               AND NOT EXISTS (SELECT 1 FROM {t["CardState"]} s WHERE s.card_id = f.id AND s.user_id = %(user)s)
               AND NOT ({answered(">=")} AND NOT {answered("<")})
             ORDER BY c.position, l.position, f.lesson_id, f.position
             LIMIT %(new_per_day)s
        )
        SELECT 'queue', c.learning, c.ahead, c.reviews, d.new_done, d.reviews_done,
               (SELECT COUNT(*) FROM new_cards),
               CASE WHEN %(with_head)s AND (c.learning > 0 OR c.ahead > 0) THEN (
                   SELECT rs.kind || ':' || CAST(rs.id AS TEXT) FROM rs
                    WHERE rs.state IN (%(learning_state)s, %(relearning_state)s) AND rs.due <= %(ahead)s
                    ORDER BY rs.due, rs.id LIMIT 1) END,
               CASE WHEN %(with_head)s AND c.learning = 0 AND c.reviews > 0 AND d.reviews_done < %(reviews_per_day)s
                    THEN (
                   SELECT rs.kind || ':' || CAST(rs.id AS TEXT) FROM rs
                    WHERE rs.state = %(review_state)s AND rs.due < %(end)s
                    ORDER BY {{review_day}},
                             MD5(%(seed)s || CASE WHEN rs.card_id IS NOT NULL THEN CAST(rs.card_id AS TEXT)
                                                  WHEN rs.question_id IS NOT NULL
                                                  THEN 'q' || CAST(rs.question_id AS TEXT)
                                                  ELSE 'e' || CAST(rs.exercise_id AS TEXT) END),
                             rs.id
                    LIMIT 1) END,
               CASE WHEN %(with_head)s THEN (
                   SELECT n.id FROM new_cards n
                    ORDER BY n.course_position, n.lesson_position, n.lesson_id, n.position LIMIT 1) END,
               CAST(NULL AS DATE)
          FROM (SELECT COUNT(CASE WHEN state IN (%(learning_state)s, %(relearning_state)s) AND due <= %(now)s
                                  THEN 1 END) AS learning,
                       COUNT(CASE WHEN state IN (%(learning_state)s, %(relearning_state)s)
                                       AND due > %(now)s AND due <= %(ahead)s THEN 1 END) AS ahead,
                       COUNT(CASE WHEN state = %(review_state)s AND due < %(end)s THEN 1 END) AS reviews
                  FROM rs WHERE due < %(horizon)s) c
         CROSS JOIN (SELECT COUNT(CASE WHEN state_before IS NULL THEN 1 END) AS new_done,
                            COUNT(CASE WHEN state_before = %(review_state)s THEN 1 END) AS reviews_done
                       FROM {t["ReviewLog"]}
                      WHERE user_id = %(user)s AND reviewed_at >= %(start)s
                        AND undone_at IS NULL AND NOT practice) d
        UNION ALL
        SELECT 'date', dates.lesson_id, 0, 0, 0, 0, 0, NULL, NULL, NULL, dates.day
          FROM ({exam_plan.dates_sql()}) dates
    """  # noqa: S608


_QUEUE_SQL: list[str] = []  # built on first use (the models' tables are known by then)


@lru_cache(maxsize=256)
def _review_day_sql(vendor, database_zone, clock):
    """The study day of an ``rs`` row's due date: ``study_day_sql("due")`` as Django compiles it for this
    database (Postgres: an interval and AT TIME ZONE; SQLite: Django's registered functions), with named
    parameters ``day0``, ``day1``...; compiled once per database, zone and rollover hour."""
    query = Query(CardState)
    expression = study_day_sql("due", clock).resolve_expression(query, allow_joins=False)
    sql, params = query.get_compiler(connection=connection).compile(
        expression.relabeled_clone({CardState._meta.db_table: "rs"})
    )
    names = [f"day{i}" for i in range(len(params))]
    return sql % tuple(f"%({name})s" for name in names), dict(zip(names, params, strict=True))


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
    """Counts of the student's items to study now (capped for the day), and the first one. Two queries at
    most (``_queue_sql``'s statement, the first item with its lesson), one more when a date that matters may
    bring items forward (``exam_plan.advanced_states``)."""
    zone = study_settings.zone
    clock = scheduling.StudyClock.of(study_settings)
    start = day_start(now, zone=zone, rollover_hour=study_settings.rollover_hour)
    end = next_day_start(start, zone=zone, rollover_hour=study_settings.rollover_hour)
    ahead = now + timedelta(minutes=study_settings.learn_ahead_minutes)
    if not _QUEUE_SQL:
        _QUEUE_SQL.append(_queue_sql())
    review_day, day_params = _review_day_sql(connection.vendor, connection.timezone_name, clock)
    moment = connection.ops.adapt_datetimefield_value
    params = {
        "user": user.pk,
        "now": moment(now),
        "ahead": moment(ahead),
        "start": moment(start),
        "end": moment(end),
        "horizon": moment(max(end, ahead)),
        "today": connection.ops.adapt_datefield_value(clock.date_of(now)),
        "seed": f"{user.pk}:{start.date().isoformat()}:",
        "new_per_day": study_settings.new_cards_per_day,
        "reviews_per_day": study_settings.reviews_per_day,
        "with_head": with_head,
        "learning_state": CardStateKind.LEARNING.value,
        "relearning_state": CardStateKind.RELEARNING.value,
        "review_state": CardStateKind.REVIEW.value,
        "card": ItemKind.CARD.value,
        "question": ItemKind.QUESTION.value,
        "exercise": ItemKind.EXERCISE.value,
        **day_params,
    }
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_SQL[0].replace("{review_day}", review_day), params)
        rows = cursor.fetchall()
    counts = next(row[1:10] for row in rows if row[0] == "queue")
    learning, ahead_due, reviews, new_done, reviews_done, new_due, learning_head, review_head, new_head = counts
    dates = exam_plan.soonest_dates((row[1], row[10]) for row in rows if row[0] == "date")
    review_limit = max(0, study_settings.reviews_per_day - reviews_done)
    review_count = min(reviews, review_limit)
    advanced = exam_plan.advanced_states(user, now=now, study_settings=study_settings, dates=dates)
    advanced_count = min(len(advanced), review_limit - review_count)
    new_limit = max(0, study_settings.new_cards_per_day - new_done)
    new_count = min(new_due, new_limit)  # at most a day's worth were counted: the same, under the cap
    ahead_count = ahead_due if not (learning or review_count or advanced_count or new_count) else 0
    head_state = head_card = head_advanced = None
    if with_head:
        if learning:
            head_state = _head_state(learning_head)  # due by the learn-ahead limit, first by due: one due now
        elif review_count:
            head_state = _head_state(review_head)
        elif advanced_count:
            head_advanced = advanced[0]
            head_state = head_advanced.state
        elif new_count:
            head_card = Flashcard.objects.select_related("lesson").filter(pk=new_head).order_by().first()
        elif ahead_count:
            head_state = _head_state(learning_head)
        if head_state is not None:
            head_card = head_state.card  # None when the head is a question or an exercise
    return Queue(
        learning_count=learning,
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


def _head_state(head):
    """The head's state with its item and lesson, from its "<kind>:<id>" (None: it left the queue since)."""
    if head is None:
        return None
    kind, _, pk = head.partition(":")
    return CardState.objects.select_related(f"{kind}__lesson").filter(pk=pk).order_by().first()


def next_due_at(user):
    """When the student's next item falls due (None when they have nothing scheduled)."""
    state = CardState.objects.reviewing(user).order_by("due").first()
    return state.due if state else None
