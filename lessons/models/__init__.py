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
from .lti import ClassContext, LaunchNonce, LessonLink, PlatformFrame, ScoreOutbox
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
from .review import (
    CardState,
    CardStateKind,
    FlashcardReveal,
    ParameterFit,
    Rating,
    ReviewLog,
    StudentSettings,
    Theme,
)

__all__ = [
    "CardState",
    "CardStateKind",
    "ClassContext",
    "ClassLesson",
    "Classroom",
    "Confidence",
    "Course",
    "Enrollment",
    "Flashcard",
    "FlashcardReveal",
    "LaunchNonce",
    "Lesson",
    "ParameterFit",
    "LessonCompletion",
    "LessonLink",
    "OrderingAttempt",
    "OrderingExercise",
    "OrderingItem",
    "OrderingReveal",
    "PlatformFrame",
    "PredictionDraft",
    "PredictionExercise",
    "PredictionSubmission",
    "Rating",
    "ReviewLog",
    "RubricPoint",
    "ScoreOutbox",
    "SelfCheckAttempt",
    "SelfCheckQuestion",
    "StudentSettings",
    "Theme",
    "Verdict",
]
