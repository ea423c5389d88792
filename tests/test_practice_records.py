"""A student's records on the practice page: fixed SQL (``selectors.practice_records``), checked against the ORM
queries it replaced (kept here as the reference) after random activities by several students on two lessons."""

import random

import pytest
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q

from lessons.errors import ApplicationError
from lessons.models import (
    CardState,
    ClassLesson,
    FlashcardReveal,
    ItemKind,
    Lesson,
    OrderingAttempt,
    OrderingReveal,
    PredictionDraft,
    PredictionSubmission,
    ReviewLog,
    ReviewOptOut,
    RubricPoint,
    SelfCheckAttempt,
    StudentProgress,
    StudentSettings,
)
from lessons.selectors import practice_records
from lessons.selectors.sql import ModelColumns
from lessons.services.prediction import prediction_draft_save
from lessons.services.review import settings_save
from tests.test_progress_projection import ACTIONS, act, small_lesson

pytestmark = pytest.mark.django_db

# Lesson edits happen in the world, but not deletions of whole exercises: the comparison wants records on each kind.
WORLD_ACTIONS = [action for action in ACTIONS if action != "delete_ordering"]


def orm_selfcheck(user, lesson):
    return list(SelfCheckAttempt.objects.filter(user=user, question__lesson=lesson))


def orm_latest_ordering(user, **which):
    """Each (student, exercise)'s latest try, with ``solved_in`` (first correct try) and ``revealed``."""
    same = {"user": OuterRef("user"), "exercise": OuterRef("exercise")}
    newer = OrderingAttempt.objects.filter(**same, number__gt=OuterRef("number"))
    first_correct = OrderingAttempt.objects.filter(**same, is_correct=True).order_by("number").values("number")[:1]
    return list(
        OrderingAttempt.objects.filter(user=user, **which)
        .exclude(Exists(newer))
        .annotate(
            solved_in=models.Subquery(first_correct),
            revealed=Exists(OrderingReveal.objects.filter(**same)),
        )
        .order_by("exercise")
    )


def orm_submissions(user, **which):
    return list(
        PredictionSubmission.objects.filter(user=user, **which)
        .order_by("exercise", "number")
        .prefetch_related("named_points")
    )


def orm_item_states(user, lesson):
    off = ReviewOptOut.objects.filter(user=user, lesson=lesson)
    items = Q(card__lesson=lesson) | Q(question__lesson=lesson) | Q(exercise__lesson=lesson)
    return list(
        CardState.objects.filter(items, user=user).annotate(
            questions_off=Exists(off.filter(kind=ItemKind.QUESTION)),
            exercises_off=Exists(off.filter(kind=ItemKind.EXERCISE)),
        )
    )


def fields(instance, *extra):
    """Every stored field's value and the named annotations: what two reads of the same row must agree on."""
    values = {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}
    return values | {name: getattr(instance, name) for name in extra}


def by_id(instances, *extra):
    return {instance.pk: fields(instance, *extra) for instance in instances}


def world(rng, make_user):
    """Two lessons, three students, 120 random activities through the services (refusals included), review
    switches, and a named rubric point archived after marking."""
    students = [make_user(f"records-{i}") for i in range(3)]
    first = small_lesson("records-a")
    Lesson.objects.filter(pk=first.pk).update(position=2)
    lessons = [first, small_lesson("records-b")]
    for who in range(3):  # whatever the dice say: a marked prediction, a judged question, a solved exercise each
        act(lessons[0], students, "submit", who, 0, 0)
        act(lessons[0], students, "mark", who, 0, 2)
        for lesson in lessons:
            act(lesson, students, "reveal", who, 0, 0)
            act(lesson, students, "judge", who, 0, 0)
            act(lesson, students, "order", who, 0, 1)
    for _ in range(120):
        lesson = rng.choice(lessons)
        action = rng.choice(WORLD_ACTIONS)
        try:
            with transaction.atomic():
                act(lesson, students, action, rng.randrange(3), rng.randrange(6), rng.randrange(4))
        except ApplicationError:
            pass
    for student in students[:2]:  # a draft on one lesson's prediction; the third student has none
        prediction_draft_save(user=student, exercise=lessons[rng.randrange(2)].predictions.get(), text="half a thought")
    ReviewOptOut.objects.create(user=students[0], lesson=lessons[0], kind=ItemKind.QUESTION)
    ReviewOptOut.objects.create(user=students[1], lesson=lessons[0], kind=ItemKind.EXERCISE)
    ReviewOptOut.objects.create(user=students[0], lesson=lessons[1], kind=ItemKind.EXERCISE)
    named = RubricPoint.objects.filter(submissions__isnull=False).first()
    if named is not None:
        named.archive_fields()
        named.save()
    return students, lessons


