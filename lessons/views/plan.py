"""/plan/: the student's dates that matter, predicted recall on each, the plan; setting and removing exam dates."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lessons import scheduling
from lessons.forms.exams import ExamForm
from lessons.models import StudentSettings
from lessons.selectors.exam_plan import exam_plan
from lessons.services import exams as services


def _today(user, now):
    return scheduling.StudyClock.of(StudentSettings.objects.for_user(user)).date_of(now)


@require_http_methods(["GET", "HEAD", "POST"])
def plan(request):
    now = timezone.now()
    form = ExamForm(request.POST or None, today=_today(request.user, now))
    if request.method == "POST" and form.is_valid():
        exam = services.exam_set(
            user=request.user, course=form.cleaned_data["course"], day=form.cleaned_data["date"], today=form.today
        )
        messages.success(request, f"Your exam in {exam.course} is set for {exam.date:%-d %b %Y}.")
        return redirect("exam_plan")
    return render(request, "lessons/plan.html", {"form": form, **exam_plan(request.user, now=now)})


@require_POST
def exam_delete(request, exam_id):
    services.exam_delete(user=request.user, exam_id=exam_id)
    messages.success(request, "That exam date is removed; your schedule is back to normal for it.")
    return redirect("exam_plan")
