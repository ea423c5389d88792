"""The User admin with the display name named as such (issue 17): sign-up stores a student's name in
``first_name``, so the admin labels it "Display name", lists it next to the username and searches it.
``student_label`` is how every admin of student records names a student: "Ada Lovelace (ada)"."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User

DISPLAY_NAME = "Display name"


def student_label(user) -> str:
    """The display name with the username, or the username alone for accounts that gave no name."""
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "email", "is_staff", "is_active", "last_login"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description=DISPLAY_NAME, ordering="first_name")
    def display_name(self, obj):
        return obj.get_full_name()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "first_name" in form.base_fields:
            form.base_fields["first_name"].label = DISPLAY_NAME
            form.base_fields["first_name"].help_text = "The name the student gave at sign-up; instructors see it."
        if "last_name" in form.base_fields:
            form.base_fields["last_name"].label = "Family name"
            form.base_fields[
                "last_name"
            ].help_text = "Only accounts made by an LMS launch have one (shown after the name)."
        return form
