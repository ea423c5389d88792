"""The student's study settings: desired retention, new cards per day, time zone, day rollover."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lessons.errors import ApplicationError
from lessons.forms.review import GoalForm, StudySettingsForm, ThemeForm
from lessons.models import StudentSettings
from lessons.services import review as services


@require_http_methods(["GET", "HEAD", "POST"])
def study_settings(request):
    form = StudySettingsForm(request.POST or None, instance=StudentSettings.objects.for_user(request.user))
    if request.method == "POST" and form.is_valid():
        services.settings_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Your study settings are saved.")
        return redirect("study_settings")
    return render(request, "lessons/study_settings.html", {"form": form})


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
