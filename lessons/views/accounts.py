from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from lessons.forms_accounts import AccountForm, SignupForm, ThemeForm
from lessons.services.accounts import theme_save
from lessons.views.common import error_response


@login_not_required
@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready. Pick a lesson to start.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def account(request):
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your name and email are saved.")
        return redirect("account")
    return render(request, "registration/account.html", {"form": form})


@require_POST
def theme(request):
    form = ThemeForm(request.POST)
    if not form.is_valid():
        return error_response(request, "Choose light, dark or your device's colours.")
    theme_save(user=request.user, theme=form.cleaned_data["theme"])
    request.session["theme"] = form.cleaned_data["theme"]
    messages.success(request, "Your colour choice is saved.")
    return redirect("study_settings")
