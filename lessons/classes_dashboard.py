"""The class dashboard and a lesson's item view, aggregated in the database.

Every function here runs a fixed number of queries whatever the number of
students: one aggregate per kind of activity, grouped by student (or by item),
never one per student or per cell.

Definitions shown to instructors (the README's data dictionary repeats them):

- behind: an assigned lesson's expected-by date has passed (in the site's time
  zone) and the student has not completed it;
- inactive: no activity on the class's lessons in the last ``INACTIVE_AFTER``
  (or none at all) while an assigned lesson is unfinished;
- needs attention: behind or inactive;
- cards due: the student's cards of the class's lessons due now; overdue: due
  for more than ``OVERDUE_AFTER``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe

from lessons.models import (
    ClassLesson,
    Classroom,
    Confidence,
    Enrollment,
    Lesson,
    OrderingAttempt,
    PredictionSubmission,
    Rating,
    ReviewLog,
    RubricPoint,
    SelfCheckAttempt,
    Verdict,
)
from lessons.progress import STATE_LABELS, LessonProgress, progress_for

INACTIVE_AFTER = timedelta(days=7)
OVERDUE_AFTER = timedelta(days=1)
SORTS = {
    "name": "Name",
    "progress": "Completed",
    "last_active": "Last active",
}
# What a student on the grid needs for "confidently wrong": high confidence, under half the rubric named.
CONFIDENT_WRONG_SHARE = 0.5


def share(part: int, whole: int) -> int:
    """Whole percent, 0 when there is nothing to divide."""
    return round(100 * part / whole) if whole else 0


def class_students(classroom: Classroom):
    """The class's student ids as a subquery (never a Python list)."""
    return Enrollment.objects.filter(classroom=classroom).values("student_id")


@dataclass
class Cell:
    """One student x lesson square of the grid."""

    class_lesson: ClassLesson
    progress: LessonProgress
    behind: bool


@dataclass
class StudentRow:
    """One student's row; the summaries are computed once, when the row is built."""

    student: object
    cells: list[Cell]
    cards_due: int = 0
    cards_overdue: int = 0
    inactive: bool = False
    last_active: datetime | None = None
    completed: int = 0
    behind: list[Cell] = field(default_factory=list)
    average_percent: int = 0
    cells_html: str = ""
    # ``last_active`` as the template's ``date:"c"`` and ``date:"j M Y, H:i"`` write it (filled by class_dashboard).
    last_active_iso: str = ""
    last_active_label: str = ""

    @property
    def needs_attention(self) -> bool:
        return bool(self.behind) or self.inactive

    @property
    def attention_reasons(self) -> list[str]:
        reasons = []
        if self.behind:
            reasons.append(f"Behind on {len(self.behind)}")
        if self.inactive:
            reasons.append("Inactive 7+ days" if self.last_active else "No activity yet")
        return reasons


def _month_abbreviations() -> list[str]:
    """What the template's ``date:"M"`` prints for each month, in the active language (index 1-12)."""
    return ["", *(str(MONTHS_3[month]).title() for month in range(1, 13))]


def cell_html(progress: LessonProgress, behind: bool, months: list[str], tz) -> str:
    """The grid cell's markup, built without the template engine (the grid has students x lessons of them).

    Every part is a constant, a number or a formatted date, so nothing needs escaping. The state is
    written in words; the colour class only repeats it.
    """
    state = progress.state
    parts = [f'<span class="state-label">{STATE_LABELS[state]}</span>']
    if progress.completed_at is not None:
        moment = progress.completed_at.astimezone(tz)  # what the template's date filter shows
        parts.append(
            f'<small><time datetime="{moment.isoformat()}">{moment.day} {months[moment.month]} {moment.year}</time></small>'
        )
    elif progress.started:
        parts.append(f"<small>{progress.percent}%</small>")
    if behind:
        parts.append('<strong class="behind">Behind</strong>')
    return f'<td class="cell cell-{state}{" cell-behind" if behind else ""}">{" ".join(parts)}</td>\n'


@dataclass
class Column:
    class_lesson: ClassLesson
    completed: int = 0
    students: int = 0

    @property
    def share(self) -> int:
        return share(self.completed, self.students)


@dataclass
class Dashboard:
    classroom: Classroom
    columns: list[Column]
    rows: list[StudentRow]
    sort: str
    descending: bool
    attention_only: bool
    student_count: int = 0
    attention_count: int = 0
    today: date | None = None


