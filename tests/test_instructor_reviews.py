"""Issue 18 on the instructor's side: the student page and the dashboard count reviews of every kind (flashcards,
self-check questions, ordering exercises), and the long CSV names each review's item and its kind."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import CardState, ItemKind, Rating, ReviewOptOut
from tests import factory
from tests.test_classes import client_for, grid_rows, page, read_csv
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db

CORRECT = list(factory.CORRECT)


@pytest.fixture
def studied(instructor, make_user):
    """ann answered the question twice (the first verdict a review, the second practice), solved the exercise at
    the first check, and rated the card Again: three items, three reviews, one practice rating."""
    ann = make_user("ann")
    lesson = factory.make_lesson(slug="cells", questions=1, cards=1, ordering=True, prediction=False)
    classroom = factory.make_class(instructor, [lesson], students=[ann])
    student = client_for(ann)
    question, exercise = lesson.questions.get(), lesson.ordering_exercises.get()
    student.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
    student.post(reverse("selfcheck_judge", args=[question.pk]), {"verdict": "got_it"})
    student.post(reverse("selfcheck_judge", args=[question.pk]), {"verdict": "missed"})  # practice
    student.post(reverse("ordering_check", args=[exercise.pk]), {"attempt": 1, "order": CORRECT, "keep_order": "1"})
    factory.review(ann, lesson.flashcards.get(), Rating.AGAIN)
    return classroom, lesson, ann


def student_page(instructor, classroom, student):
    return page_text(client_for(instructor).get(reverse("class_student", args=[classroom.pk, student.pk])))


def test_the_student_page_counts_reviews_of_every_kind(instructor, studied):
    classroom, _lesson, ann = studied
    text = student_page(instructor, classroom, ann)
    assert "Reviews" in text and "Flashcard reviews" not in text
    assert "3 reviews of 3 items (1 flashcard, 1 self-check question, 1 ordering exercise); Again 1 time (33%)." in text
    assert "Besides, 1 practice rating that left the schedule unchanged." in text


def test_due_now_counts_every_kind_less_what_the_student_switched_off(instructor, studied):
    classroom, lesson, ann = studied
    CardState.objects.filter(user=ann).update(due=timezone.now() - timedelta(days=2))
    assert "3 due now, 3 overdue by more than a day." in student_page(instructor, classroom, ann)
    (row,) = grid_rows(page(client_for(instructor).get(classroom.get_absolute_url())))
    assert "3 due, 3 overdue" in row
    ReviewOptOut.objects.create(user=ann, lesson=lesson, kind=ItemKind.EXERCISE)
    assert "2 due now, 2 overdue by more than a day." in student_page(instructor, classroom, ann)
    html = page(client_for(instructor).get(classroom.get_absolute_url()))
    assert "Reviews due</th>" in html
    (row,) = grid_rows(html)
    assert "2 due, 2 overdue" in row


def test_a_student_with_no_reviews(instructor, make_user):
    ann = make_user("ann")
    lesson = factory.make_lesson(slug="cells", questions=1, cards=1, ordering=False, prediction=False)
    classroom = factory.make_class(instructor, [lesson], students=[ann])
    assert "No reviews on this class's lessons yet." in student_page(instructor, classroom, ann)


def test_the_long_csv_names_each_reviewed_item_and_its_kind(instructor, studied):
    classroom, lesson, _ann = studied
    rows = read_csv(client_for(instructor).get(reverse("class_export_long", args=[classroom.pk])))
    reviews = [row for row in rows if row["event"] in ("review", "practice")]
    named = sorted((row["activity"], row["item_kind"], row["item"], row["event"], row["value"]) for row in reviews)
    assert named == [
        ("flashcard", "card", "Front 1", "review", "again"),
        ("ordering", "exercise", "Put the stages in order", "review", "good"),
        ("self_check", "question", "Question 1?", "practice", "again"),  # "Missed" the second time: practice
        ("self_check", "question", "Question 1?", "review", "good"),
    ]
    question_review = next(row for row in reviews if row["item_kind"] == "question" and row["event"] == "review")
    assert question_review["item_id"] == str(lesson.questions.get().pk) and question_review["lesson_slug"] == "cells"
    # the other rows say their kind too, and no text
    verdicts = [row for row in rows if row["event"] == "verdict"]
    assert {(row["item_kind"], row["item"]) for row in verdicts} == {("question", "")}


def test_the_student_page_costs_the_same_whatever_the_number_of_reviews(instructor, make_user):
    counts = []
    for size in (2, 20):
        ann = make_user(f"ann{size}")
        lesson = factory.make_lesson(slug=f"cells-{size}", questions=size, cards=size, ordering=True, prediction=False)
        classroom = factory.make_class(instructor, [lesson], students=[ann])
        student = client_for(ann)
        for question in lesson.questions.all():
            student.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
            student.post(reverse("selfcheck_judge", args=[question.pk]), {"verdict": "partly"})
        for card in lesson.flashcards.all():
            factory.review(ann, card, Rating.GOOD)
        teacher = client_for(instructor)
        with CaptureQueriesContext(connection) as captured:
            text = page_text(teacher.get(reverse("class_student", args=[classroom.pk, ann.pk])))
        assert f"{2 * size} reviews of {2 * size} items ({size} flashcards, {size} self-check questions)" in text
        counts.append(len(captured))
    assert counts[0] == counts[1]
