"""Sign-up, and Django's log-in and password-reset views with per-address rate limits.

Log-in: every POST counts against ``RATE_LIMITS["login"]`` and every failure (a wrong password, an
unknown username; counted in ``lessons.signals``) against ``RATE_LIMITS["login_failure"]``, both
per client address and across usernames; past either, the form is not processed (429, no password
hashed). django-axes still locks a (username, address) pair after five wrong passwords. A successful password reset unlocks
the account everywhere.
"""

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from lessons import throttle
from lessons.forms.accounts import AccountForm, LoginForm, SignupForm
from lessons.services.review import settings_save


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("password1", "password2")
@throttle.rate_limited("signup")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if form.cleaned_data["time_zone"]:  # from the browser; without JavaScript the site's zone until set
            settings_save(user=user, time_zone=form.cleaned_data["time_zone"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready. Pick a lesson to start.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def account(request):
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your name and email are saved.")
        return redirect("account")
    return render(request, "registration/account.html", {"form": form})


_login_view = auth_views.LoginView.as_view(authentication_form=LoginForm)


@login_not_required
@throttle.rate_limited("login")
def log_in(request, *args, **kwargs):
    if request.method == "POST" and (refused := throttle.over_limit(request, "login_failure")):
        return refused
    return _login_view(request, *args, **kwargs)


password_reset = login_not_required(throttle.rate_limited("password_reset")(auth_views.PasswordResetView.as_view()))


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and a new password ends any lockout of the account (from every address)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


password_reset_confirm = login_not_required(PasswordResetConfirmView.as_view())
