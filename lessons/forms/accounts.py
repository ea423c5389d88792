"""Forms of the account pages: log-in and sign-up, with the checks Django's own forms leave out."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from lessons.forms.review import BrowserZoneField
from lessons.usernames import is_mixed_script, lookalike_of


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


class SignupForm(UserCreationForm):
    """Django's sign-up form, refusing names that look like another account's, plus the browser's time
    zone (filled by static/js/site.js), so the new student's study day rolls over at their 4 am."""

    time_zone = BrowserZoneField()
    time_zone.widget.attrs["data-browser-zone-input"] = ""

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
