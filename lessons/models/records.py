"""Which student records hang off each kind of content item: the one table the lesson-file sync (who
has records on an item), the authoring services (what archiving spares and purging deletes) and the
admin read."""

from dataclasses import dataclass

from django.db import models

from .content import Flashcard, OrderingExercise, OrderingItem, PredictionExercise, RubricPoint, SelfCheckQuestion
from .progress import (
    LessonCompletion,
    OrderingAttempt,
    OrderingReveal,
    PredictionDraft,
    PredictionSubmission,
    SelfCheckAttempt,
    StudentProgress,
)
from .review import CardState, FlashcardReveal, ReviewLog


@dataclass(frozen=True)
class Record:
    """A kind of student record on an item: its model, its foreign key to the item, the path from it to
    the student and to the lesson."""

    model: type[models.Model]
    item: str
    user: str
    lesson: str


def _on(model, item, parent):
    return Record(model, item, "user", f"{item}__{parent}")


# A stage has no records of its own: its attempts belong to its exercise (and stay with it).
ITEM_RECORDS = {
    # A question's and an exercise's review states, ratings and sittings (issue 18) hang off them too.
    SelfCheckQuestion: [
        _on(SelfCheckAttempt, "question", "lesson"),
        _on(CardState, "question", "lesson"),
        _on(ReviewLog, "question", "lesson"),
        _on(FlashcardReveal, "question", "lesson"),
    ],
    OrderingExercise: [
        _on(OrderingAttempt, "exercise", "lesson"),
        _on(OrderingReveal, "exercise", "lesson"),
        _on(CardState, "exercise", "lesson"),
        _on(ReviewLog, "exercise", "lesson"),
        _on(FlashcardReveal, "exercise", "lesson"),
    ],
    OrderingItem: [],
    PredictionExercise: [_on(PredictionSubmission, "exercise", "lesson"), _on(PredictionDraft, "exercise", "lesson")],
    RubricPoint: [
        Record(
            PredictionSubmission.named_points.through,
            "rubricpoint",
            "predictionsubmission__user",
            "rubricpoint__exercise__lesson",
        )
    ],
    Flashcard: [
        _on(CardState, "card", "lesson"),
        _on(ReviewLog, "card", "lesson"),
        _on(FlashcardReveal, "card", "lesson"),
    ],
}

# Every student record that hangs off a lesson, and the path from it to the lesson (what deleting a
# lesson would delete with it). Rubric ticks go with their submissions.
LESSON_RECORDS = [
    (record.model, record.lesson)
    for item_model, records in ITEM_RECORDS.items()
    if item_model is not RubricPoint
    for record in records
] + [(LessonCompletion, "lesson"), (StudentProgress, "lesson")]