def _sort_key(sort):
    if sort == "progress":
        return lambda row: (row.completed, row.average_percent, _name_key(row))
    if sort == "last_active":
        oldest = datetime.min.replace(tzinfo=timezone.get_current_timezone())
        return lambda row: (row.last_active or oldest, _name_key(row))
    return _name_key


def _name_key(row):
    """Students sort by the name they gave (their username when they gave none), then username."""
    student = row.student
    return ((student.get_full_name() or student.username).casefold(), student.username.casefold())


def parse_sort(value: str | None) -> tuple[str, bool]:
    """``"-progress"`` -> ("progress", True); unknown values fall back to name, ascending."""
    value = value or "name"
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in SORTS:
        return "name", False
    return key, descending


def class_dashboard(
    classroom: Classroom, *, now: datetime, sort: str = "name", descending: bool = False, attention_only: bool = False
) -> Dashboard:
    """Students x assigned lessons, with per-row and per-column summaries (about ten queries)."""
    class_lessons = list(ClassLesson.objects.for_classroom(classroom))
    enrollments = list(Enrollment.objects.for_dashboard(classroom))
    lessons = [cl.lesson for cl in class_lessons]
    # Progress and the cards due come from the same aggregates (one query per kind of activity).
    table = progress_for(class_students(classroom), lessons, due_at=now, overdue_at=now - OVERDUE_AFTER)
    today = timezone.localdate(now)
    inactive_before = now - INACTIVE_AFTER
    months = _month_abbreviations()
    tz = timezone.get_current_timezone()
    # An unpublished lesson is hidden from students, so nobody is behind on it (the dashboard marks it).
    late = [bool(cl.expected_by and cl.expected_by < today and cl.lesson.published) for cl in class_lessons]

    columns = [Column(class_lesson=cl, students=len(enrollments)) for cl in class_lessons]
    rows = []
    for enrollment in enrollments:
        student = enrollment.student
        row = StudentRow(student=student, cells=[])
        html = []
        percent_sum = 0
        for column, cl, is_late in zip(columns, class_lessons, late, strict=True):
            progress = table.get(student.pk, cl.lesson)
            cell = Cell(class_lesson=cl, progress=progress, behind=is_late and not progress.completed)
            row.cells.append(cell)
            if progress.completed:
                column.completed += 1
                row.completed += 1
                percent_sum += 100
            else:
                percent_sum += progress.percent
            if cell.behind:
                row.behind.append(cell)
            if progress.last_active and (row.last_active is None or progress.last_active > row.last_active):
                row.last_active = progress.last_active
            row.cards_due += progress.cards_due
            row.cards_overdue += progress.cards_overdue
            html.append(cell_html(progress, cell.behind, months, tz))
        row.cells_html = mark_safe("".join(html))  # noqa: S308 - cell_html writes only constants, numbers and dates
        row.average_percent = percent_sum // len(row.cells) if row.cells else 0
        if row.last_active:
            moment = row.last_active.astimezone(tz)
            row.last_active_iso = moment.isoformat()
            row.last_active_label = f"{moment.day} {months[moment.month]} {moment.year}, {moment:%H:%M}"
        unfinished = row.completed < len(row.cells)
        # A student who joined this week is not "inactive" for having done nothing yet.
        row.inactive = unfinished and (row.last_active or enrollment.joined_at) < inactive_before
        rows.append(row)

    attention_count = sum(1 for row in rows if row.needs_attention)
    if attention_only:
        rows = [row for row in rows if row.needs_attention]
    rows.sort(key=_sort_key(sort), reverse=descending)
    return Dashboard(
        classroom=classroom,
        columns=columns,
        rows=rows,
        sort=sort,
        descending=descending,
        attention_only=attention_only,
        student_count=len(enrollments),
        attention_count=attention_count,
        today=today,
    )


# ---------------------------------------------------------------- item view


@dataclass
class QuestionStats:
    question: object
    revealed: int = 0
    judged: int = 0
    missed: int = 0
    partly: int = 0
    got_it: int = 0

    @property
    def missed_share(self) -> int:
        return share(self.missed, self.judged)


@dataclass
class WrongPair:
    first: str  # the label the student put first
    second: str
    count: int
    of: int
    first_text: str = ""  # the stages' own words, for the item view
    second_text: str = ""

    @property
    def share(self) -> int:
        return share(self.count, self.of)


