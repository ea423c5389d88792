"""CSV exports of a class: wide (a row per student, three columns per lesson) and long (a row per event).

Both are UTF-8 with a header row; ids are database ids that never change
(``student_id``, ``lesson_id``, ``item_id``) next to the readable names. Times
are ISO 8601 in UTC. The README's "Progress and classes" section is the data
dictionary. Text cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-`` or ``@``) get a leading apostrophe.
"""

import heapq
from datetime import UTC

from django.contrib.auth.models import User
from django.db.models import Case, Count, Q, TextField, Value, When
from django.db.models.functions import Coalesce

from lessons.models import (
    ClassLesson,
    Classroom,
    ItemKind,
    OrderingAttempt,
    OrderingReveal,
    PredictionSubmission,
    Rating,
    ReviewLog,
    SelfCheckAttempt,
)
from lessons.models.content import ARCHIVED_POSITION_BASE
from lessons.selectors.class_dashboard import class_roster, class_students
from lessons.selectors.lesson_progress import progress_for, timestamp_text
from lessons.selectors.sql import parse_timestamp

LONG_HEADER = [
    "occurred_at",
    "student_id",
    "username",
    "name",
    "lesson_id",
    "lesson_slug",
    "activity",
    "item_id",
    "item_position",
    "event",
    "attempt",
    "value",
    "score",
    "correct",
    "item_archived",
    "item_kind",
    "item",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula."""
    return f"'{value}" if value and value.startswith(FORMULA_START) else value


def iso(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else ""


def wide_rows(classroom: Classroom):
    """Header then one row per student: state, percent and completed-at for each assigned lesson."""
    class_lessons = list(ClassLesson.objects.for_classroom(classroom))
    lessons = [cl.lesson for cl in class_lessons]
    roster = class_roster(classroom)
    # The ids as a list, as the dashboard does: the class as a subquery made Postgres read every kept row of the
    # lessons at scale 10.
    table = progress_for([member.student.pk for member in roster], lessons)
    header = ["student_id", "username", "name"]
    for lesson in lessons:
        header += [f"{lesson.slug}:state", f"{lesson.slug}:percent", f"{lesson.slug}:completed_at"]
    yield header
    for member in roster:
        student = member.student
        row = [student.pk, safe_text(student.username), safe_text(student.get_full_name())]
        for progress in table.row(student.pk, lessons):
            row += [progress.state, 100 if progress.completed else progress.percent, iso(progress.completed_at)]
        yield row


# The long export reads plain tuples (``values_list``), not model instances with their related rows:
# a class of 300 has some 200,000 events, and building three model objects per event cost seconds.
# Times are read as text and parsed in C (see ``progress.timestamp_text``).
RATING_WORDS = {value: label.lower() for value, label in Rating.choices}


def _events(queryset, *fields):
    """Rows of ``fields`` plus the event time (last), oldest first, read in chunks from a server-side cursor."""
    return (
        queryset.order_by(fields[-1], "pk").values_list("pk", *fields[:-1], timestamp_text(fields[-1])).iterator(2000)
    )


def _selfcheck_events(attempts, event):
    for pk, user_id, username, lesson_id, slug, question_id, position, verdict, at in attempts:
        row = [user_id, username, lesson_id, slug, "self_check", question_id, position, event, ""]
        if event == "reveal":
            yield (parse_timestamp(at), 0, pk), [*row, "", "", "", ItemKind.QUESTION, ""]
        else:
            yield (parse_timestamp(at), 1, pk), [*row, verdict, "", "", ItemKind.QUESTION, ""]


def _ordering_events(attempts):
    for pk, user_id, username, lesson_id, slug, exercise_id, position, number, order, score, correct, at in attempts:
        row = [user_id, username, lesson_id, slug, "ordering", exercise_id, position, "attempt"]
        cells = [number, " ".join(order), f"{score:.3f}", str(correct).lower(), ItemKind.EXERCISE, ""]
        yield (parse_timestamp(at), 2, pk), [*row, *cells]


def _reveal_events(reveals):
    for pk, user_id, username, lesson_id, slug, exercise_id, position, at in reveals:
        row = [user_id, username, lesson_id, slug, "ordering", exercise_id, position]
        yield (parse_timestamp(at), 3, pk), [*row, "answer_shown", "", "", "", "", ItemKind.EXERCISE, ""]


def _prediction_events(submissions):
    for (
        pk,
        user_id,
        username,
        lesson_id,
        slug,
        exercise_id,
        position,
        number,
        confidence,
        named,
        marked,
        at,
    ) in submissions:
        row = [user_id, username, lesson_id, slug, "prediction", exercise_id, position]
        cells = ["submission", number, confidence, named if marked else "", "", "prediction", ""]
        yield (parse_timestamp(at), 4, pk), [*row, *cells]


# A review log's item as the long export names it: its activity (as the other rows of that item) and kind.
REVIEW_ACTIVITY = {ItemKind.CARD: "flashcard", ItemKind.QUESTION: "self_check", ItemKind.EXERCISE: "ordering"}


def _review_events(logs):
    for pk, user_id, username, lesson_id, slug, item_id, position, kind, text, undone, practice, rating, at in logs:
        row = [user_id, username, lesson_id, slug, REVIEW_ACTIVITY[kind], item_id, position]
        event = "review_undone" if undone else "practice" if practice else "review"
        cells = [event, "", RATING_WORDS.get(rating, str(rating)), "", "", kind, safe_text(text)]
        yield (parse_timestamp(at), 5, pk), [*row, *cells]


def long_rows(classroom: Classroom):
    """Header then every recorded event of the class's students on its lessons, oldest first (seven queries)."""
    students = class_students(classroom)
    # The display name (issue 17) next to the username, read once per student rather than joined per event.
    names = {
        pk: safe_text(f"{first} {last}".strip())
        for pk, first, last in User.objects.filter(pk__in=students).values_list("pk", "first_name", "last_name")
    }
    lessons = ClassLesson.objects.filter(classroom=classroom).values("lesson_id")
    person = ("user_id", "user__username")
    question = ("question__lesson_id", "question__lesson__slug", "question_id", "question__position")
    exercise = ("exercise__lesson_id", "exercise__lesson__slug", "exercise_id", "exercise__position")
    # A review log's item is a card, a question or an exercise (issue 18): one of the three is set.
    item = ("item_lesson_id", "item_lesson_slug", "item_id", "item_position", "item_kind", "item_text")
    attempts = SelfCheckAttempt.objects.filter(user__in=students, question__lesson__in=lessons)
    sources = [
        _selfcheck_events(_events(attempts, *person, *question, "verdict", "revealed_at"), "reveal"),
        _selfcheck_events(
            _events(
                attempts.filter(judged_at__isnull=False).exclude(verdict=""), *person, *question, "verdict", "judged_at"
            ),
            "verdict",
        ),
        _ordering_events(
            _events(
                OrderingAttempt.objects.filter(user__in=students, exercise__lesson__in=lessons),
                *person,
                *exercise,
                "number",
                "order",
                "score",
                "is_correct",
                "created_at",
            )
        ),
        _reveal_events(
            _events(
                OrderingReveal.objects.filter(user__in=students, exercise__lesson__in=lessons),
                *person,
                *exercise,
                "revealed_at",
            )
        ),
        _prediction_events(
            _events(
                PredictionSubmission.objects.filter(user__in=students, exercise__lesson__in=lessons).annotate(
                    n_named=Count("named_points")
                ),
                *person,
                *exercise,
                "number",
                "confidence",
                "n_named",
                "marked_at",
                "created_at",
            )
        ),
        _review_events(
            _events(
                ReviewLog.objects.filter(
                    Q(card__lesson__in=lessons) | Q(question__lesson__in=lessons) | Q(exercise__lesson__in=lessons),
                    user__in=students,
                ).annotate(
                    item_lesson_id=Coalesce("card__lesson_id", "question__lesson_id", "exercise__lesson_id"),
                    item_lesson_slug=Coalesce("card__lesson__slug", "question__lesson__slug", "exercise__lesson__slug"),
                    item_id=Coalesce("card_id", "question_id", "exercise_id"),
                    item_position=Coalesce("card__position", "question__position", "exercise__position"),
                    item_kind=Case(
                        When(card__isnull=False, then=Value(ItemKind.CARD)),
                        When(question__isnull=False, then=Value(ItemKind.QUESTION)),
                        default=Value(ItemKind.EXERCISE),
                    ),
                    item_text=Coalesce(
                        "card__front", "question__question", "exercise__title", output_field=TextField()
                    ),
                ),
                *person,
                *item,
                "undone_at",
                "practice",
                "rating",
                "reviewed_at",
            )
        ),
    ]
    yield LONG_HEADER
    for (moment, _kind, _pk), row in heapq.merge(*sources, key=lambda event: event[0]):
        row[1] = safe_text(row[1])
        # An archived item sits at ARCHIVED_POSITION_BASE and up: it has no place in the lesson now.
        archived = row[6] >= ARCHIVED_POSITION_BASE
        if archived:
            row[6] = ""
        kind, text = row[12:]
        yield [iso(moment), row[0], row[1], names.get(row[0], ""), *row[2:12], "true" if archived else "", kind, text]


# The review history in the FSRS optimizer's own columns (open-spaced-repetition's fsrs-optimizer and
# fsrs-rs read ``card_id, review_time, review_rating, review_state, review_duration``), then readable ones.
# ``review_state`` is the card's state when it was rated: 0 New, 1 Learning, 2 Review, 3 Relearning.
# ``card_id`` names the review item: a flashcard's database id (as before self-check questions and ordering
# exercises were reviewed too), a question's or an exercise's stable uid ("q-7kx2mp", "o-3hd9qa": never a
# number, so never a card's id); ``card_uid`` is the item's id in lesson files, ``card_front`` its text.
# Practice ratings (which left the schedule alone) are not scheduling history and are left out.
REVIEW_HISTORY_HEADER = [
    "card_id",
    "review_time",
    "review_rating",
    "review_state",
    "review_duration",
    "reviewed_at",
    "lesson",
    "card_front",
    "card_uid",
    "card_archived",
]


def review_history_rows(user):
    """Header then one row per scheduled rating of ``user`` that was not undone, oldest first (streamed)."""
    yield REVIEW_HISTORY_HEADER
    logs = (
        ReviewLog.objects.scheduled()
        .filter(user=user)
        .order_by("reviewed_at", "pk")
        .annotate(
            item_lesson=Coalesce(
                "card__lesson__title", "question__lesson__title", "exercise__lesson__title", output_field=TextField()
            ),
            item_front=Coalesce("card__front", "question__question", "exercise__title", output_field=TextField()),
            item_uid=Coalesce("card__uid", "question__uid", "exercise__uid", output_field=TextField()),
            item_archived=Coalesce("card__archived_at", "question__archived_at", "exercise__archived_at"),
        )
        .values_list(
            "card_id",
            "reviewed_at",
            "rating",
            "state_before",
            "duration_ms",
            "item_lesson",
            "item_front",
            "item_uid",
            "item_archived",
        )
    )
    rows = logs.iterator(chunk_size=2000)
    for card_id, reviewed_at, rating, state_before, duration_ms, lesson, front, uid, archived_at in rows:
        yield [
            uid if card_id is None else card_id,
            round(reviewed_at.timestamp() * 1000),
            rating,
            state_before or 0,
            0 if duration_ms is None else duration_ms,
            iso(reviewed_at),
            safe_text(lesson),
            safe_text(front),
            uid,
            "true" if archived_at else "",
        ]
