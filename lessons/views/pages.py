"""Pages people bookmark: home, course, practice page."""

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from lessons.content_cache import practice_lesson
from lessons.forms import SelfCheckRevealForm
from lessons.models import Course, Lesson, Verdict
from lessons.progress import progress_context
from lessons.selectors.practice_outline import practice_outline

from . import flashcards, ordering, prediction, selfcheck


@login_not_required
def home(request):
    if not request.user.is_authenticated:
        return render(request, "lessons/landing.html")
    courses = Course.objects.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.published()))
    courses = [c for c in courses if c.lessons.all()]
    lessons = [lesson for course in courses for lesson in course.lessons.all()]
    return render(request, "lessons/home.html", {"courses": courses, **progress_context(request.user, lessons)})


def course_detail(request, slug):
    course = get_object_or_404(
        Course.objects.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.published())), slug=slug
    )
    context = {"course": course, **progress_context(request.user, course.lessons.all())}
    return render(request, "lessons/course_detail.html", context)


def practice_context(user, lesson):
    """Everything the practice page shows for this user: content plus their own records."""
    context = {"lesson": lesson, "form": SelfCheckRevealForm(), "verdicts": Verdict.choices}
    context.update(selfcheck.page_state(user, lesson))
    context.update(prediction.page_state(user, lesson))
    context.update(flashcards.page_state(user, lesson))
    context.update(ordering.page_state(user, lesson))
    context.update(practice_outline(context))
    return context


def lesson_detail(request, slug):
    lesson = practice_lesson(Lesson.objects.published(), slug=slug)
    return render(request, "lessons/lesson_detail.html", practice_context(request.user, lesson))
