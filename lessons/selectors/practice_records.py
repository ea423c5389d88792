"""A student's records on one lesson (or one exercise), read with fixed SQL for the practice page.

The first four change only with the student's kept progress row, so the page caches them by its version
(``practice_page.student_records``); the rest are read on every view.

Each read is one statement that builds the model instances the page uses, with what the ORM would
have annotated. Through the ORM these four reads cost about 9 ms of a 24 ms practice page, nearly
all of it in building the queries (a prefetch, two correlated subqueries, the models' default
orderings joining up to the course) rather than in Postgres (under 0.1 ms each); here they cost about
2 ms. ``tests/test_practice_records.py`` keeps the ORM queries they replaced as the reference and
compares the two over varied records.
"""

from django.db import connection

from lessons.models import (
    CardState,
    Flashcard,
    FlashcardReveal,
    ItemKind,
    OrderingAttempt,
    OrderingExercise,
    OrderingReveal,
    PredictionDraft,
    PredictionExercise,
    PredictionSubmission,
    ReviewLog,
    ReviewOptOut,
    SelfCheckAttempt,
    SelfCheckQuestion,
    StudentProgress,
)
from lessons.selectors.sql import ModelColumns, parse_timestamp, quoted_tables


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def selfcheck_attempts(user_id, lesson_id) -> list[SelfCheckAttempt]:
    """The student's attempts on the lesson's questions (archived ones too), first revealed first."""
    t = quoted_tables(SelfCheckAttempt, SelfCheckQuestion)
    a = ModelColumns(SelfCheckAttempt, "a")
    sql = f"""
        SELECT {a.text} FROM {t["SelfCheckAttempt"]} a JOIN {t["SelfCheckQuestion"]} q ON q.id = a.question_id
         WHERE a.user_id = %s AND q.lesson_id = %s ORDER BY a.revealed_at, a.id
    """  # noqa: S608 - names from the models, values as parameters
    return [a.build(row) for row in _rows(sql, [user_id, lesson_id])]


def latest_ordering_attempts(user_id, *, lesson_id=None, exercise_id=None) -> list[OrderingAttempt]:
    """The student's latest try at each of the lesson's ordering exercises (or at one exercise), by exercise.

    Each has ``solved_in`` (the number of the first correct try, or None) and ``revealed`` (they asked to
    see the answer).
    """
    t = quoted_tables(OrderingAttempt, OrderingExercise, OrderingReveal)
    a = ModelColumns(OrderingAttempt, "a")
    which, param = ("e.lesson_id", lesson_id) if exercise_id is None else ("e.id", exercise_id)
    sql = f"""
        SELECT {a.text},
               (SELECT MIN(b.number) FROM {t["OrderingAttempt"]} b
                 WHERE b.user_id = a.user_id AND b.exercise_id = a.exercise_id AND b.is_correct),
               EXISTS (SELECT 1 FROM {t["OrderingReveal"]} r WHERE r.user_id = a.user_id AND r.exercise_id = a.exercise_id)
          FROM {t["OrderingAttempt"]} a JOIN {t["OrderingExercise"]} e ON e.id = a.exercise_id
         WHERE a.user_id = %s AND {which} = %s
           AND NOT EXISTS (SELECT 1 FROM {t["OrderingAttempt"]} n
                            WHERE n.user_id = a.user_id AND n.exercise_id = a.exercise_id AND n.number > a.number)
         ORDER BY a.exercise_id
    """  # noqa: S608
    attempts = []
    for row in _rows(sql, [user_id, param]):
        attempt = a.build(row)
        attempt.solved_in, attempt.revealed = row[len(a)], bool(row[len(a) + 1])
        attempts.append(attempt)
    return attempts


def prediction_submissions(user_id, *, lesson_id=None, exercise_id=None) -> list[PredictionSubmission]:
    """The student's submissions on the lesson's prediction exercises (or on one), by exercise, oldest first.

    Each has ``named_point_ids``: the rubric points marked as named (archived ones too), by id.
    """
    t = quoted_tables(PredictionSubmission, PredictionExercise)
    ticks = quoted_tables(PredictionSubmission.named_points.through)["PredictionSubmission_named_points"]
    s = ModelColumns(PredictionSubmission, "s")
    which, param = ("e.lesson_id", lesson_id) if exercise_id is None else ("e.id", exercise_id)
    sql = f"""
        SELECT {s.text}, k.rubricpoint_id
          FROM {t["PredictionSubmission"]} s JOIN {t["PredictionExercise"]} e ON e.id = s.exercise_id
          LEFT JOIN {ticks} k ON k.predictionsubmission_id = s.id
         WHERE s.user_id = %s AND {which} = %s
         ORDER BY s.exercise_id, s.number, k.rubricpoint_id
    """  # noqa: S608
    submissions = {}
    for row in _rows(sql, [user_id, param]):
        submission = submissions.get(row[0])
        if submission is None:
            submission = submissions[row[0]] = s.build(row)
            submission.named_point_ids = []
        if row[len(s)] is not None:
            submission.named_point_ids.append(row[len(s)])
    return list(submissions.values())


