"""Pages people bookmark: home, course, practice page, the flashcards' print layout."""

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lessons.models import Course, Flashcard, Lesson
from lessons.selectors.anki_deck import lesson_apkg
from lessons.selectors.content import practice_lesson
from lessons.selectors.lesson_progress import lessons_progress
from lessons.selectors.practice_page import practice_page
from lessons.selectors.today import today_page


@login_not_required
@require_GET
def home(request):
    if not request.user.is_authenticated:
        return render(request, "lessons/landing.html")
    return render(request, "lessons/home.html", today_page(request.user, now=timezone.now()))


@require_GET
def course_detail(request, slug):
    course = get_object_or_404(
        Course.objects.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.published())), slug=slug
    )
    context = {"course": course, **lessons_progress(request.user, course.lessons.all())}
    return render(request, "lessons/course_detail.html", context)


@require_GET
def lesson_detail(request, slug):
    lesson = practice_lesson(Lesson.objects.published(), slug=slug)
    return render(request, "lessons/lesson_detail.html", practice_page(request.user, lesson))


@require_GET
def anki_deck(request, slug):
    """The lesson's flashcards as an Anki deck; a second download updates the same notes in Anki."""
    lesson = get_object_or_404(Lesson.objects.published().select_related("course"), slug=slug)
    response = HttpResponse(lesson_apkg(lesson), content_type="application/apkg")
    response["Content-Disposition"] = f'attachment; filename="{lesson.slug}.apkg"'
    return response


@require_GET
def print_cards(request, slug):
    lesson = get_object_or_404(
        Lesson.objects.published().prefetch_related(Prefetch("flashcards", queryset=Flashcard.objects.live())),
        slug=slug,
    )
    duplex = request.GET.get("layout") == "duplex"
    return render(request, "lessons/flashcards_print.html", {"lesson": lesson, "duplex": duplex})
