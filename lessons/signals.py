from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from lessons import throttle
from lessons.models import (
    Flashcard,
    Lesson,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
    SelfCheckQuestion,
    StudentSettings,
)
from lessons.services.progress import lesson_progress_refresh


@receiver(user_logged_in)
def remember_theme(sender, request, user, **kwargs):
    """Keep the user's colour theme in the session, so pages read it without a query."""
    if request is not None and hasattr(request, "session"):
        theme = StudentSettings.objects.filter(user=user).values_list("theme", flat=True).first()
        request.session["theme"] = theme or ""


@receiver(user_logged_out)
def say_logged_out(sender, request, user, **kwargs):
    messages.info(request, "You are logged out. See you at your next review.")


@receiver(user_login_failed)
def count_login_failure(sender, credentials, request=None, **kwargs):
    """Every failed log-in counts against its address's allowance, whatever the username."""
    if request is not None:
        throttle.count(request, "login_failure")


def _lesson_id(instance):
    if isinstance(instance, (OrderingItem, RubricPoint)):
        return instance.exercise.lesson_id
    return instance.lesson_id


# Adding or deleting one of these changes a lesson's number of activities (its items do not).
ACTIVITY_MODELS = (SelfCheckQuestion, OrderingExercise, PredictionExercise, Flashcard)


def content_changed(sender, instance, **kwargs):
    """A question, exercise, item or card changed: the lesson's content is newer (cache key, "updated since").

    Adding or deleting an activity also rewrites the lesson's progress rows, in the same
    transaction (``lesson_progress_refresh``; it records the completions a deletion causes).
    Deleting the whole lesson deletes its rows with it: nothing to rewrite then.
    """
    if kwargs.get("raw"):
        return
    try:
        lesson_id = _lesson_id(instance)
    except (OrderingExercise.DoesNotExist, PredictionExercise.DoesNotExist):
        return  # the parent is being deleted too; its own signal bumps the lesson
    Lesson.objects.filter(pk=lesson_id).update(updated_at=timezone.now())
    deleting = kwargs["signal"] is post_delete
    if not isinstance(instance, ACTIVITY_MODELS) or not (deleting or kwargs.get("created")):
        return
    origin = kwargs.get("origin")
    if deleting and getattr(origin, "model", type(origin)) is Lesson:
        return
    lesson = Lesson.objects.filter(pk=lesson_id).first()
    if lesson is not None:
        lesson_progress_refresh(lesson=lesson)


for model in (SelfCheckQuestion, OrderingExercise, OrderingItem, PredictionExercise, RubricPoint, Flashcard):
    post_save.connect(content_changed, sender=model, dispatch_uid=f"content-changed-save-{model.__name__}")
    post_delete.connect(content_changed, sender=model, dispatch_uid=f"content-changed-delete-{model.__name__}")
