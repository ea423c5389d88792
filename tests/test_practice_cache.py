"""The practice page's per-student records come from a cache keyed by the progress row's version: never stale.

Before each kind of write the page is viewed (the records are cached), then the write goes
through the service the view calls; the page's records must then equal a fresh read of the
database, and the page must show the change. The records of a student who has not changed
come from the cache (fewer queries), at two lesson sizes.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from lessons.models import Confidence, Rating, ReviewLog, SelfCheckQuestion, Verdict
from lessons.selectors.practice_page import _read_records, student_records
from lessons.services.authoring import item_archive, item_restore
from lessons.services.ordering import ordering_check, ordering_reveal
from lessons.services.prediction import prediction_mark, prediction_submit
from lessons.services.review import item_rate, review_record, review_reveal, review_switches_save, review_undo
from lessons.services.selfcheck import selfcheck_judge, selfcheck_reveal
from tests import budgets
from tests.factory import CORRECT, make_lesson
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def snapshot(records):
    """Every record's stored fields (and a submission's ticks), comparable across a cache round trip."""
    found = {}
    for kind, rows in records.items():
        found[kind] = sorted(
            (
                row.pk,
                sorted((k, str(v)) for k, v in vars(row).items() if not k.startswith("_")),
                sorted(point.pk for point in row.named_points.all()) if kind == "submissions" else [],
            )
            for row in rows
        )
    return found


def first(queryset):
    return queryset.order_by("pk").first()


def write_kinds(student, lesson):
    question, card = first(lesson.questions), first(lesson.flashcards)
    exercise, prediction = first(lesson.ordering_exercises), first(lesson.predictions)
    later = timezone.now() + timedelta(days=60)  # the question is due by then: a scheduled rating, not practice
    return [
        ("self-check reveal", lambda: selfcheck_reveal(user=student, question=question, answer_text="mine")),
        ("self-check verdict", lambda: selfcheck_judge(user=student, question=question, verdict=Verdict.PARTLY)),
        ("ordering try", lambda: ordering_check(user=student, exercise=exercise, order=list(reversed(CORRECT)), number=1)),
        ("ordering second try", lambda: ordering_check(user=student, exercise=exercise, order=list(CORRECT), number=2)),
        ("ordering reveal", lambda: ordering_reveal(user=student, exercise=exercise)),
        ("prediction submit", lambda: prediction_submit(user=student, exercise=prediction, number=1, text="Up.", confidence=Confidence.HIGH)),
        ("prediction mark", lambda: prediction_mark(user=student, exercise=prediction, number=1, points=list(prediction.rubric_points.all())[:2])),
        ("card rating", lambda: (review_reveal(user=student, card=card), review_record(user=student, card=card, rating=Rating.GOOD, version=0))),
        ("rating undo", lambda: review_undo(user=student, log_id=ReviewLog.objects.filter(user=student, card=card).latest("pk").pk)),
        ("card rating again", lambda: (review_reveal(user=student, card=card), review_record(user=student, card=card, rating=Rating.HARD, version=0))),
        ("question review rating", lambda: item_rate(user=student, item=question, rating=Rating.GOOD, version=None, revealed_at=later, reviewed_at=later)),
        ("question rating undo", lambda: review_undo(user=student, log_id=ReviewLog.objects.filter(user=student, question=question).latest("pk").pk)),
        ("questions switched out of review", lambda: review_switches_save(user=student, lesson_ids=[lesson.pk], questions_on=set(), exercises_on={lesson.pk})),
        ("lesson edit", lambda: SelfCheckQuestion.objects.create(lesson=lesson, position=99, question="New?", answer="New.")),
        ("archive", lambda: item_archive(item=question)),
        ("restore", lambda: item_restore(item=SelfCheckQuestion.objects.get(pk=question.pk))),
    ]  # fmt: skip


def test_cached_records_change_after_every_kind_of_write(student, student_client):
    lesson = make_lesson(slug="cached", questions=2, cards=2)
    for kind, write in write_kinds(student, lesson):
        assert student_client.get("/lessons/cached/").status_code == 200  # the records are cached now
        before = snapshot(student_records(student, lesson))
        write()
        lesson.refresh_from_db()  # the view reads the lesson (and its content version) on each request
        fresh = snapshot(_read_records(student, lesson))
        assert snapshot(student_records(student, lesson)) == fresh, f"stale records after {kind}"
        if kind not in ("lesson edit", "archive", "restore"):
            assert fresh != before, f"{kind} changed no record (the test would prove nothing)"


def test_the_page_shows_each_write(student, student_client):
    lesson = make_lesson(slug="shown", questions=1, cards=1)
    question = lesson.questions.get()
    student_client.get("/lessons/shown/")
    selfcheck_reveal(user=student, question=question, answer_text="My own cached answer")
    assert "My own cached answer" in page_text(student_client.get("/lessons/shown/"))
    prediction = lesson.predictions.get()
    prediction_submit(user=student, exercise=prediction, number=1, text="Cached prediction text", confidence="")
    assert "Cached prediction text" in page_text(student_client.get("/lessons/shown/"))
    item_archive(item=question)
    assert "My own cached answer" not in page_text(student_client.get("/lessons/shown/"))


@pytest.mark.parametrize("size", [3, 30])
def test_an_unchanged_student_reads_the_cached_records(student, student_client, django_assert_max_num_queries, size):
    lesson = make_lesson(slug="warm", questions=size, cards=size)
    for question in lesson.questions.all():
        selfcheck_reveal(user=student, question=question, answer_text="mine")
    student_client.get("/lessons/warm/")  # content and records cached
    with django_assert_max_num_queries(budgets.PRACTICE_PAGE_WARM):
        response = student_client.get("/lessons/warm/")
    assert response.status_code == 200 and f"Question {size}?" in page_text(response)
