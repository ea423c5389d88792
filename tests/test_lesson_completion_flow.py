"""A student does a whole lesson through the site; completion is recorded as it happens."""

import pytest
from django.urls import reverse

from lessons.models import LessonCompletion
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def test_doing_every_activity_through_the_views_completes_the_lesson(student_client, student, lesson):
    def completed():
        return LessonCompletion.objects.filter(user=student, lesson=lesson).exists()

    for question in lesson.questions.all():
        student_client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
    exercise = lesson.ordering_exercises.get()
    student_client.post(
        reverse("ordering_check", args=[exercise.pk]),
        {"order": exercise.correct_labels(), "attempt": "1", "moved": "1"},
    )
    prediction = lesson.predictions.get()
    student_client.post(
        reverse("prediction_submit", args=[prediction.pk]),
        {"text": "Slow, varied, confidently wrong.", "number": 1, "confidence": "high"},
    )
    cards = list(lesson.flashcards.all())
    for card in cards[:-1]:
        student_client.post(reverse("flashcard_reveal", args=[card.pk]), {"next": "lesson"})
        student_client.post(reverse("flashcard_rate", args=[card.pk]), {"rating": 3, "version": 0, "next": "lesson"})
    assert not completed(), "one card is still unrated"
    last = cards[-1]
    student_client.post(reverse("flashcard_reveal", args=[last.pk]), {"next": "lesson"})
    student_client.post(reverse("flashcard_rate", args=[last.pk]), {"rating": 4, "version": 0, "next": "lesson"})
    assert completed(), "rating the last card finishes the lesson"
    text = page_text(student_client.get(reverse("course_detail", args=[lesson.course.slug])))
    assert "Completed" in text
