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
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import mark_safe

from lessons.models import (
    ClassLesson,
    Classroom,
    Enrollment,
    StudentProgress,
)
from lessons.selectors.exam_plan import ClassForecast, class_forecasts
from lessons.selectors.lesson_progress import STATE_LABELS, LessonProgress, progress_for
from lessons.selectors.sql import in_list, parse_timestamp, quoted_tables

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


class Member(NamedTuple):
    student: User  # with its id, names and email; any other field loads when read (as with ``only()``)
    joined_at: datetime


ROSTER_FIELDS = ("id", "username", "first_name", "last_name", "email")


def class_roster(classroom: Classroom) -> list[Member]:
    """The class's students by username, each with when they joined (one query).

    Fixed text rather than ``Enrollment.objects.select_related("student")``: for a class of 300, Django built
    600 model instances and loaded 900 timestamps in Python (Django's loader for them is not psycopg's C one),
    some 10 ms, for the five fields the dashboard and the export show; here the join time is read as text.
    """
    t = quoted_tables(Enrollment, User)
    fields = ", ".join(f"u.{connection.ops.quote_name(name)}" for name in ROSTER_FIELDS)
    sql = f"""
        SELECT {fields}, CAST(e.joined_at AS TEXT) FROM {t["Enrollment"]} e
          JOIN {t["User"]} u ON u.id = e.student_id
         WHERE e.classroom_id = %s ORDER BY u.username
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [classroom.pk])
        rows = cursor.fetchall()
    db = connection.alias
    return [Member(User.from_db(db, ROSTER_FIELDS, row[:-1]), parse_timestamp(row[-1])) for row in rows]


@dataclass
class Cell:
    """One student x lesson square of the grid."""

    class_lesson: ClassLesson
    progress: LessonProgress
    behind: bool


@dataclass
class StudentRow:
    """One student's row: the summary of every row (from ``class_summaries``), and the
    cells, progress and reviews due of the rows shown only."""

    student: object
    lesson_count: int = 0
    progress: list[LessonProgress] = field(default_factory=list)  # one per assigned lesson, in column order
    reviews_due: int = 0
    reviews_overdue: int = 0
    inactive: bool = False
    last_active: datetime | None = None
    completed: int = 0
    behind_count: int = 0  # assigned lessons past their expected-by date and not completed
    behind: list[Cell] = field(default_factory=list)  # those lessons' cells (rows shown only)
    average_percent: int = 0
    html: str = ""  # the row's markup (``row_html``; rows shown only)

    @property
    def needs_attention(self) -> bool:
        return bool(self.behind_count) or self.inactive

    @property
    def attention_reasons(self) -> list[str]:
        reasons = []
        if self.behind_count:
            reasons.append(f"Behind on {self.behind_count}")
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


class StudentSummary(NamedTuple):
    """One student's kept rows on a set of lessons, summed (``class_summaries``)."""

    completed: int  # lessons completed
    percent_sum: int  # each lesson's whole percent done (100 when completed), summed
    late_completed: int  # of the ``late_ids`` lessons, those completed
    last_active: datetime | None