@dataclass
class OrderingStats:
    exercise: object
    students: int = 0
    attempts: int = 0
    first_tries: int = 0
    first_correct: int = 0
    solved: int = 0
    wrong_pairs: list[WrongPair] = field(default_factory=list)

    def __post_init__(self):
        """Name each stage of a wrong pair by its text as well as its label (the items are prefetched)."""
        texts = {item.label: item.text for item in self.exercise.items.all()}
        for pair in self.wrong_pairs:
            pair.first_text, pair.second_text = texts.get(pair.first, ""), texts.get(pair.second, "")

    @property
    def first_correct_share(self) -> int:
        return share(self.first_correct, self.first_tries)

    @property
    def average_tries(self) -> float:
        return round(self.attempts / self.students, 1) if self.students else 0


@dataclass
class RubricStats:
    point: object
    named: int
    of: int

    @property
    def share(self) -> int:
        return share(self.named, self.of)


@dataclass
class PredictionStats:
    exercise: object
    marked: int = 0
    points: list[RubricStats] = field(default_factory=list)
    confidently_wrong: list[dict] = field(default_factory=list)


@dataclass
class CardStats:
    card: object
    again: int
    reviews: int
    students: int


@dataclass
class LessonReport:
    classroom: Classroom
    lesson: Lesson
    student_count: int
    questions: list[QuestionStats]
    orderings: list[OrderingStats]
    predictions: list[PredictionStats]
    cards: list[CardStats]


def _position_of(label: str, length: int):
    """SQL for the index of ``label`` in the attempt's ``order`` JSON array (NULL when absent)."""
    whens = [When(**{f"order__{i}": label}, then=Value(i)) for i in range(length)]
    return Case(*whens, default=None, output_field=IntegerField())


def wrong_pair_counts(exercises, students) -> dict[int, list[WrongPair]]:
    """On each student's first try: how many put a later stage before an earlier one, per pair (one query).

    For every pair (x, y) with x before y in the correct order, counts first
    tries whose order has y before x; the positions are computed in SQL from
    the stored JSON order.
    """
    exercises = [ex for ex in exercises if len(ex.items.all()) > 1]
    if not exercises:
        return {}
    length = max(len(ex.items.all()) for ex in exercises)
    labels = sorted({item.label for ex in exercises for item in ex.items.all()})
    safe = {label: f"p{i}" for i, label in enumerate(labels)}  # labels are free text; annotation names are not
    positions = {safe[label]: _position_of(label, length) for label in labels}
    aggregates = {}
    pairs = {}
    for ex in exercises:
        aggregates[f"n_{ex.pk}"] = Count("pk", filter=Q(exercise_id=ex.pk))
        correct = ex.correct_labels()
        for i, x in enumerate(correct):
            for y in correct[i + 1 :]:
                name = f"w_{ex.pk}_{safe[x]}_{safe[y]}"
                pairs[name] = (ex.pk, y, x)
                aggregates[name] = Count("pk", filter=Q(exercise_id=ex.pk, **{f"{safe[y]}__lt": F(safe[x])}))
    totals = (
        OrderingAttempt.objects.filter(exercise__in=[ex.pk for ex in exercises], user__in=students, number=1)
        .annotate(**positions)
        .aggregate(**aggregates)
    )
    result = {ex.pk: [] for ex in exercises}
    for name, (exercise_id, first, second) in pairs.items():
        if totals[name]:
            result[exercise_id].append(
                WrongPair(first=first, second=second, count=totals[name], of=totals[f"n_{exercise_id}"])
            )
    for found in result.values():
        found.sort(key=lambda pair: (-pair.count, pair.first, pair.second))
    return result


def _latest_marked(lesson, students):
    """Each student's latest self-marked prediction on the lesson (one subquery)."""
    latest_number = (
        PredictionSubmission.objects.filter(
            user=OuterRef("user"), exercise=OuterRef("exercise"), marked_at__isnull=False
        )
        .order_by("-number")
        .values("number")[:1]
    )
    return PredictionSubmission.objects.filter(
        exercise__lesson=lesson, user__in=students, marked_at__isnull=False, number=Subquery(latest_number)
    )


