"""The domain models, split by concern."""

from .classes import ClassLesson, Classroom, Enrollment
from .content import (
    Course,
    Flashcard,
    Lesson,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
    SelfCheckQuestion,
)
from .progress import (
    Confidence,
    LessonCompletion,
    OrderingAttempt,
    OrderingReveal,
    PredictionDraft,
    PredictionSubmission,
    SelfCheckAttempt,
    Verdict,
)
from .review import CardState, CardStateKind, FlashcardReveal, Rating, ReviewLog, StudentSettings, Theme

__all__ = [
    "CardState",
    "CardStateKind",
    "ClassLesson",
    "Classroom",
    "Confidence",
    "Course",
    "Enrollment",
    "Flashcard",
    "FlashcardReveal",
    "Lesson",
    "LessonCompletion",
    "OrderingAttempt",
    "OrderingExercise",
    "OrderingItem",
    "OrderingReveal",
    "PredictionDraft",
    "PredictionExercise",
    "PredictionSubmission",
    "Rating",
    "ReviewLog",
    "RubricPoint",
    "SelfCheckAttempt",
    "SelfCheckQuestion",
    "StudentSettings",
    "Theme",
    "Verdict",
]