@pytest.mark.parametrize("seed", [1, 2])
def test_the_records_agree_with_the_orm_queries_they_replaced(make_user, seed):
    students, lessons = world(random.Random(seed), make_user)
    seen = {"selfcheck": 0, "ordering": 0, "solved": 0, "revealed": 0, "submissions": 0, "ticks": 0, "states": 0}
    seen |= {"questions_off": 0, "exercises_off": 0, "drafts": 0, "reveals": 0}
    for student in students:
        for lesson in lessons:
            got = practice_records.selfcheck_attempts(student.pk, lesson.pk)
            assert by_id(got) == by_id(orm_selfcheck(student, lesson))
            seen["selfcheck"] += len(got)

            got = practice_records.latest_ordering_attempts(student.pk, lesson_id=lesson.pk)
            want = orm_latest_ordering(student, exercise__lesson=lesson)
            assert [a.pk for a in got] == [a.pk for a in want]  # one an exercise, in exercise order
            assert by_id(got, "solved_in", "revealed") == by_id(want, "solved_in", "revealed")
            seen["ordering"] += len(got)
            seen["solved"] += sum(a.solved_in is not None for a in got)
            seen["revealed"] += sum(a.revealed for a in got)
            for exercise in lesson.ordering_exercises.all():
                one = practice_records.latest_ordering_attempts(student.pk, exercise_id=exercise.pk)
                assert by_id(one, "solved_in", "revealed") == by_id(
                    orm_latest_ordering(student, exercise=exercise), "solved_in", "revealed"
                )

            got = practice_records.prediction_submissions(student.pk, lesson_id=lesson.pk)
            want = orm_submissions(student, exercise__lesson=lesson)
            assert [s.pk for s in got] == [s.pk for s in want]  # oldest first within an exercise: the latest is last
            assert by_id(got) == by_id(want)
            assert {s.pk: sorted(s.named_point_ids) for s in got} == {
                s.pk: sorted(p.pk for p in s.named_points.all()) for s in want
            }
            seen["submissions"] += len(got)
            seen["ticks"] += sum(len(s.named_point_ids) for s in got)
            for exercise in lesson.predictions.all():
                one = practice_records.prediction_submissions(student.pk, exercise_id=exercise.pk)
                assert [s.pk for s in one] == [s.pk for s in orm_submissions(student, exercise=exercise)]

            got = practice_records.item_states(student.pk, lesson.pk)
            want = orm_item_states(student, lesson)
            assert by_id(got, "questions_off", "exercises_off") == by_id(want, "questions_off", "exercises_off")
            assert [s.due for s in got] == sorted(s.due for s in got)
            seen["states"] += len(got)
            seen["questions_off"] += sum(s.questions_off for s in got)
            seen["exercises_off"] += sum(s.exercises_off for s in got)
    for student in students:
        assert practice_records.last_live_log(student.pk) == (
            ReviewLog.objects.filter(user=student).live().order_by("-reviewed_at", "-pk").first()
        )
        assert fields(practice_records.last_live_log(student.pk)) == fields(
            ReviewLog.objects.get(pk=practice_records.last_live_log(student.pk).pk)
        )
        for lesson in lessons:
            assert practice_records.progress_version(student.pk, lesson.pk) == (
                StudentProgress.objects.filter(user=student, lesson=lesson).values_list("pk", "version").first()
            )
            got = practice_records.prediction_drafts(student.pk, lesson_id=lesson.pk)
            assert by_id(got) == by_id(PredictionDraft.objects.filter(user=student, exercise__lesson=lesson))
            seen["drafts"] += len(got)
            reveals = FlashcardReveal.objects.filter(user=student, card__lesson=lesson)
            got = practice_records.card_reveals(student.pk, lesson.pk)
            assert got == dict(reveals.values_list("card_id", "revealed_at"))
            seen["reveals"] += len(got)
    # The worlds hold every kind of record the reads return, so the comparison proves something.
    assert ReviewLog.objects.filter(undone_at__isnull=False).exists()
    assert all(seen.values()), seen
    assert RubricPoint.objects.archived().filter(submissions__isnull=False).exists()


def test_a_fresh_student_and_a_lesson_without_records_read_nothing(make_user):
    student, lesson = make_user("records-fresh"), small_lesson("records-empty")
    assert practice_records.selfcheck_attempts(student.pk, lesson.pk) == []
    assert practice_records.latest_ordering_attempts(student.pk, lesson_id=lesson.pk) == []
    assert practice_records.prediction_submissions(student.pk, lesson_id=lesson.pk) == []
    assert practice_records.item_states(student.pk, lesson.pk) == []
    assert practice_records.item_states(None, lesson.pk) == []  # the admin's preview as an unsaved student


def test_study_settings_read_as_saved_or_the_defaults(make_user):
    saved, fresh = make_user("settings-saved"), make_user("settings-fresh")
    settings_save(user=saved, desired_retention=0.85, new_cards_per_day=7, time_zone="Europe/Paris", rollover_hour=6)
    StudentSettings.objects.filter(user=saved).update(fsrs_parameters=[0.4, 1.2, 3.1])
    got = StudentSettings.objects.for_user(saved)
    assert fields(got) == fields(StudentSettings.objects.get(user=saved))
    assert (got.desired_retention, got.time_zone, got.fsrs_parameters) == (0.85, "Europe/Paris", [0.4, 1.2, 3.1])
    default = StudentSettings.objects.for_user(fresh)
    assert default.pk is None and default.user_id == fresh.pk and default.new_cards_per_day == 20


def test_fixed_sql_refuses_a_field_it_cannot_load_alike_on_both_databases():
    """A date comes back as text from SQLite and as a date from Postgres: building such a model must fail loudly."""
    with pytest.raises(TypeError, match="expected_by"):
        ModelColumns(ClassLesson, "c")
