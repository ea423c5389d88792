"""Fill the progress rows from the students' existing records.

This calls the current ``progress_rebuild`` rather than historical models: the rows must
equal exactly what ``verify_progress`` recomputes, and writing that logic twice would let
them drift. A later migration that changes the tables it reads must keep this one working
(or squash it).
"""

from django.db import migrations


def fill(apps, schema_editor):
    from lessons.services.progress import progress_rebuild

    progress_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0007_student_progress"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
