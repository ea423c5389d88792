"""Create the Instructors group with the content and class permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def create_group(apps, schema_editor):
    # Permissions are normally created after migrations; make sure they exist now.
    app_config = apps.get_app_config("lessons")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructors")
    codenames = [
        f"{action}_{model}" for model in CONTENT_MODELS + CLASS_MODELS for action in ("add", "change", "delete", "view")
    ]
    codenames += [f"view_{model}" for model in READ_ONLY_MODELS]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="lessons", codename__in=codenames))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Instructors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
