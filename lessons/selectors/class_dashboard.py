"""The class dashboard: students x assigned lessons, aggregated in the database.

Every function here runs a fixed number of queries whatever the number of
students: one aggregate per kind of activity, grouped by student (or by item),
never one per student or per cell.

Definitions shown to instructors (the README's data dictionary repeats them):

- behind: an assigned lesson's expected-by date has passed (in the site's time
  zone) and the student has not completed it;
- inactive: no activity on the class's lessons in the last ``INACTIVE_AFTER``
  (or none at all) while an assigned lesson is unfinished;
- needs attention: behind or inactive;
- predicted recall on an expected-by date still to come: FSRS's retrievability of each student's items
  of the lesson on that day, averaged per student, then over the students who studied it; "below" are
  the students whose own average is under their desired retention (``lessons.selectors.exam_plan``);
- reviews due: the student's review items of the class's lessons (flashcards,
  self-check questions and ordering exercises, less the kinds they switched out
  of review) due now; overdue: due for more than ``OVERDUE_AFTER``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe

from lessons.models import (
    ClassLesson,
    Classroom,
    Enrollment,
)
from lessons.selectors.exam_plan import ClassForecast, class_forecasts
from lessons.selectors.lesson_progress import STATE_LABELS, LessonProgress, progress_for

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
    cells: list[Cell]  # built for the rows on the page only
    lesson_count: int = 0
    progress: list[LessonProgress] = field(default_factory=list)  # one per assigned lesson, in column order
    reviews_due: int = 0
    reviews_overdue: int = 0
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
    forecast: ClassForecast | None = None  # predicted recall on its expected-by date, when that is to come

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
    shown_count: int = 0  # the students listed (all, or those needing attention), on every page
    page: int = 1
    pages: int = 1

    @property
    def first_shown(self) -> int:
        """The position of the page's first student among ``shown_count`` (1-based)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.rows) - 1 if self.rows else 0

    @property
    def forecast_count(self) -> int:
        """Lessons whose expected-by date is still to come (each has a predicted-recall cell)."""
        return sum(1 for column in self.columns if column.forecast)


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


PAGE_SIZE = 100  # students per section of the grid: a lecture of 1,000 is ten pages


def parse_page(value: str | None) -> int:
    """``?page=`` as a page number (1 for anything that is not a positive whole number)."""
    return int(value) if value and value.isdigit() and 0 < int(value) < 100_000 else 1


def class_dashboard(
    classroom: Classroom,
    *,
    now: datetime,
    sort: str = "name",
    descending: bool = False,
    attention_only: bool = False,
    page: int | None = None,
) -> Dashboard:
    """Students x assigned lessons, with per-row and per-column summaries (about ten queries; two more when
    a lesson's expected-by date is still to come).

    Every student's summary is computed (the sort, the attention count and the column shares
    need them all: a few operations a cell); with ``page``, only that section of ``PAGE_SIZE``
    students gets its cells built, the costly part, so the page's cost per student shown stays
    flat however large the class. Without ``page``, every row is built (the reminder service).
    """
    class_lessons = list(ClassLesson.objects.for_classroom(classroom))
    enrollments = list(Enrollment.objects.for_dashboard(classroom))
    lessons = [cl.lesson for cl in class_lessons]
    # The kept progress rows (one query) and the reviews due (one aggregate) of every student at once. The ids
    # are the enrollments just read, as a list: Postgres then probes the (user, lesson) index per student
    # (1 ms for a class of 300 among 300,000 rows) where a subquery made it read every row of the lessons
    # and hash-join them (50-80 ms).
    student_ids = [enrollment.student_id for enrollment in enrollments]
    table = progress_for(student_ids, lessons, due_at=now, overdue_at=now - OVERDUE_AFTER)
    today = timezone.localdate(now)
    inactive_before = now - INACTIVE_AFTER
    months = _month_abbreviations()
    tz = timezone.get_current_timezone()
    # An unpublished lesson is hidden from students, so nobody is behind on it (the dashboard marks it).
    late = [bool(cl.expected_by and cl.expected_by < today and cl.lesson.published) for cl in class_lessons]

    forecasts = class_forecasts(class_lessons, [e.student for e in enrollments], today=today)
    columns = [
        Column(class_lesson=cl, students=len(enrollments), forecast=forecasts.get(cl.pk)) for cl in class_lessons
    ]
    rows = []
    for enrollment in enrollments:
        student = enrollment.student
        row = StudentRow(student=student, cells=[], lesson_count=len(class_lessons))
        row.progress = progresses = [table.get(student.pk, cl.lesson) for cl in class_lessons]
        percent_sum = 0
        for column, cl, is_late, progress in zip(columns, class_lessons, late, progresses, strict=True):
            if progress.completed:
                column.completed += 1
                row.completed += 1
                percent_sum += 100
            else:
                percent_sum += progress.percent
                if is_late:
                    row.behind.append(Cell(class_lesson=cl, progress=progress, behind=True))
            if progress.last_active and (row.last_active is None or progress.last_active > row.last_active):
                row.last_active = progress.last_active
            row.reviews_due += progress.reviews_due
            row.reviews_overdue += progress.reviews_overdue
        row.average_percent = percent_sum // len(class_lessons) if class_lessons else 0
        unfinished = row.completed < len(class_lessons)
        # A student who joined this week is not "inactive" for having done nothing yet.
        row.inactive = unfinished and (row.last_active or enrollment.joined_at) < inactive_before
        rows.append(row)

    attention_count = sum(1 for row in rows if row.needs_attention)
    if attention_only:
        rows = [row for row in rows if row.needs_attention]
    rows.sort(key=_sort_key(sort), reverse=descending)
    shown_count = len(rows)
    pages = max(1, -(-shown_count // PAGE_SIZE))
    if page is not None:
        page = min(max(page, 1), pages)
        rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    for row in rows:
        _build_cells(row, class_lessons, late, months, tz)
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
        shown_count=shown_count,
        page=page or 1,
        pages=pages if page is not None else 1,
    )


def _build_cells(row: StudentRow, class_lessons, late, months, tz) -> None:
    """The row's cells and their markup, and its last-active labels (for the rows on the page only)."""
    html = []
    for cl, is_late, progress in zip(class_lessons, late, row.progress, strict=True):
        cell = Cell(class_lesson=cl, progress=progress, behind=is_late and not progress.completed)
        row.cells.append(cell)
        html.append(cell_html(progress, cell.behind, months, tz))
    row.cells_html = mark_safe("".join(html))  # noqa: S308 - cell_html writes only constants, numbers and dates
    if row.last_active:
        moment = row.last_active.astimezone(tz)
        row.last_active_iso = moment.isoformat()
        row.last_active_label = f"{moment.day} {months[moment.month]} {moment.year}, {moment:%H:%M}"
