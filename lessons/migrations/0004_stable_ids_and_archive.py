"""Stable ids for every item a student acts on, and archiving instead of deleting used items.

Existing rows get a fresh id each (a data migration); new rows get one from the field's default.
"""

import django.core.validators
from django.db import migrations, models

import lessons.models.content

ITEMS = [
    ("selfcheckquestion", "q", "lesson", "question_unique_uid", lessons.models.content.question_uid),
    ("orderingexercise", "o", "lesson", "ordering_unique_uid", lessons.models.content.ordering_uid),
    ("orderingitem", "s", "exercise", "item_unique_uid", lessons.models.content.stage_uid),
    ("predictionexercise", "p", "lesson", "prediction_unique_uid", lessons.models.content.prediction_uid),
    ("rubricpoint", "r", "exercise", "rubric_unique_uid", lessons.models.content.rubric_uid),
    ("flashcard", "c", "lesson", "flashcard_unique_uid", lessons.models.content.card_uid),
]
VALIDATOR = django.core.validators.RegexValidator(
    "^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", "Letters, digits, '-', '_' or '.', at most 40."
)
HELP = "Stable id of this item in lesson files; student records follow it, not the position."


def give_ids(apps, schema_editor):
    from lessons.models.content import new_uid

    for model_name, prefix in [("lesson", "l")] + [(name, prefix) for name, prefix, *_ in ITEMS]:
        model = apps.get_model("lessons", model_name)
        rows = list(model.objects.filter(uid__isnull=True).only("pk"))
        for row in rows:
            row.uid = new_uid(prefix)
        model.objects.bulk_update(rows, ["uid"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0003_dashboard_indexes"),
    ]

    operations = [
        migrations.AddField(model_name="lesson", name="uid", field=models.CharField("id", max_length=40, null=True)),
        *[
            migrations.AddField(model_name=name, name="uid", field=models.CharField("id", max_length=40, null=True))
            for name, *_ in ITEMS
        ],
        *[
            migrations.AddField(
                model_name=name,
                name="archived_at",
                field=models.DateTimeField(
                    blank=True,
                    null=True,
                    help_text="Set when removed while students had records on it; they are kept.",
                ),
            )
            for name, *_ in ITEMS
        ],
        migrations.RunPython(give_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="lesson",
            name="uid",
            field=models.CharField(
                "id",
                max_length=40,
                unique=True,
                default=lessons.models.content.lesson_uid,
                validators=[VALIDATOR],
                help_text="Stable id of the lesson in lesson files (the slug may change; this does not).",
            ),
        ),
        *[
            migrations.AlterField(
                model_name=name,
                name="uid",
                field=models.CharField("id", max_length=40, default=default, validators=[VALIDATOR], help_text=HELP),
            )
            for name, _prefix, _parent, _constraint, default in ITEMS
        ],
        *[
            migrations.AddConstraint(
                model_name=name,
                constraint=models.UniqueConstraint(fields=[parent, "uid"], name=constraint),
            )
            for name, _prefix, parent, constraint, _default in ITEMS
        ],
    ]
