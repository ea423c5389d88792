"""The settings page's list of lessons whose self-check questions or ordering exercises are in the student's
reviews, each with its two switches (issue 18: per lesson, as the issue asks)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from lessons.models import ItemKind, Lesson, ReviewOptOut


@dataclass(frozen=True)
class LessonSwitches:
    lesson: Lesson
    questions: int  # questions of this lesson in the student's reviews
    exercises: int
    questions_on: bool
    exercises_on: bool


def review_switches(user) -> list[LessonSwitches]:
    """Lessons with a question or an exercise in the student's reviews, in course order (one query)."""
    off = ReviewOptOut.objects.filter(user=user, lesson=OuterRef("pk"))
    lessons = (
        Lesson.objects.published()
        .annotate(
            n_questions=Count("questions__review_states", filter=Q(questions__review_states__user=user), distinct=True),
            n_exercises=Count(
                "ordering_exercises__review_states",
                filter=Q(ordering_exercises__review_states__user=user),
                distinct=True,
            ),
            questions_off=Exists(off.filter(kind=ItemKind.QUESTION)),
            exercises_off=Exists(off.filter(kind=ItemKind.EXERCISE)),
        )
        .filter(Q(n_questions__gt=0) | Q(n_exercises__gt=0))
        .select_related("course")
        .order_by("course__position", "position", "pk")
    )
    return [
        LessonSwitches(
            lesson=lesson,
            questions=lesson.n_questions,
            exercises=lesson.n_exercises,
            questions_on=not lesson.questions_off,
            exercises_on=not lesson.exercises_off,
        )
        for lesson in lessons
    ]
