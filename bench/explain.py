"""EXPLAIN (ANALYZE) checks: the due-cards query and dashboard-style aggregates use their indexes.

Each check compiles a real QuerySet to SQL, runs ``EXPLAIN (ANALYZE, BUFFERS,
FORMAT JSON)`` a few times and reports the median execution time, the scans of
the big tables and whether the expected index answered. Like ``ENDPOINTS``,
``CHECKS`` is a table: add a hot read's real query next to these.
"""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Max, Q

from lessons.models import CardState, Enrollment, OrderingAttempt, ReviewLog, SelfCheckAttempt, StudentProgress

RUNS = 5


@dataclass(frozen=True)
class Check:
    name: str
    queryset: object  # a callable (data) -> QuerySet
    table: str  # the big table that must be read through an index, never a sequential scan
    index: str | None  # the index that must answer, or None for any index of ``table``
    target_ms: float


def _due_cards(data):
    day_end = data.now + timedelta(days=1)  # the study day's end: Review cards due before it count
    return CardState.objects.published().due_for(data.extra["busiest_student"], now=data.now, day_end=day_end)[:20]


def _class_300(data):
    return Q(user__enrollments__classroom_id=data.class_300)


def _reviews_per_student(data):
    # Count a column of the index (not the id) so the index alone can answer.
    return (
        ReviewLog.objects.filter(_class_300(data))
        .values("user")
        .annotate(
            reviews=Count("reviewed_at"),
            last_week=Count("reviewed_at", filter=Q(reviewed_at__gte=data.now - timedelta(days=7))),
            last_review=Max("reviewed_at"),
        )
        .order_by()
    )


def _selfcheck_per_student_lesson(data):
    return (
        SelfCheckAttempt.objects.filter(_class_300(data))
        .values("user", "question__lesson")
        .annotate(revealed=Count("id"), missed=Count("id", filter=Q(verdict="missed")), last=Max("revealed_at"))
        .order_by()
    )


def _ordering_per_student_exercise(data):
    return (
        OrderingAttempt.objects.filter(_class_300(data))
        .values("user", "exercise")
        .annotate(tries=Count("id"), best=Max("score"))
        .order_by()
    )


def _due_per_student(data):
    return (
        # Count("due"), not the id: the partial (user, due) index then answers alone (10 ms, not 85 ms at 10x).
        CardState.objects.filter(_class_300(data), due__lte=data.now)
        .values("user")
        .annotate(due_cards=Count("due"))
        .order_by()
    )


def _progress_rows(data):
    """The dashboard's grid: the kept progress rows of the class's students (what replaced the aggregates), the
    students' ids given as a list, as the dashboard does (``lesson_progress.progress_for``: the same filter in
    fixed text)."""
    students = list(Enrollment.objects.filter(classroom_id=data.class_300).values_list("student_id", flat=True))
    lesson_ids = [lesson.pk for lesson in data.lessons]
    return (
        StudentProgress.objects.filter(user__in=students, lesson__in=lesson_ids)
        .order_by()
        .values_list("user_id", "lesson_id", "total", "done", "started", "last_active", "completed_at")
    )


CHECKS = [
    Check("due cards of one student (first 20)", _due_cards, "lessons_cardstate", "cardstate_user_due", 2),
    Check("class of 300: reviews per student", _reviews_per_student, "lessons_reviewlog", "reviewlog_user_time", 50),
    Check(
        "class of 300: self-checks per student x lesson",
        _selfcheck_per_student_lesson,
        "lessons_selfcheckattempt",
        None,
        50,
    ),
    Check(
        "class of 300: ordering tries per student x exercise",
        _ordering_per_student_exercise,
        "lessons_orderingattempt",
        None,
        50,
    ),
    Check("class of 300: cards due per student", _due_per_student, "lessons_cardstate", "cardstate_user_due", 50),
    Check("class of 300: kept progress rows", _progress_rows, "lessons_studentprogress", None, 20),
]


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scan(node):
    """A scan of a table and the index behind it (a bitmap heap scan's index is on its child node)."""
    if node["Node Type"] == "Bitmap Heap Scan":
        indexes = {child.get("Index Name", "") for child in _nodes(node) if child["Node Type"] == "Bitmap Index Scan"}
        return {"node": node["Node Type"], "index": ", ".join(sorted(indexes))}
    return {"node": node["Node Type"], "index": node.get("Index Name", "")}


def busiest_student(now):
    """The student with the most due cards: the due-cards query's worst case."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id FROM lessons_cardstate WHERE due <= %s GROUP BY user_id ORDER BY count(*) DESC LIMIT 1",
            [now],
        )
        return cursor.fetchone()[0]


def run_check(check, data):
    sql, params = check.queryset(data).query.sql_with_params()
    times, plan = [], None
    with connection.cursor() as cursor:
        for _ in range(RUNS):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
            result = cursor.fetchone()[0]
            result = result[0] if isinstance(result, list) else result
            plan = result["Plan"]
            times.append(result["Execution Time"])
        cursor.execute(f"EXPLAIN {sql}", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    scans = [_scan(node) for node in _nodes(plan) if node.get("Relation Name") == check.table]
    uses_index = bool(scans) and all(
        scan["index"] and (check.index is None or scan["index"] == check.index) for scan in scans
    )
    median = statistics.median(times)
    return {
        "name": check.name,
        "table": check.table,
        "index": check.index or "any index",
        "scans": scans,
        "uses_index": uses_index,
        "median_ms": round(median, 3),
        "max_ms": round(max(times), 3),
        "target_ms": check.target_ms,
        "meets_target": median <= check.target_ms,
        "sql": sql,
        "params": [str(p) for p in params],
        "plan": text,
    }


def run_checks(data):
    data.extra.setdefault("busiest_student", busiest_student(data.now))
    return [run_check(check, data) for check in CHECKS]
