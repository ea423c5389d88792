"""Self-check: try to answer, "Show answer", then judge yourself."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from lessons.forms.selfcheck import SelfCheckJudgeForm, SelfCheckRevealForm
from lessons.models import SelfCheckQuestion
from lessons.selectors.practice_page import selfcheck_question
from lessons.services import selfcheck as services

from .htmx import alert_response, fragment_or_redirect

TEMPLATE = "lessons/lesson_detail.html#self-check-question"


def _question(question_id):
    return get_object_or_404(SelfCheckQuestion.objects.published().select_related("lesson__course"), pk=question_id)


def _fragment(request, question, attempt):
    context = selfcheck_question(question, attempt, user=request.user)
    return fragment_or_redirect(request, TEMPLATE, context, anchor=f"question-{question.pk}")


@require_POST
def reveal(request, question_id):
    question = _question(question_id)
    form = SelfCheckRevealForm(request.POST)
    if not form.is_valid():
        return alert_response(
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
        return alert_response(request, "Choose Got it, Partly or Missed.")
    attempt = services.selfcheck_judge(user=request.user, question=question, verdict=form.cleaned_data["verdict"])
    return _fragment(request, question, attempt)