def lesson_report(classroom: Classroom, lesson: Lesson) -> LessonReport:
    """Per-item results of the class on one lesson (``lesson`` from ``Lesson.objects.for_practice()``)."""
    students = class_students(classroom)
    student_count = Enrollment.objects.filter(classroom=classroom).count()

    question_rows = {
        row["question_id"]: row
        for row in SelfCheckAttempt.objects.filter(question__lesson=lesson, user__in=students)
        .order_by()
        .values("question_id")
        .annotate(
            revealed=Count("pk"),
            judged=Count("pk", filter=~Q(verdict="")),
            missed=Count("pk", filter=Q(verdict=Verdict.MISSED)),
            partly=Count("pk", filter=Q(verdict=Verdict.PARTLY)),
            got_it=Count("pk", filter=Q(verdict=Verdict.GOT_IT)),
        )
    }
    questions = []
    for question in lesson.questions.all():
        row = question_rows.get(question.pk, {})
        questions.append(
            QuestionStats(
                question=question, **{k: row.get(k, 0) for k in ("revealed", "judged", "missed", "partly", "got_it")}
            )
        )

    exercises = list(lesson.ordering_exercises.all())
    orderings = []
    if exercises:
        ordering_rows = {
            row["exercise_id"]: row
            for row in OrderingAttempt.objects.filter(exercise__lesson=lesson, user__in=students)
            .order_by()
            .values("exercise_id")
            .annotate(
                students=Count("user", distinct=True),
                attempts=Count("pk"),
                first_tries=Count("pk", filter=Q(number=1)),
                first_correct=Count("pk", filter=Q(number=1, is_correct=True)),
                solved=Count("user", distinct=True, filter=Q(is_correct=True)),
            )
        }
        pairs = wrong_pair_counts(exercises, students)
        for ex in exercises:
            row = ordering_rows.get(ex.pk, {})
            orderings.append(
                OrderingStats(
                    exercise=ex,
                    wrong_pairs=pairs.get(ex.pk, [])[:3],
                    **{k: row.get(k, 0) for k in ("students", "attempts", "first_tries", "first_correct", "solved")},
                )
            )

    predictions = []
    prediction_exercises = list(lesson.predictions.all())
    if prediction_exercises:
        latest = _latest_marked(lesson, students)
        marked = {
            row["exercise_id"]: row["n"]
            for row in latest.order_by().values("exercise_id").annotate(n=Count("pk")).values("exercise_id", "n")
        }
        named = dict(
            RubricPoint.objects.filter(exercise__lesson=lesson)
            .order_by()
            .annotate(named=Count("submissions", filter=Q(submissions__in=latest.values("pk"))))
            .values_list("pk", "named")
        )
        confident = (
            latest.filter(confidence=Confidence.HIGH)
            .annotate(named=Count("named_points"))
            .order_by("user__username")
            .values("exercise_id", "user__username", "user__first_name", "named")
        )
        by_exercise = {}
        for row in confident:
            by_exercise.setdefault(row["exercise_id"], []).append(row)
        for ex in prediction_exercises:
            points = list(ex.rubric_points.all())
            of = marked.get(ex.pk, 0)
            predictions.append(
                PredictionStats(
                    exercise=ex,
                    marked=of,
                    points=[RubricStats(point=p, named=named.get(p.pk, 0), of=of) for p in points],
                    confidently_wrong=[
                        {
                            "username": row["user__username"],
                            "name": row["user__first_name"],
                            "named": row["named"],
                            "of": len(points),
                        }
                        for row in by_exercise.get(ex.pk, [])
                        if points and row["named"] < CONFIDENT_WRONG_SHARE * len(points)
                    ],
                )
            )

    cards = []
    flashcards = {card.pk: card for card in lesson.flashcards.all()}
    if flashcards:
        # The card ids as a list and counts of ``rating`` (not the id): reviewlog_user_card_live answers alone.
        card_rows = (
            ReviewLog.objects.filter(card__in=list(flashcards), user__in=students, undone_at__isnull=True)
            .order_by()
            .values("card_id")
            .annotate(
                again=Count("rating", filter=Q(rating=Rating.AGAIN)),
                reviews=Count("rating"),
                students=Count("user", distinct=True),
            )
            .filter(again__gt=0)
            .order_by("-again", "card_id")[:5]
        )
        cards = [
            CardStats(
                card=flashcards[row["card_id"]], again=row["again"], reviews=row["reviews"], students=row["students"]
            )
            for row in card_rows
        ]

    return LessonReport(
        classroom=classroom,
        lesson=lesson,
        student_count=student_count,
        questions=questions,
        orderings=orderings,
        predictions=predictions,
        cards=cards,
    )
