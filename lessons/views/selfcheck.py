"""Self-check: try to answer, "Show answer", then judge yourself."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from lessons.forms import SelfCheckJudgeForm, SelfCheckRevealForm
from lessons.models import SelfCheckAttempt, SelfCheckQuestion, Verdict
from lessons.services import selfcheck as services

from .common import error_response, fragment_or_redirect

TEMPLATE = "lessons/lesson_detail.html#self-check-question"


def page_state(user, lesson):
    """The user's attempts on the lesson's questions, by question id (one query)."""
    attempts = SelfCheckAttempt.objects.for_lesson(user, lesson)
    return {"selfcheck_attempts": {attempt.question_id: attempt for attempt in attempts}}


def _question(question_id):
    return get_object_or_404(
        SelfCheckQuestion.objects.live().select_related("lesson__course").filter(lesson__published=True),
        pk=question_id,
    )


def _fragment(request, question, attempt, form=None):
    context = {
        "lesson": question.lesson,
        "question": question,
        "attempt": attempt,
        "form": form or SelfCheckRevealForm(),
        "verdicts": Verdict.choices,
    }
    return fragment_or_redirect(request, TEMPLATE, context, anchor=f"question-{question.pk}")


@require_POST
def reveal(request, question_id):
    question = _question(question_id)
    form = SelfCheckRevealForm(request.POST)
    if not form.is_valid():
        return error_response(
            request, f"Your answer is too long: keep it under {form.fields['answer_text'].max_length} characters."
        )
    attempt = services.selfcheck_reveal(
        user=request.user, question=question, answer_text=form.cleaned_data["answer_text"]
    )
    return _fragment(request, question, attempt)


@require_POST
def judge(request, question_id):
    question = _question(question_id)
    form = SelfCheckJudgeForm(request.POST)
    if not form.is_valid():
        return error_response(request, "Choose Got it, Partly or Missed.")
    attempt = services.selfcheck_judge(user=request.user, question=question, verdict=form.cleaned_data["verdict"])
    if attempt is None:
        return error_response(request, "Show the answer before judging yourself.", status=409)
    return _fragment(request, question, attempt)
