"""Pages people bookmark: home, course, practice page."""

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from lessons.forms import SelfCheckRevealForm
from lessons.models import Course, Lesson, Verdict

from . import ordering, selfcheck


@login_not_required
def home(request):
    if not request.user.is_authenticated:
        return render(request, "lessons/landing.html")
    courses = Course.objects.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.published()))
    return render(request, "lessons/home.html", {"courses": [c for c in courses if c.lessons.all()]})


def course_detail(request, slug):
    course = get_object_or_404(
        Course.objects.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.published())), slug=slug
    )
    return render(request, "lessons/course_detail.html", {"course": course})


def practice_context(user, lesson):
    """Everything the practice page shows for this user: content plus their own records."""
    context = {"lesson": lesson, "form": SelfCheckRevealForm(), "verdicts": Verdict.choices}
    context.update(selfcheck.page_state(user, lesson))
    context.update(ordering.page_state(user, lesson))
    return context


def lesson_detail(request, slug):
    lesson = get_object_or_404(Lesson.objects.published().for_practice(), slug=slug)
    return render(request, "lessons/lesson_detail.html", practice_context(request.user, lesson))
