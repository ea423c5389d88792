"""The student's study settings: desired retention, new cards per day, time zone, day rollover."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from lessons.errors import ApplicationError
from lessons.forms.review import GoalForm, ReviewSwitchesForm, StudySettingsForm, ThemeForm
from lessons.models import StudentSettings
from lessons.selectors.review_settings import review_switches
from lessons.selectors.schedule_fit import schedule_summary
from lessons.services import optimizer
from lessons.services import review as services

from .htmx import alert_response


@require_http_methods(["GET", "HEAD", "POST"])
def study_settings(request):
    current = StudentSettings.objects.for_user(request.user)
    form = StudySettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.settings_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Your study settings are saved.")
        return redirect("study_settings")
    context = {"form": form, "switches": review_switches(request.user), **schedule_summary(request.user, current)}
    return render(request, "lessons/study_settings.html", context)


@require_POST
def review_items(request):
    """Switch lessons' self-check questions or ordering exercises in or out of review (per lesson)."""
    form = ReviewSwitchesForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("That form was broken: reload the settings page and try again.")
    services.review_switches_save(user=request.user, **form.cleaned_data)
    messages.success(request, "What comes back in review is saved.")
    return redirect(f"{reverse('study_settings')}#review-items")


@require_POST
def optimize(request):
    """ "Optimize my schedule": fit the student's FSRS parameters now and say what came of it."""
    try:
        fit = optimizer.parameters_fit(user=request.user)
    except ApplicationError as refused:
        return alert_response(request, refused.message, status=refused.status)
    verdict = (
        "Your schedule now uses them." if fit.kept else "They did not fit you better, so your schedule is unchanged."
    )
    messages.success(
        request,
        f"Fitted on {fit.reviews} reviews ({fit.get_source_display().lower()}): log loss {fit.log_loss_before:.3f} "
        f"to {fit.log_loss_after:.3f}, RMSE {fit.rmse_before:.1%} to {fit.rmse_after:.1%}. {verdict}",
    )
    return redirect("study_settings")


@require_POST
def theme(request):
    """Light, dark or the device's colours: saved in the settings, kept in the session for every page."""
    form = ThemeForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("Choose light, dark or your device's colours.")
    services.theme_save(user=request.user, theme=form.cleaned_data["theme"])
    request.session["theme"] = form.cleaned_data["theme"]
    messages.success(request, "Your colour choice is saved.")
    return redirect("study_settings")


@require_POST
def daily_goal(request):
    form = GoalForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("The daily goal is a number of reviews from 0 (no goal) to 500.")
    services.goal_save(user=request.user, daily_goal=form.cleaned_data["daily_goal"])
    messages.success(request, "Your daily goal is saved." if form.cleaned_data["daily_goal"] else "No daily goal.")
    return redirect("study_settings")