def class_summaries(student_ids, lesson_ids, late_ids) -> tuple[dict[int, StudentSummary], dict[int, int]]:
    """Each student's summary over the lessons, by user id (students without a row: absent), and how many of
    them completed each lesson, by lesson id: one statement over the kept rows.

    A lesson's percent is ``LessonProgress.percent`` (rounded down), or 100 once completed. Fixed text rather
    than two ORM aggregates: Django spent longer preparing their 300 ids each than Postgres took to sum.
    """
    if not student_ids or not lesson_ids:
        return {}, {}
    t = quoted_tables(StudentProgress)
    completed = "CASE WHEN completed_at IS NOT NULL THEN 1 ELSE 0 END"
    late, late_params = in_list("lesson_id", late_ids)
    pairs, pair_params = in_list("user_id", student_ids)
    lessons, lesson_params = in_list("lesson_id", lesson_ids)
    sql = f"""
        SELECT 'student', user_id, SUM({completed}),
               SUM(CASE WHEN completed_at IS NOT NULL THEN 100 WHEN total > 0 THEN done * 100 / total ELSE 0 END),
               SUM(CASE WHEN completed_at IS NOT NULL AND {late} THEN 1 ELSE 0 END), CAST(MAX(last_active) AS TEXT)
          FROM {t["StudentProgress"]} WHERE {pairs} AND {lessons}
         GROUP BY user_id
        UNION ALL
        SELECT 'lesson', lesson_id, SUM({completed}), 0, 0, NULL
          FROM {t["StudentProgress"]} WHERE {pairs} AND {lessons}
         GROUP BY lesson_id
    """  # noqa: S608
    params = [*late_params, *pair_params, *lesson_params, *pair_params, *lesson_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    summaries = {
        key: StudentSummary(completed, percent_sum, late, parse_timestamp(last))
        for kind, key, completed, percent_sum, late, last in rows
        if kind == "student"
    }
    completions = {key: completed for kind, key, completed, *_ in rows if kind == "lesson" and completed}
    return summaries, completions


def class_dashboard(
    classroom: Classroom,
    *,
    now: datetime,
    sort: str = "name",
    descending: bool = False,
    attention_only: bool = False,
    page: int | None = None,
) -> Dashboard:
    """Students x assigned lessons, with per-row and per-column summaries (about a dozen queries; two more
    when a lesson's expected-by date is still to come).

    Every student's summary (for the sort, the attention count and the column shares) is one aggregate
    over the kept progress rows, in the database. With ``page``, only that section of ``PAGE_SIZE``
    students has its cells built (its kept rows and reviews due read, the costly part), so the page's
    cost stays flat however large the class. Without ``page``, every row is built (the reminder service).
    """
    class_lessons = list(ClassLesson.objects.for_classroom(classroom))
    roster = class_roster(classroom)
    lessons = [cl.lesson for cl in class_lessons]
    lesson_ids = [lesson.pk for lesson in lessons]
    # The ids are the roster just read, as a list: Postgres then probes the (user, lesson) index per
    # student (1 ms for a class of 300 among 300,000 rows) where a subquery made it read every row of the
    # lessons and hash-join them (50-80 ms).
    student_ids = [member.student.pk for member in roster]
    today = timezone.localdate(now)
    inactive_before = now - INACTIVE_AFTER
    # An unpublished lesson is hidden from students, so nobody is behind on it (the dashboard marks it).
    late = [bool(cl.expected_by and cl.expected_by < today and cl.lesson.published) for cl in class_lessons]
    late_ids = [cl.lesson_id for cl, is_late in zip(class_lessons, late, strict=True) if is_late]
    summaries, completions = class_summaries(student_ids, lesson_ids, late_ids)

    forecasts = class_forecasts(class_lessons, [member.student for member in roster], today=today)
    columns = [
        Column(
            class_lesson=cl,
            students=len(roster),
            completed=completions.get(cl.lesson_id, 0),
            forecast=forecasts.get(cl.pk),
        )
        for cl in class_lessons
    ]
    rows = []
    for member in roster:
        summary = summaries.get(member.student.pk)
        row = StudentRow(student=member.student, lesson_count=len(class_lessons))
        if summary is not None:
            row.completed = summary.completed
            row.average_percent = summary.percent_sum // len(class_lessons)
            row.last_active = summary.last_active
            row.behind_count = len(late_ids) - summary.late_completed
        else:
            row.behind_count = len(late_ids)
        unfinished = row.completed < len(class_lessons)
        # A student who joined this week is not "inactive" for having done nothing yet.
        row.inactive = unfinished and (row.last_active or member.joined_at) < inactive_before
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
    # The cells of the rows shown: their kept rows (one query) and reviews due (one aggregate).
    table = progress_for([row.student.pk for row in rows], lessons, due_at=now, overdue_at=now - OVERDUE_AFTER)
    months = _month_abbreviations()
    tz = timezone.get_current_timezone()
    for row in rows:
        row.progress = table.row(row.student.pk, lessons)
        _build_cells(row, classroom, class_lessons, late, months, tz)
    return Dashboard(
        classroom=classroom,
        columns=columns,
        rows=rows,
        sort=sort,
        descending=descending,
        attention_only=attention_only,
        student_count=len(roster),
        attention_count=attention_count,
        today=today,
        shown_count=shown_count,
        page=page or 1,
        pages=pages if page is not None else 1,
    )


def _build_cells(row: StudentRow, classroom, class_lessons, late, months, tz) -> None:
    """The row's behind cells, its reviews due and its markup (the rows shown only)."""
    cells = []
    for cl, is_late, progress in zip(class_lessons, late, row.progress, strict=True):
        behind = is_late and not progress.completed
        if behind:
            row.behind.append(Cell(class_lesson=cl, progress=progress, behind=True))
        row.reviews_due += progress.reviews_due
        row.reviews_overdue += progress.reviews_overdue
        cells.append(cell_html(progress, behind, months, tz))
    row.html = row_html(row, reverse("class_student", args=[classroom.pk, row.student.pk]), "".join(cells), months, tz)


def row_html(row: StudentRow, student_url: str, cells_html: str, months: list[str], tz) -> str:
    """A student's ``<tr>``, built without the template engine (a class shows 100 rows on a page).

    The student's names are escaped; everything else is a constant, a number, a date or a URL we reversed.
    """
    student = row.student
    full_name = student.get_full_name()
    parts = [
        f'<tr>\n<th scope="row" class="student-col">\n<a href="{student_url}" class="student-name">'
        f"{escape(full_name or student.username)}</a>\n"
    ]
    if full_name:
        parts.append(f'<small class="student-username">{escape(student.username)}</small>\n')
    parts += [f'<span class="flag">{reason}</span>' for reason in row.attention_reasons]
    parts.append("\n</th>\n")
    if row.last_active:
        moment = row.last_active.astimezone(tz)  # what the template's date filter shows
        label = f"{moment.day} {months[moment.month]} {moment.year}, {moment:%H:%M}"
        parts.append(f'<td><time datetime="{moment.isoformat()}">{label}</time></td>\n')
    else:
        parts.append("<td>Never</td>\n")
    overdue = f", {row.reviews_overdue} overdue" if row.reviews_overdue else ""
    parts.append(f"<td>{row.completed}/{row.lesson_count} completed</td>\n<td>{row.reviews_due} due{overdue}</td>\n")
    parts.append(cells_html)
    parts.append("</tr>\n")
    return mark_safe("".join(parts))  # noqa: S308 - the names are escaped; the rest is ours
