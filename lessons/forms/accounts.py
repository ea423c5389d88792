"""Forms of the account pages: log-in and sign-up, with the checks Django's own forms leave out."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User

from lessons.forms.review import BrowserZoneField
from lessons.usernames import email_taken, is_mixed_script, lookalike_of


class LoginForm(AuthenticationForm):
    """Django's log-in form, refusing an over-long username before it reaches authentication.

    Django sets the field's ``max_length`` after building it, so the length is not validated and
    the log-in failure (django-axes records it, 255 characters at most) overflowed: a 500.
    """

    def clean_username(self):
        username = self.cleaned_data["username"]
        limit = self.username_field.max_length
        if len(username) > limit:
            raise forms.ValidationError(f"A username has at most {limit} characters.", code="max_length")
        return username


DISPLAY_NAME_HELP = "How your instructors see you, e.g. Ada Lovelace."
EMAIL_HELP = "Used only to reset your password. Nobody else in your classes sees it."


class EmailUniqueMixin:
    """One account per email address (case does not matter); the database index backs this up."""

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        if email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(
                "An account with this email address already exists. Log in or reset your password."
            )
        return email


class SignupForm(EmailUniqueMixin, UserCreationForm):
    """Django's sign-up form, refusing names that look like another account's, plus a display name and a
    required, unique email address (issue 17), plus the browser's time zone (filled by static/js/site.js),
    so the new student's study day rolls over at their 4 am."""

    time_zone = BrowserZoneField()
    time_zone.widget.attrs["data-browser-zone-input"] = ""

    display_name = forms.CharField(label="Your name", max_length=150, help_text=DISPLAY_NAME_HELP)
    email = forms.EmailField(label="Email", max_length=254, help_text=EMAIL_HELP)

    field_order = ["display_name", "email", "username", "password1", "password2", "time_zone"]

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.first_name = self.cleaned_data["display_name"].strip()
        if commit:
            user.save()
        return user

    def clean_username(self):
        username = super().clean_username()  # None when the name is taken (the error is already added)
        if not username:
            return username
        if is_mixed_script(username):
            raise forms.ValidationError(
                "Use letters from one alphabet: this name mixes scripts (for example a Cyrillic "
                "letter among Latin ones), so it could pass for someone else's.",
                code="mixed_script",
            )
        if lookalike_of(username):
            raise forms.ValidationError(
                "This name looks too much like an existing username. Choose another one.", code="confusable"
            )
        return username


class AccountForm(EmailUniqueMixin, forms.ModelForm):
    """The account page: the display name (stored in User.first_name) and the email address."""

    first_name = forms.CharField(label="Your name", max_length=150, help_text=DISPLAY_NAME_HELP)
    email = forms.EmailField(label="Email", max_length=254, help_text=EMAIL_HELP)

    class Meta:
        model = User
        fields = ["first_name", "email"]