def item_states(user_id, lesson_id) -> list[CardState]:
    """The review states of the lesson's cards, questions and exercises (archived ones too), soonest due first.

    Each has the student's review switches for the lesson: ``questions_off``, ``exercises_off``.
    """
    t = quoted_tables(CardState, Flashcard, SelfCheckQuestion, OrderingExercise, ReviewOptOut)
    s = ModelColumns(CardState, "s")
    opt_out = t["ReviewOptOut"]
    switched_off = (
        f"EXISTS (SELECT 1 FROM {opt_out} o WHERE o.user_id = s.user_id AND o.lesson_id = %s AND o.kind = %s)"  # noqa: S608
    )
    sql = f"""
        SELECT {s.text}, {switched_off}, {switched_off}
          FROM {t["CardState"]} s
          LEFT JOIN {t["Flashcard"]} c ON c.id = s.card_id
          LEFT JOIN {t["SelfCheckQuestion"]} q ON q.id = s.question_id
          LEFT JOIN {t["OrderingExercise"]} x ON x.id = s.exercise_id
         WHERE s.user_id = %s AND (c.lesson_id = %s OR q.lesson_id = %s OR x.lesson_id = %s)
         ORDER BY s.due, s.id
    """  # noqa: S608
    params = [lesson_id, ItemKind.QUESTION.value, lesson_id, ItemKind.EXERCISE.value, user_id, *[lesson_id] * 3]
    states = []
    for row in _rows(sql, params):
        state = s.build(row)
        state.questions_off, state.exercises_off = bool(row[len(s)]), bool(row[len(s) + 1])
        states.append(state)
    return states


# ---------------------------------------------------------------- read on every view (not kept by version)


def progress_version(user_id, lesson_id) -> tuple[int, int] | None:
    """The id and version of the student's kept progress row on the lesson (None: no record on it yet)."""
    t = quoted_tables(StudentProgress)
    sql = f"SELECT id, version FROM {t['StudentProgress']} WHERE user_id = %s AND lesson_id = %s"  # noqa: S608
    rows = _rows(sql, [user_id, lesson_id])
    return tuple(rows[0]) if rows else None


def prediction_drafts(user_id, *, lesson_id=None, exercise_id=None) -> list[PredictionDraft]:
    """The student's drafts on the lesson's prediction exercises (or on one: at most one draft)."""
    t = quoted_tables(PredictionDraft, PredictionExercise)
    d = ModelColumns(PredictionDraft, "d")
    which, param = ("e.lesson_id", lesson_id) if exercise_id is None else ("e.id", exercise_id)
    sql = f"""
        SELECT {d.text} FROM {t["PredictionDraft"]} d JOIN {t["PredictionExercise"]} e ON e.id = d.exercise_id
         WHERE d.user_id = %s AND {which} = %s ORDER BY d.exercise_id
    """  # noqa: S608
    return [d.build(row) for row in _rows(sql, [user_id, param])]


def card_reveals(user_id, lesson_id) -> dict:
    """When the student last turned over each of the lesson's cards (None: the front is shown, not the answer),
    by card id."""
    t = quoted_tables(FlashcardReveal, Flashcard)
    sql = f"""
        SELECT r.card_id, CAST(r.revealed_at AS TEXT) FROM {t["FlashcardReveal"]} r
          JOIN {t["Flashcard"]} c ON c.id = r.card_id
         WHERE r.user_id = %s AND c.lesson_id = %s
    """  # noqa: S608
    return {card_id: parse_timestamp(revealed_at) for card_id, revealed_at in _rows(sql, [user_id, lesson_id])}


def last_live_log(user_id) -> ReviewLog | None:
    """The student's latest rating that was not undone (what "Undo" undoes), on any lesson."""
    t = quoted_tables(ReviewLog)
    g = ModelColumns(ReviewLog, "g")
    sql = f"""
        SELECT {g.text} FROM {t["ReviewLog"]} g WHERE g.user_id = %s AND g.undone_at IS NULL
         ORDER BY g.reviewed_at DESC, g.id DESC LIMIT 1
    """  # noqa: S608
    rows = _rows(sql, [user_id])
    return g.build(rows[0]) if rows else None
