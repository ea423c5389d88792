"""One student's work in one class, for its instructor: progress per assigned lesson, self-check verdicts,
ordering attempts, predictions with their text, review statistics and last activity (a fixed number of
queries whatever the amount of work)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils import timezone

from lessons.models import (
    CardState,
    ClassLesson,
    OrderingAttempt,
    PredictionSubmission,
    Rating,
    ReviewLog,
    SelfCheckAttempt,
)
from lessons.selectors.class_dashboard import OVERDUE_AFTER
from lessons.selectors.lesson_progress import progress_for


@dataclass
class LessonWork:
    class_lesson: ClassLesson
    progress: object
    behind: bool = False
    selfchecks: list = field(default_factory=list)  # SelfCheckAttempt with .question
    orderings: list = field(default_factory=list)  # OrderingAttempt (latest first) with .exercise
    predictions: list = field(default_factory=list)  # PredictionSubmission (latest per exercise) with .exercise


@dataclass
class ReviewStats:
    """The student's reviews of the class's lessons, every kind of review item (issue 18): flashcards, self-check
    questions, ordering exercises. ``reviews`` counts the ratings that scheduled an item (not undone); ratings of
    practice (an item that was not due, a later try on the practice page) are ``practice``, apart."""

    reviews: int = 0
    again: int = 0
    practice: int = 0
    cards: int = 0  # items with a review state, by kind
    questions: int = 0
    exercises: int = 0
    due_now: int = 0
    overdue_now: int = 0
    last_review: datetime | None = None

    @property
    def again_share(self) -> int:
        return round(100 * self.again / self.reviews) if self.reviews else 0

    @property
    def items(self) -> int:
        return self.cards + self.questions + self.exercises

    @property
    def items_by_kind(self) -> str:
        """ "3 flashcards, 1 self-check question, 2 ordering exercises" (kinds with none left out)."""
        kinds = [
            (self.cards, "flashcard", "flashcards"),
            (self.questions, "self-check question", "self-check questions"),
            (self.exercises, "ordering exercise", "ordering exercises"),
        ]
        return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in kinds if n)


@dataclass
class StudentReport:
    student: object
    lessons: list[LessonWork]
    reviews: ReviewStats
    last_active: datetime | None


def student_report(classroom, student, *, now: datetime) -> StudentReport:
    """Everything the instructor's page about ``student`` in ``classroom`` shows (eleven queries)."""
    class_lessons = list(ClassLesson.objects.for_classroom(classroom))
    lessons = [cl.lesson for cl in class_lessons]
    table = progress_for([student], lessons, due_at=now, overdue_at=now - OVERDUE_AFTER)
    today = timezone.localdate(now)
    works = {}
    for cl in class_lessons:
        progress = table.get(student.pk, cl.lesson)
        late = bool(cl.expected_by and cl.expected_by < today and cl.lesson.published)
        works[cl.lesson_id] = LessonWork(class_lesson=cl, progress=progress, behind=late and not progress.completed)
    lesson_ids = list(works)

    for attempt in (
        SelfCheckAttempt.objects.filter(user=student, question__lesson_id__in=lesson_ids)
        .select_related("question")
        .order_by("question__lesson_id", "question__position")
    ):
        works[attempt.question.lesson_id].selfchecks.append(attempt)
    for attempt in (
        OrderingAttempt.objects.filter(user=student, exercise__lesson_id__in=lesson_ids)
        .select_related("exercise")
        .order_by("exercise__position", "-number")
    ):
        works[attempt.exercise.lesson_id].orderings.append(attempt)
    seen = set()
    for submission in (
        PredictionSubmission.objects.filter(user=student, exercise__lesson_id__in=lesson_ids)
        .select_related("exercise")
        .order_by("exercise__position", "-number")
    ):
        if submission.exercise_id not in seen:  # the latest submission of each exercise
            seen.add(submission.exercise_id)
            works[submission.exercise.lesson_id].predictions.append(submission)

    in_lessons = (
        Q(card__lesson_id__in=lesson_ids)
        | Q(question__lesson_id__in=lesson_ids)
        | Q(exercise__lesson_id__in=lesson_ids)
    )
    scheduled = Q(practice=False)
    logs = ReviewLog.objects.filter(in_lessons, user=student, undone_at__isnull=True).aggregate(
        reviews=Count("pk", filter=scheduled),
        again=Count("pk", filter=scheduled & Q(rating=Rating.AGAIN)),
        practice=Count("pk", filter=Q(practice=True)),
        last_review=Max("reviewed_at"),
    )
    states = CardState.objects.filter(in_lessons, user=student).aggregate(
        cards=Count("pk", filter=Q(card__isnull=False)),
        questions=Count("pk", filter=Q(question__isnull=False)),
        exercises=Count("pk", filter=Q(exercise__isnull=False)),
    )
    # due now: as on the dashboard (every kind, less the kinds the student switched out of review)
    due = {"due_now": 0, "overdue_now": 0}
    for work in works.values():
        due["due_now"] += work.progress.reviews_due
        due["overdue_now"] += work.progress.reviews_overdue
    reviews = ReviewStats(**logs, **states, **due)
    active = [work.progress.last_active for work in works.values() if work.progress.last_active]
    return StudentReport(
        student=student,
        lessons=list(works.values()),
        reviews=reviews,
        last_active=max(active) if active else None,
    )
