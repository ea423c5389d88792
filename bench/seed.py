"""Seed the benchmark database with bulk SQL (INSERT ... SELECT over generate_series).

At scale 1: one course of 20 lessons shaped like the diffusion lesson, 2,000
students, classes of 30 plus one of 300 and a lecture of 1,000, every student with self-check
attempts, ordering attempts, prediction submissions, completions and card
states on the lessons they started, and about 1,000,000 review-log rows.
Scale multiplies students and review logs; the course and class sizes stay.

Rows of the big tables are inserted in random (card states) or time (review
logs) order, not grouped by student: real rows arrive interleaved, and a heap
sorted by student would make the planner prefer plans it never would in
production (it did: the plain user_id index over the partial due index).

Each student has started the first ``k`` lessons (k from 10 to 20): those
lessons carry their records, the rest are untouched, so the self-check reveal
benchmark can still create real attempts. Rows are correct by construction
(foreign keys are not re-checked row by row: ``session_replication_role``), and
``VACUUM ANALYZE`` runs at the end so the planner sees the real sizes.
"""

import math
import time
from itertools import combinations
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from lessons.lessonfile import import_spec, parse_file
from lessons.models import Classroom, Lesson
from lessons.services.progress import progress_rebuild

DIFFUSION_FILE = Path(__file__).resolve().parent.parent / "lessons" / "content" / "diffusion.yaml"
COURSE_TITLE = "Benchmark course"
LESSONS = 20
STUDENTS_AT_SCALE_1 = 2000
REVIEWS_AT_SCALE_1 = 1_000_000
CLASS_SIZE = 30
BIG_CLASS_SIZE = 300
LECTURE_SIZE = 1000  # a lecture: its dashboard shows sections of 100 students (issue 16)
STUDENT_PASSWORD = "bench-student-password"  # noqa: S105 - benchmark accounts in a throwaway database
USERNAME_PREFIX = "bench-student-"
INSTRUCTOR_USERNAME = "bench-teacher"
BIG_CLASS_NAME = "Bench class of 300"
SMALL_CLASS_NAME = "Bench class of 30"
LECTURE_NAME = "Bench lecture of 1000"


def lesson_slug(position):
    return f"bench-lesson-{position:02d}"


def counts(scale):
    """Students and review-log rows at ``scale`` (at least one class's worth of students)."""
    return max(round(STUDENTS_AT_SCALE_1 * scale), 10), max(round(REVIEWS_AT_SCALE_1 * scale), 1000)


class Progress:
    """Prints each step with its row count and time, so a long seed shows where it is."""

    def __init__(self, write):
        self.write = write
        self.started = time.monotonic()

    def step(self, label, sql, params=None):
        start = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            rows = cursor.rowcount
        self.write(f"  {label}: {rows:,} rows in {time.monotonic() - start:.1f} s")
        return rows

    def done(self):
        return time.monotonic() - self.started


def pairs_in_order(order, correct):
    """How many of the n(n-1)/2 pairs of ``order`` are in the relative order of ``correct``."""
    place = {label: i for i, label in enumerate(correct)}
    return sum(1 for a, b in combinations(order, 2) if place[a] < place[b])


def ordering_variants(correct):
    """The correct order and two typical wrong ones (an adjacent swap, a rotation), with their scores."""
    swap = [correct[0], correct[2], correct[1], *correct[3:]]
    rotation = [*correct[1:], correct[0]]
    total = len(correct) * (len(correct) - 1) // 2
    return [(order, pairs_in_order(order, correct), total) for order in (correct, swap, rotation)]


def import_lessons(write):
    """The diffusion lesson imported 20 times under bench slugs, titles and positions."""
    spec = parse_file(DIFFUSION_FILE)
    lessons = []
    for position in range(1, LESSONS + 1):
        lesson_spec = {
            **spec,
            "course": COURSE_TITLE,
            "slug": lesson_slug(position),
            "title": f"{spec['title']} ({position})",
            "position": position,
        }
        lessons.append(import_spec(lesson_spec, source=f"{DIFFUSION_FILE} as {lesson_slug(position)}").lesson)
    write(f"  lessons: {len(lessons)} imported from {DIFFUSION_FILE.name}")
    return spec


