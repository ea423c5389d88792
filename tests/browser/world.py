"""A small, lived-in site for the look tests and `make screenshots`: a student part-way through the
diffusion lesson, an instructor with a class of 10 lessons, and the URL of every page they see."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from lessons.lessonfile import import_paths
from lessons.models import Flashcard, Lesson, Rating, SelfCheckQuestion, StudentSettings
from lessons.roles import instructors_group
from lessons.services.accounts import email_verification_token
from tests.factory import DIFFUSION_FILE, card_state, make_class, ordering_attempt, prediction, reveal, review

LESSON_TITLES = [
    "Forward noising",
    "The reverse process",
    "Predicting the noise",
    "Training loop, step by step",
    "Sampling with fewer steps",
    "Classifier-free guidance",
    "Latent diffusion and autoencoders",
    "Conditioning on text prompts",
    "Evaluating generated images",
]


def build_world():
    (result,) = import_paths([DIFFUSION_FILE])
    diffusion = Lesson.objects.get(pk=result.lesson.pk)
    course = diffusion.course
    lessons = [diffusion]
    for position, title in enumerate(LESSON_TITLES, 2):
        lesson = Lesson.objects.create(
            course=course, slug=f"lesson-{position}", title=title, position=position + 10, published=position != 10
        )
        SelfCheckQuestion.objects.create(
            lesson=lesson, position=1, question=f"What is {title.lower()}?", answer="It is."
        )
        Flashcard.objects.create(lesson=lesson, position=1, front=f"{title}?", back="An answer.")
        lessons.append(lesson)

    student = User.objects.create_user(
        "ada", password="study-Diffusion-1", email="ada@example.com", first_name="Ada Lovelace"
    )
    StudentSettings.objects.create(user=student)
    others = [
        User.objects.create_user(f"s{i}", password="x", email=f"s{i}@example.com", first_name=name)
        for i, name in enumerate(["Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra"], 1)
    ]
    instructor = User.objects.create_user(
        "teacher", password="teach-Diffusion-1", email="teacher@example.com", first_name="Dr Rosalind Franklin",
        is_staff=True,
    )  # fmt: skip
    instructor.groups.add(instructors_group())

    now = timezone.now()
    questions = list(diffusion.questions.all())
    for question in questions[:3]:
        reveal(student, question, verdict="got_it", at=now - timedelta(hours=2))
    reveal(student, questions[3], verdict="missed", at=now - timedelta(hours=1))
    exercise = diffusion.ordering_exercises.first()
    ordering_attempt(student, exercise, [item.label for item in exercise.items.all()], at=now - timedelta(minutes=50))
    cards = list(diffusion.flashcards.all())
    review(student, cards[0], Rating.AGAIN, at=now - timedelta(days=1))
    card_state(student, cards[1], due=now - timedelta(hours=3))
    review(student, cards[2], Rating.GOOD, at=now - timedelta(days=2))
    for other in others[:2]:
        reveal(other, questions[0], verdict="partly")
    prediction(others[0], diffusion.predictions.first(), confidence="high")

    classroom = make_class(
        instructor, lessons, name="Generative models", section="Autumn", students=[student, *others],
        expected_by=now.date() - timedelta(days=1),
    )  # fmt: skip
    student_pages = {
        "home": "/",
        "lesson": diffusion.get_absolute_url(),
        "course": course.get_absolute_url(),
        "review": "/review/",
        "progress": "/progress/",
        "settings": "/settings/",
        "account": "/accounts/",
        "password-change": "/accounts/password_change/",
        "email-verify": f"/accounts/verify/{email_verification_token(user=student)}/",
        "class-join": "/classes/join/",
        "classes": "/classes/",
        "print": f"/lessons/{diffusion.slug}/flashcards/print/",
        "shuffle": f"/lessons/{diffusion.slug}/flashcards/shuffle/?seed=1&card=1",
        "missed": f"/lessons/{diffusion.slug}/flashcards/missed/?seed=1&card=1",
    }
    instructor_pages = {
        "dashboard": f"/classes/{classroom.pk}/",
        "items": f"/classes/{classroom.pk}/lessons/{diffusion.pk}/",
        "student-page": f"/classes/{classroom.pk}/students/{student.pk}/",
        "class-edit": f"/classes/{classroom.pk}/edit/",
        "class-create": "/classes/new/",
    }
    public_pages = {
        "landing": "/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
        "password-reset": "/accounts/password_reset/",
        "password-reset-done": "/accounts/password_reset/done/",
        "email-verify": f"/accounts/verify/{email_verification_token(user=student)}/",
    }
    return {
        "admin_pages": {"admin-lesson": f"/admin/lessons/lesson/{diffusion.pk}/change/"},
        "student": student,
        "instructor": instructor,
        "classroom": classroom,
        "lessons": lessons,
        "course": course,
        "pages": {"public": public_pages, "student": student_pages, "instructor": instructor_pages},
    }
