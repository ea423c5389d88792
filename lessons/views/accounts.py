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
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from lessons import throttle
from lessons.forms.accounts import AccountForm, LoginForm, SignupForm
from lessons.models import StudentSettings
from lessons.services import accounts as services
from lessons.services.review import settings_save

NOT_SENT = "We could not send the confirmation link just now; send a new one from your account page later."


def _send_verification(request, user) -> bool:
    token = services.email_verification_token(user=user)
    link = request.build_absolute_uri(reverse("email_verify", args=[token]))
    return services.email_verification_send(user=user, link=link)


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
        if _send_verification(request, user):
            confirm = f"We sent a link to {user.email} to confirm it (optional: everything works without it)."
        else:
            confirm = NOT_SENT
        messages.success(request, f"Your account is ready. Pick a lesson to start. {confirm}")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def account(request):
    old_email = request.user.email
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        text = "Your name and email are saved."
        if user.email.casefold() != old_email.casefold():
            sent = _send_verification(request, user)
            text += f" We sent a link to {user.email} to confirm the new address." if sent else f" {NOT_SENT}"
        messages.success(request, text)
        return redirect("account")
    verified = StudentSettings.objects.for_user(request.user).email_verified
    return render(request, "registration/account.html", {"form": form, "email_verified": verified})


@require_http_methods(["POST"])
@throttle.rate_limited("email_verification")
def email_verification_resend(request):
    if _send_verification(request, request.user):
        messages.success(request, f"We sent a new link to {request.user.email}. It works for three days.")
    else:
        messages.error(request, "We could not send the link just now. Please try again later.")
    return redirect("account")


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def email_verify(request, token):
    """The link in the mail: GET asks to confirm (a mail scanner's visit changes nothing), POST marks it verified.

    A forged, expired or outdated link shows why (400) and changes nothing.
    """
    if request.method != "POST":
        user = services.email_verification_user(token=token)
        return render(request, "registration/email_verify.html", {"token": token, "email": user.email})
    user = services.email_verify(token=token)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    return redirect("account" if request.user == user else "home")


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
