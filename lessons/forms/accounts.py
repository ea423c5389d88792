from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

DISPLAY_NAME_HELP = "How your instructors see you, e.g. Ada Lovelace."
EMAIL_HELP = "Used only to reset your password. Nobody else in your classes sees it."


def email_taken(email, *, exclude_pk=None):
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


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
    """Django's sign-up form plus a display name and a required email address."""

    display_name = forms.CharField(label="Your name", max_length=150, help_text=DISPLAY_NAME_HELP)
    email = forms.EmailField(label="Email", max_length=254, help_text=EMAIL_HELP)

    field_order = ["display_name", "email", "username", "password1", "password2"]

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.first_name = self.cleaned_data["display_name"].strip()
        if commit:
            user.save()
        return user


class AccountForm(EmailUniqueMixin, forms.ModelForm):
    """The account page: the display name (stored in User.first_name) and the email address."""

    first_name = forms.CharField(label="Your name", max_length=150, help_text=DISPLAY_NAME_HELP)
    email = forms.EmailField(label="Email", max_length=254, help_text=EMAIL_HELP)

    class Meta:
        model = User
        fields = ["first_name", "email"]
