from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
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
from lessons.services.completion import lesson_completions_record


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


def content_changed(sender, instance, **kwargs):
    """A question, exercise, item or card changed: the lesson's content is newer (cache key, "updated since")."""
    if kwargs.get("raw"):
        return
    try:
        lesson_id = _lesson_id(instance)
    except (OrderingExercise.DoesNotExist, PredictionExercise.DoesNotExist):
        return  # the parent is being deleted too; its own signal bumps the lesson
    Lesson.objects.filter(pk=lesson_id).update(updated_at=timezone.now())
    if kwargs["signal"] is post_delete:  # removing the last unfinished item can finish the lesson
        _record_completions_on_commit(lesson_id)


class _RecordCompletions:
    """Record the completions an edit caused, once per lesson and transaction, after it commits."""

    def __init__(self, lesson_id):
        self.lesson_id = lesson_id

    def __call__(self):
        lesson = Lesson.objects.filter(pk=self.lesson_id).first()
        if lesson is not None:
            lesson_completions_record(lesson=lesson)


def _record_completions_on_commit(lesson_id):
    pending = transaction.get_connection().run_on_commit
    if not any(isinstance(func, _RecordCompletions) and func.lesson_id == lesson_id for _, func, _ in pending):
        transaction.on_commit(_RecordCompletions(lesson_id))


for model in (SelfCheckQuestion, OrderingExercise, OrderingItem, PredictionExercise, RubricPoint, Flashcard):
    post_save.connect(content_changed, sender=model, dispatch_uid=f"content-changed-save-{model.__name__}")
    post_delete.connect(content_changed, sender=model, dispatch_uid=f"content-changed-delete-{model.__name__}")
