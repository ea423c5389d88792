"""Every write locks only its own rows, in the order ``lessons.services.progress`` documents.

A SELECT ... FOR UPDATE whose default ordering joins other tables locks their rows too: the
kept progress row's lock once took the lesson and course rows with it, and two students'
writes deadlocked (one 503 among 2,280 concurrent POSTs in ``test_scale_out``). These tests
run each kind of write on Postgres and read the SQL it sent: no lock reaches a joined table,
the lesson row is only ever locked FOR NO KEY UPDATE, and the progress row is locked last.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lessons.models import Confidence, Rating, ReviewLog, Verdict
from lessons.services.authoring import item_archive, item_restore
from lessons.services.ordering import ordering_check, ordering_reveal
from lessons.services.prediction import prediction_mark, prediction_submit
from lessons.services.review import review_record, review_reveal, review_undo
from lessons.services.selfcheck import selfcheck_judge, selfcheck_reveal
from tests.factory import CORRECT, make_lesson, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LOCK = re.compile(r"FOR (NO KEY )?UPDATE( OF (?P<of>.+))?$")
PROGRESS_TABLE = '"lessons_studentprogress"'


def locks(queries):
    """(statement, locked table or tables) of every statement that takes a row lock, in order."""
    found = []
    for query in queries:
        sql = query["sql"]
        match = LOCK.search(sql)
        if sql.startswith("INSERT") and "DO UPDATE" in sql:  # an upsert locks the row it finds
            found.append((sql, sql.split()[2]))
        elif sql.startswith("UPDATE") or sql.startswith("DELETE"):
            found.append((sql, sql.split()[1 if sql.startswith("UPDATE") else 2]))
        elif match:
            assert " JOIN " not in sql or match["of"], f"a lock reaches joined rows:\n{sql}"
            table = match["of"] or sql.split(" FROM ")[1].split()[0]
            found.append((sql, table))
            if '"lessons_lesson"' in table:
                assert "NO KEY" in sql, f"the lesson row is locked FOR UPDATE (blocks students' inserts):\n{sql}"
    return found


def assert_progress_last(queries):
    tables = [table for _, table in locks(queries)]
    assert PROGRESS_TABLE in tables, "the write did not keep progress"
    first = tables.index(PROGRESS_TABLE)
    after = {t for t in tables[first:] if t != PROGRESS_TABLE and t != '"lessons_lessoncompletion"'}
    assert not after, f"rows locked after the progress row: {after}"


def captured(action):
    with CaptureQueriesContext(connection) as context:
        action()
    return context.captured_queries


def test_students_writes_lock_their_records_then_their_progress_row():
    student = make_user()
    lesson = make_lesson(questions=1, cards=1)
    question, card = lesson.questions.get(), lesson.flashcards.get()
    exercise, prediction = lesson.ordering_exercises.get(), lesson.predictions.get()
    writes = [
        lambda: selfcheck_reveal(user=student, question=question, answer_text="mine"),
        lambda: selfcheck_judge(user=student, question=question, verdict=Verdict.GOT_IT),
        lambda: ordering_check(user=student, exercise=exercise, order=list(reversed(CORRECT)), number=1),
        lambda: ordering_reveal(user=student, exercise=exercise),
        lambda: prediction_submit(user=student, exercise=prediction, number=1, text="t", confidence=Confidence.LOW),
        lambda: prediction_mark(user=student, exercise=prediction, number=1, points=[]),
        lambda: (review_reveal(user=student, card=card), review_record(user=student, card=card, rating=Rating.GOOD, version=0)),
        lambda: review_undo(user=student, log_id=ReviewLog.objects.filter(user=student, card=card).latest("pk").pk),
    ]  # fmt: skip
    for write in writes:
        assert_progress_last(captured(write))


def test_content_edits_lock_the_lesson_without_blocking_students_then_rows_in_user_order():
    students = [make_user(f"s{n}") for n in range(3)]
    lesson = make_lesson(questions=2, cards=0, ordering=False, prediction=False)
    first, second = lesson.questions.all()
    for student in reversed(students):
        selfcheck_reveal(user=student, question=first, answer_text="mine")
    queries = captured(lambda: item_archive(item=second))
    assert_progress_last(queries)
    progress_locks = [sql for sql, table in locks(queries) if table == PROGRESS_TABLE and "FOR UPDATE" in sql]
    assert progress_locks and all('ORDER BY "lessons_studentprogress"."user_id" ASC' in sql for sql in progress_locks)
    second.refresh_from_db()
    assert_progress_last(captured(lambda: item_restore(item=second)))
