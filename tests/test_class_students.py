"""Issue 17 on the instructor's side: display names, a page per student, removing a student, emailing the
students who are behind, and an unpublished assigned lesson that nobody is behind on."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lessons.models import ClassLesson, Enrollment, Lesson, Rating, SelfCheckAttempt
from tests.factory import make_class, ordering_attempt, prediction, reveal, review
from tests.test_classes import client_for, grid_rows, page
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def klass(make_user, instructor, diffusion):
    """ann (Ann Archer) and bob, both behind on diffusion, expected yesterday; ann did some of it."""
    ann, bob = make_user("ann"), make_user("bob")
    ann.first_name = "Ann Archer"
    ann.save()
    classroom = make_class(instructor, [diffusion], students=[ann, bob])
    ClassLesson.objects.update(expected_by=timezone.localdate() - timedelta(days=1))
    question = diffusion.questions.first()
    reveal(ann, question, verdict="missed")
    SelfCheckAttempt.objects.filter(user=ann).update(answer_text="Noise goes in, somehow.")
    ordering_attempt(ann, diffusion.ordering_exercises.get(), ["b", "c", "d", "f", "a", "e"])
    prediction(ann, diffusion.predictions.get(), confidence="high", text="It will be slow and odd with hands.")
    review(ann, diffusion.flashcards.first(), Rating.AGAIN)
    return classroom


def test_the_dashboard_names_students_with_their_usernames(instructor, klass):
    ann, bob = grid_rows(page(client_for(instructor).get(klass.get_absolute_url())))
    assert ">Ann Archer</a>" in ann and '<small class="student-username">ann</small>' in ann
    assert ">bob</a>" in bob and "student-username" not in bob  # no name given: the username alone


def test_an_unpublished_assigned_lesson_is_marked_and_nobody_is_behind_on_it(instructor, klass, diffusion):
    teacher = client_for(instructor)
    assert "Behind" in page_text(teacher.get(klass.get_absolute_url()))
    Lesson.objects.filter(pk=diffusion.pk).update(published=False)
    html = page(teacher.get(klass.get_absolute_url()))
    assert "Unpublished" in html
    for row in grid_rows(html):
        assert "Behind" not in row


def test_the_student_page_shows_their_work(instructor, klass, diffusion):
    ann = Enrollment.objects.get(classroom=klass, student__username="ann").student
    text = page_text(client_for(instructor).get(reverse("class_student", args=[klass.pk, ann.pk])))
    assert "Ann Archer" in text and "Username ann" in text and "ann@example.com" in text
    assert "Missed" in text and "Noise goes in, somehow." in text
    assert "attempt 1, b c d f a e , 14 of 15 pairs in order" in text
    assert "It will be slow and odd with hands." in text and "confidence high" in text
    assert "1 review of 1 item (1 flashcard); Again 1 time (100%)" in text
    assert "Behind" in text


def test_the_student_page_is_only_for_the_class_instructor_and_its_students(
    instructor, make_user, klass, other_student
):
    ann = Enrollment.objects.get(classroom=klass, student__username="ann").student
    url = reverse("class_student", args=[klass.pk, ann.pk])
    assert client_for(make_user("colleague", instructor=True)).get(url).status_code == 404
    assert client_for(ann).get(url).status_code == 403
    outsider = reverse("class_student", args=[klass.pk, other_student.pk])
    assert client_for(instructor).get(outsider).status_code == 404


@pytest.mark.parametrize("size", [2, 12])
def test_the_student_page_query_count_does_not_grow(instructor, klass, diffusion, make_lesson, size,
                                                      django_assert_max_num_queries):  # fmt: skip
    ann = Enrollment.objects.get(classroom=klass, student__username="ann").student
    for index in range(size):
        lesson = make_lesson(f"extra-{index}", size=3)
        ClassLesson.objects.create(classroom=klass, lesson=lesson, position=index + 2)
        for question in lesson.questions.all():
            reveal(ann, question, verdict="got_it")
    teacher = client_for(instructor)
    with django_assert_max_num_queries(22):
        assert teacher.get(reverse("class_student", args=[klass.pk, ann.pk])).status_code == 200


def test_removing_a_student_keeps_their_work(instructor, klass):
    ann = Enrollment.objects.get(classroom=klass, student__username="ann").student
    teacher = client_for(instructor)
    assert teacher.get(reverse("class_student_remove", args=[klass.pk, ann.pk])).status_code == 405
    response = teacher.post(reverse("class_student_remove", args=[klass.pk, ann.pk]), follow=True)
    assert "Ann Archer is no longer in" in page_text(response) and "Their own work is kept" in page_text(response)
    assert not Enrollment.objects.filter(classroom=klass, student=ann).exists()
    assert SelfCheckAttempt.objects.filter(user=ann).count() == 1
    assert teacher.post(reverse("class_student_remove", args=[klass.pk, ann.pk])).status_code == 404


def test_another_instructor_cannot_remove_a_student(make_user, klass):
    ann = Enrollment.objects.get(classroom=klass, student__username="ann").student
    response = client_for(make_user("colleague", instructor=True)).post(
        reverse("class_student_remove", args=[klass.pk, ann.pk])
    )
    assert response.status_code == 404 and Enrollment.objects.filter(student=ann).exists()


def test_emailing_the_students_who_are_behind(instructor, klass, make_user, diffusion):
    done = make_user("cid")
    Enrollment.objects.create(classroom=klass, student=done)
    ClassLesson.objects.filter(classroom=klass).update(expected_by=timezone.localdate() + timedelta(days=3))
    teacher = client_for(instructor)
    url = reverse("class_remind_behind", args=[klass.pk])
    assert "Nobody is behind" in page_text(teacher.post(url, follow=True)) and mail.outbox == []

    klass.refresh_from_db()
    klass.behind_reminded_at = None
    klass.save()
    ClassLesson.objects.filter(classroom=klass).update(expected_by=timezone.localdate() - timedelta(days=1))
    response = teacher.post(url, follow=True)
    assert "Emailed 3 students who are behind." in page_text(response)
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.com", "bob@example.com", "cid@example.com"]
    to_ann = next(message for message in mail.outbox if message.to == ["ann@example.com"])
    assert to_ann.body.startswith("Hello Ann Archer,") and diffusion.title in to_ann.body
    assert to_ann.reply_to == [instructor.email]

    # A second press (a double click, a colleague) within ten minutes sends nothing more.
    again = teacher.post(url)
    assert again.status_code == 409 and "already sent" in page_text(again) and len(mail.outbox) == 3
    assert client_for(make_user("colleague", instructor=True)).post(url).status_code == 404
    assert len(mail.outbox) == 3
