"""Every card state has a memory to schedule from: the check constraint ``cardstate_scheduled_has_memory``.

No rating writes a state without a stability and a difficulty, but a row written by hand or by an import
could, and ``MemoryState.is_new`` schedules such a row as a new card. A new card has no row at all
(``CardStateKind``), so those rows are deleted first and the constraint cannot fail; their review logs stay.
A card's state counts in its lesson's progress, so the progress of the lessons that lost one is rewritten
from the records with the current ``progress_rebuild``, as ``0008_fill_student_progress`` fills it (and
``verify_progress --fix`` repairs it).
"""

from django.conf import settings
from django.db import migrations, models


def forget_memoryless_states(apps, schema_editor):
    CardState = apps.get_model("lessons", "CardState")
    memoryless = CardState.objects.filter(models.Q(stability__isnull=True) | models.Q(difficulty__isnull=True))
    lesson_ids = set(memoryless.filter(card__isnull=False).values_list("card__lesson_id", flat=True))
    memoryless.delete()
    if lesson_ids:
        from lessons.models import Lesson
        from lessons.services.progress import progress_rebuild

        progress_rebuild(lessons=Lesson.objects.filter(pk__in=lesson_ids).order_by("pk"))


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0012_exam_dates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forget_memoryless_states, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="cardstate",
            constraint=models.CheckConstraint(
                condition=models.Q(("difficulty__isnull", False), ("stability__isnull", False)),
                name="cardstate_scheduled_has_memory",
            ),
        ),
    ]