def seed(*, scale, write=print):
    """Fill an empty, migrated database. Returns a summary dict for the report."""
    students, reviews = counts(scale)
    now = timezone.now()
    write(f"Seeding scale {scale}: {students:,} students, about {reviews:,} review logs")
    progress = Progress(write)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no per-row FK triggers
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SELECT setseed(0.42)")
        spec = import_lessons(write)
        _seed_people(progress, students=students, now=now)
        _seed_classes(progress, students=students)
        _seed_practice(progress, spec=spec, now=now)
        _seed_cards(progress, students=students, reviews=reviews, now=now, write=write)
        start = time.monotonic()
        rows = progress_rebuild()  # the kept progress rows, as the services would have written them
        write(f"  progress rows: {rows:,} in {time.monotonic() - start:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_seed (scale float NOT NULL, students int NOT NULL, "
                "seeded_at timestamptz NOT NULL, seconds float NOT NULL)"
            )
            cursor.execute("INSERT INTO bench_seed VALUES (%s, %s, %s, %s)", [scale, students, now, progress.done()])
    start = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    write(f"  vacuum analyze: {time.monotonic() - start:.1f} s")
    write(f"Seeded in {progress.done():.1f} s")
    return seed_summary()


def seed_info():
    """The scale the database was seeded at, or None when it was not (completely) seeded."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_seed') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT scale, students, seeded_at, seconds FROM bench_seed")
        row = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM lessons_classroom WHERE name = %s", [LECTURE_NAME])
        if not cursor.fetchone()[0]:  # seeded before the lecture was added: seed again
            return None
    return row and {"scale": row[0], "students": row[1], "seeded_at": row[2].isoformat(), "seconds": row[3]}


def seed_summary():
    """Row counts of the tables the benchmark exercises."""
    tables = [
        "auth_user",
        "lessons_lesson",
        "lessons_classroom",
        "lessons_enrollment",
        "lessons_selfcheckattempt",
        "lessons_orderingattempt",
        "lessons_orderingreveal",
        "lessons_predictionsubmission",
        "lessons_lessoncompletion",
        "lessons_studentprogress",
        "lessons_cardstate",
        "lessons_reviewlog",
    ]
    with connection.cursor() as cursor:
        result = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            result[table.removeprefix("lessons_")] = cursor.fetchone()[0]
    return {**(seed_info() or {}), "rows": result}


def _seed_people(progress, *, students, now):
    password = make_password(STUDENT_PASSWORD)  # hashed once: PBKDF2 costs 0.25 s a call
    progress.step(
        "students",
        """
        INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                               is_staff, is_active, date_joined)
        SELECT %s, false, %s || lpad(g::text, 6, '0'), 'Student', g::text,
               %s || lpad(g::text, 6, '0') || '@example.com', false, true, %s - interval '120 days'
        FROM generate_series(1, %s) AS g
        """,
        [password, USERNAME_PREFIX, USERNAME_PREFIX, now, students],
    )
    teacher = User.objects.create_user(INSTRUCTOR_USERNAME, password=None, is_staff=True)
    teacher.password = password
    teacher.save(update_fields=["password"])
    teacher.groups.add(Group.objects.get(name="Instructors"))
    # Each student's number and how many lessons (from the first) they have started.
    progress.step(
        "student plan",
        """
        CREATE TEMP TABLE bench_s ON COMMIT DROP AS
        SELECT id AS user_id, row_number() OVER (ORDER BY id) AS idx, 10 + floor(random() * 11)::int AS k
        FROM auth_user WHERE username LIKE %s
        """,
        [USERNAME_PREFIX + "%"],
    )
    progress.step(
        "lesson plan",
        "CREATE TEMP TABLE bench_l ON COMMIT DROP AS SELECT id AS lesson_id, position AS pos "
        "FROM lessons_lesson WHERE slug LIKE 'bench-lesson-%%'",
    )


def _seed_classes(progress, *, students):
    teacher = User.objects.get(username=INSTRUCTOR_USERNAME)
    small = math.ceil(students / CLASS_SIZE)
    classes = [Classroom(name=BIG_CLASS_NAME), Classroom(name=LECTURE_NAME)] + [
        Classroom(name=SMALL_CLASS_NAME, section=f"{i:04d}") for i in range(1, small + 1)
    ]
    Classroom.objects.bulk_create(classes)
    Classroom.instructors.through.objects.bulk_create(
        Classroom.instructors.through(classroom_id=c.pk, user_id=teacher.pk) for c in classes
    )
    progress.write(
        f"  classes: 1 of {min(BIG_CLASS_SIZE, students)}, 1 of {min(LECTURE_SIZE, students)}"
        f" and {small} of up to {CLASS_SIZE}"
    )
    ids = [c.pk for c in classes]
    progress.step(
        "class lessons",
        "INSERT INTO lessons_classlesson (classroom_id, lesson_id, position) "
        "SELECT c, l.lesson_id, l.pos FROM unnest(%s::bigint[]) AS c, bench_l l",
        [ids],
    )
    progress.step(
        "enrollments",
        """
        INSERT INTO lessons_enrollment (classroom_id, student_id, joined_at)
        SELECT %s, user_id, now() - interval '100 days' FROM bench_s WHERE idx <= %s
        UNION ALL
        SELECT %s, user_id, now() - interval '100 days' FROM bench_s WHERE idx <= %s
        UNION ALL
        SELECT (%s::bigint[])[((idx - 1) / %s) + 1], user_id, now() - interval '100 days' FROM bench_s
        """,
        [ids[0], BIG_CLASS_SIZE, ids[1], LECTURE_SIZE, ids[2:], CLASS_SIZE],
    )


def _seed_practice(progress, *, spec, now):
    variants = ordering_variants(spec["exercises"]["ordering"][0]["answer"])
    values = ", ".join(["(%s, %s::jsonb, %s, %s)"] * len(variants))
    params = []
    for k, (order, pairs, total) in enumerate(variants):
        params += [k, "[" + ", ".join(f'"{label}"' for label in order) + "]", pairs, total]
    progress.step(
        "self-check attempts",
        """
        INSERT INTO lessons_selfcheckattempt (user_id, question_id, answer_text, revealed_at, verdict, judged_at)
        SELECT user_id, question_id,
               CASE WHEN r < 0.6 THEN 'Noise is added step by step; no learning needed.' ELSE '' END,
               t,
               CASE WHEN r < 0.55 THEN 'got_it' WHEN r < 0.8 THEN 'partly' WHEN r < 0.95 THEN 'missed' ELSE '' END,
               CASE WHEN r < 0.95 THEN t + interval '40 seconds' END
        FROM (SELECT s.user_id, q.id AS question_id, random() AS r, %s - random() * interval '90 days' AS t
              FROM bench_s s JOIN bench_l l ON l.pos <= s.k JOIN lessons_selfcheckquestion q
              ON q.lesson_id = l.lesson_id) AS x
        """,
        [now],
    )
    progress.step(
        "ordering attempts",
        f"""
        INSERT INTO lessons_orderingattempt (user_id, exercise_id, number, "order", pairs_in_order, pairs_total,
                                             score, is_correct, created_at)
        SELECT x.user_id, x.exercise_id, g.n, v.ord, v.pairs, v.total, v.pairs::float / v.total, v.k = 0,
               x.t + g.n * interval '1 minute'
        FROM (SELECT s.user_id, e.id AS exercise_id, 1 + floor(random() * 3)::int AS tries, random() AS r,
                     %s - random() * interval '90 days' AS t
              FROM bench_s s JOIN bench_l l ON l.pos <= s.k JOIN lessons_orderingexercise e
              ON e.lesson_id = l.lesson_id) AS x
        CROSS JOIN LATERAL generate_series(1, x.tries) AS g(n)
        JOIN (VALUES {values}) AS v(k, ord, pairs, total)
          ON v.k = CASE WHEN g.n = x.tries AND x.r < 0.7 THEN 0 ELSE 1 + g.n %% 2 END
        """,  # noqa: S608 - the VALUES list is placeholders only
        [now, *params],
    )
    progress.step(
        "ordering reveals",
        """
        INSERT INTO lessons_orderingreveal (user_id, exercise_id, revealed_at)
        SELECT DISTINCT ON (user_id, exercise_id) user_id, exercise_id, created_at + interval '2 minutes'
        FROM lessons_orderingattempt WHERE NOT is_correct AND number >= 2
        ORDER BY user_id, exercise_id, number DESC
        """,
    )
    progress.step(
        "prediction submissions",
        """
        INSERT INTO lessons_predictionsubmission (user_id, exercise_id, number, text, confidence, marked_at,
                                                  created_at)
        SELECT s.user_id, p.id, 1,
               'It is slow because of many steps; each run differs because the static differs.',
               (ARRAY['low', 'medium', 'high', ''])[1 + floor(random() * 4)::int],
               t + interval '1 minute', t
        FROM (SELECT *, %s - random() * interval '90 days' AS t FROM bench_s) AS s
        JOIN bench_l l ON l.pos <= s.k JOIN lessons_predictionexercise p ON p.lesson_id = l.lesson_id
        """,
        [now],
    )
    progress.step(
        "rubric points named",
        """
        INSERT INTO lessons_predictionsubmission_named_points (predictionsubmission_id, rubricpoint_id)
        SELECT sub.id, rp.id FROM lessons_predictionsubmission sub
        JOIN lessons_rubricpoint rp ON rp.exercise_id = sub.exercise_id WHERE random() < 0.6
        """,
    )
    progress.step(
        "lesson completions",
        """
        INSERT INTO lessons_lessoncompletion (user_id, lesson_id, completed_at)
        SELECT s.user_id, l.lesson_id, %s - random() * interval '60 days'
        FROM bench_s s JOIN bench_l l ON l.pos < s.k
        """,
        [now],
    )


def _seed_cards(progress, *, students, reviews, now, write):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM bench_s s JOIN bench_l l ON l.pos <= s.k "
            "JOIN lessons_flashcard f ON f.lesson_id = l.lesson_id"
        )
        states = cursor.fetchone()[0]
    per_state = max(reviews / max(states, 1), 1)
    # reps = 1 + floor(random() * (2m - 1)) has mean m: the review logs add up to about ``reviews``.
    progress.step(
        "card states",
        """
        INSERT INTO lessons_cardstate (user_id, card_id, state, step, stability, difficulty, due, last_review,
                                       reps, lapses, version)
        SELECT user_id, card_id, state, CASE WHEN state = 2 THEN NULL ELSE 0 END, stability, difficulty,
               last_review + (stability * interval '1 day') - interval '12 days', last_review, reps,
               floor(reps * r * 0.2)::int, reps
        FROM (SELECT s.user_id, f.id AS card_id, random() AS r,
                     CASE WHEN random() < 0.1 THEN 1 WHEN random() < 0.9 THEN 2 ELSE 3 END AS state,
                     1 + random() * 40 AS stability, 1 + random() * 9 AS difficulty,
                     %s - random() * interval '20 days' AS last_review,
                     1 + floor(random() * (2 * %s - 1))::int AS reps
              FROM bench_s s JOIN bench_l l ON l.pos <= s.k JOIN lessons_flashcard f
              ON f.lesson_id = l.lesson_id) AS x
        ORDER BY random()
        """,
        [now, per_state],
    )
    chunks = 10
    size = math.ceil(students / chunks)
    total = 0
    for chunk in range(chunks):
        low, high = chunk * size + 1, (chunk + 1) * size
        total += progress.step(
            f"review logs {chunk + 1}/{chunks}",
            """
            INSERT INTO lessons_reviewlog (user_id, card_id, rating, reviewed_at, duration_ms,
                retrievability_before, state_before, step_before, stability_before, difficulty_before,
                due_before, last_review_before, reps_before, lapses_before, state_after, stability_after,
                difficulty_after, due_after, undone_at, practice)
            SELECT cs.user_id, cs.card_id, x.rating, x.at, 2000 + floor(random() * 8000)::int,
                   CASE WHEN g.n = 1 THEN NULL ELSE 0.7 + random() * 0.3 END,
                   CASE WHEN g.n = 1 THEN NULL ELSE 2 END, NULL,
                   CASE WHEN g.n = 1 THEN NULL ELSE cs.stability * g.n / cs.reps END,
                   CASE WHEN g.n = 1 THEN NULL ELSE cs.difficulty END,
                   CASE WHEN g.n = 1 THEN NULL ELSE x.at END,
                   CASE WHEN g.n = 1 THEN NULL ELSE x.at - interval '3 days' END,
                   g.n - 1, 0, CASE WHEN x.rating = 1 THEN 3 ELSE 2 END,
                   cs.stability * (g.n + 1) / (cs.reps + 1), cs.difficulty, x.at + interval '3 days', NULL, false
            FROM bench_s s JOIN lessons_cardstate cs ON cs.user_id = s.user_id
            CROSS JOIN LATERAL generate_series(1, cs.reps) AS g(n)
            CROSS JOIN LATERAL (
                SELECT cs.last_review - (cs.reps - g.n) * interval '3 days' AS at,
                       CASE WHEN random() < 0.1 THEN 1 WHEN random() < 0.2 THEN 2
                            WHEN random() < 0.9 THEN 3 ELSE 4 END AS rating) AS x
            WHERE s.idx BETWEEN %s AND %s
            ORDER BY x.at
            """,
            [low, high],
        )
    write(f"  review logs: {total:,} in all")


def bench_lessons():
    """The benchmark's lessons, in course order."""
    return list(Lesson.objects.filter(slug__startswith="bench-lesson-").order_by("position"))
