"""The Instructors group: staff who author content and run classes.

The group is created by migration 0002 and can be recreated with
``instructors_group()`` (tests that flush the database, demo accounts).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

INSTRUCTORS = "Instructors"
CONTENT_MODELS = [
    "course",
    "lesson",
    "selfcheckquestion",
    "orderingexercise",
    "orderingitem",
    "predictionexercise",
    "rubricpoint",
    "flashcard",
]
CLASS_MODELS = ["classroom", "classlesson", "enrollment"]
READ_ONLY_MODELS = ["predictionsubmission", "orderingattempt", "selfcheckattempt"]


def instructor_codenames():
    """The ``lessons`` permissions the Instructors group holds."""
    actions = ("add", "change", "delete", "view")
    codenames = [f"{action}_{model}" for model in CONTENT_MODELS + CLASS_MODELS for action in actions]
    return codenames + [f"view_{model}" for model in READ_ONLY_MODELS]


def instructors_group(group_model=None, permission_model=None):
    """The Instructors group with its permissions, created if missing (idempotent)."""
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    group, _ = group_model.objects.get_or_create(name=INSTRUCTORS)
    group.permissions.add(
        *permission_model.objects.filter(content_type__app_label="lessons", codename__in=instructor_codenames())
    )
    return group


def is_instructor(user) -> bool:
    """Staff members who may create classes (the Instructors group, or the permission given directly)."""
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm("lessons.add_classroom")


def instructor_required(view):
    """A view for instructors only: 403 for anyone else (shared by the class and LTI pages)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_instructor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
