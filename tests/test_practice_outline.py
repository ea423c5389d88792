"""The practice page's outline, self-check disclosures, arrow answer line and end-of-lesson summary (issue 17)."""

import re

import pytest
from django.urls import reverse

from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def outline(client, lesson):
    html = client.get(lesson.get_absolute_url()).content.decode()
    nav = re.search(r'<nav class="lesson-outline.*?</nav>', html, re.S).group(0)
    return [text_of(li) for li in re.findall(r"<li.*?</li>", nav, re.S)]


def disclosure(client, lesson, question):
    html = client.get(lesson.get_absolute_url()).content.decode()
    return re.search(rf'id="question-{question.pk}">\s*(<details[^>]*>.*?</details>)', html, re.S).group(1)


def test_the_outline_lists_each_section_with_what_is_done(student_client, diffusion):
    rows = outline(student_client, diffusion)
    assert rows[0] == "Self-check 0/6 done" and rows[-1].startswith("Flashcards 0/")
    assert len(rows) == 4  # self-check, the ordering exercise, the prediction, flashcards
    for question in list(diffusion.questions.all())[:2]:
        student_client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
    assert outline(student_client, diffusion)[0] == "Self-check 2/6 done"


def test_a_question_is_a_closed_disclosure_until_its_answer_is_revealed(student_client, diffusion):
    question = diffusion.questions.first()
    details = disclosure(student_client, diffusion, question)
    summary = text_of(re.search(r"<summary>.*?</summary>", details, re.S).group(0))
    assert summary == f"{question.position} {question.question}"
    assert details.startswith('<details class="self-check-disclosure">') and question.answer[:30] not in details
    student_client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
    details = disclosure(student_client, diffusion, question)
    assert details.startswith('<details class="self-check-disclosure" open>') and "Answer shown" in details


def test_the_intro_speaks_of_a_collapsible_that_is_there(student_client, diffusion):
    html = student_client.get(diffusion.get_absolute_url()).content.decode()
    assert "opening the collapsible" in html and 'class="self-check-disclosure"' in html


def test_the_ordering_answer_is_also_the_seeds_arrow_line(student_client, diffusion):
    exercise = diffusion.ordering_exercises.get()
    student_client.post(
        reverse("ordering_check", args=[exercise.pk]),
        {"order": ["a", "b", "c", "d", "e", "f"], "attempt": "1", "moved": "1"},
    )
    assert "b -> d -> c -> f -> a -> e." not in page_text(student_client.get(diffusion.get_absolute_url()))
    student_client.post(reverse("ordering_reveal", args=[exercise.pk]))
    assert "b -> d -> c -> f -> a -> e." in page_text(student_client.get(diffusion.get_absolute_url()))


def test_finishing_the_lesson_shows_a_summary_with_what_to_review(student_client, diffusion):
    questions = list(diffusion.questions.all())
    for question, verdict in zip(questions, ["got_it", "got_it", "partly", "missed", "got_it", "got_it"], strict=True):
        student_client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": ""})
        student_client.post(reverse("selfcheck_judge", args=[question.pk]), {"verdict": verdict})
    exercise = diffusion.ordering_exercises.get()
    student_client.post(
        reverse("ordering_check", args=[exercise.pk]),
        {"order": exercise.correct_labels(), "attempt": "1", "moved": "1"},
    )
    prediction = diffusion.predictions.get()
    student_client.post(
        reverse("prediction_submit", args=[prediction.pk]), {"text": "Slow.", "number": 1, "confidence": "low"}
    )
    cards = list(diffusion.flashcards.all())
    assert "Lesson done" not in page_text(student_client.get(diffusion.get_absolute_url()))
    for card in cards:
        student_client.post(reverse("flashcard_reveal", args=[card.pk]), {"next": "lesson"})
        student_client.post(reverse("flashcard_rate", args=[card.pk]), {"rating": 3, "version": 0, "next": "lesson"})
    text = page_text(student_client.get(diffusion.get_absolute_url()))
    assert "Lesson done: your summary" in text
    assert "Self-check: 4 got it, 1 partly, 1 missed." in text
    assert f"{exercise.title} Solved in 1 try" in text
    assert re.search(rf"{re.escape(prediction.title)} You named 0 of \d+ rubric points", text)
    review = text.split("Worth another look")[1]
    assert questions[2].question[:25] in review and questions[3].question[:25] in review
    assert questions[0].question[:25] not in review
