"""The practice page's outline and end-of-lesson summary, built from the page state it already loaded
(no query of its own): each section with how much of it is done, and once everything is done, what
the student got and what to review."""

from dataclasses import dataclass, field

from lessons.models import Rating, Verdict


@dataclass(frozen=True)
class OutlineSection:
    anchor: str
    title: str
    done: int
    total: int

    @property
    def complete(self):
        return self.done >= self.total


@dataclass
class LessonSummary:
    got_it: int = 0
    partly: int = 0
    missed: int = 0
    unjudged: int = 0
    to_review: list = field(default_factory=list)  # questions judged Partly or Missed
    ordering: list = field(default_factory=list)  # (title, "solved in 2 tries" / "answer shown")
    predictions: list = field(default_factory=list)  # (title, covered, total)
    cards_again: int = 0


def practice_outline(context):
    """``{"outline": [OutlineSection...], "summary": LessonSummary or None}`` for the practice page context."""
    lesson = context["lesson"]
    attempts = context.get("selfcheck_attempts") or {}
    ordering_states = context.get("ordering_states") or {}
    prediction_states = context.get("prediction_states") or {}
    card_views = context.get("flashcard_views") or {}
    outline = []
    questions = list(lesson.questions.all())
    if questions:
        outline.append(
            OutlineSection("self-check", "Self-check", sum(q.pk in attempts for q in questions), len(questions))
        )
    for exercise in lesson.ordering_exercises.all():
        state = ordering_states.get(exercise.pk) or {}
        done = int(bool(state.get("solved") or state.get("revealed")))
        outline.append(OutlineSection(f"ordering-{exercise.pk}", exercise.title, done, 1))
    for exercise in lesson.predictions.all():
        state = prediction_states.get(exercise.pk)
        outline.append(
            OutlineSection(f"prediction-{exercise.pk}", exercise.title, int(bool(state and state.latest)), 1)
        )
    cards = list(lesson.flashcards.all())
    if cards:
        rated = sum(1 for card in cards if card_views.get(card.pk) and card_views[card.pk].state is not None)
        outline.append(OutlineSection("flashcards", "Flashcards", rated, len(cards)))
    summary = None
    if outline and all(section.complete for section in outline):
        summary = _summary(questions, attempts, lesson, ordering_states, prediction_states, cards, card_views)
    return {"outline": outline, "summary": summary}


def _summary(questions, attempts, lesson, ordering_states, prediction_states, cards, card_views):
    summary = LessonSummary()
    for question in questions:
        verdict = attempts[question.pk].verdict
        if verdict == Verdict.GOT_IT:
            summary.got_it += 1
        elif verdict in (Verdict.PARTLY, Verdict.MISSED):
            summary.partly += verdict == Verdict.PARTLY
            summary.missed += verdict == Verdict.MISSED
            summary.to_review.append(question)
        else:
            summary.unjudged += 1
    for exercise in lesson.ordering_exercises.all():
        state = ordering_states[exercise.pk]
        if state["solved"]:
            tries = state["attempt"].solved_in
            summary.ordering.append((exercise.title, f"solved in {tries} tr{'y' if tries == 1 else 'ies'}"))
        else:
            summary.ordering.append((exercise.title, "answer shown"))
    for exercise in lesson.predictions.all():
        state = prediction_states[exercise.pk]
        summary.predictions.append((exercise.title, state.covered, state.total))
    summary.cards_again = sum(
        1 for card in cards if card_views[card.pk].undo_log and card_views[card.pk].undo_log.rating == Rating.AGAIN
    )
    return summary
