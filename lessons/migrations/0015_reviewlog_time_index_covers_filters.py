"""The (user, reviewed_at) index of ratings carries ``undone_at``, ``practice`` and ``state_before``
(``include``, PostgreSQL only).

The Today page's reviews a day and the queue's ratings so far today then read the index alone. Same name
and keys: the range scans that used it use it as before. Building it takes a lock on the table for as
long as the build lasts (8 s for ten million ratings here).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0014_cardstate_due_index_covers_items"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="reviewlog",
            name="reviewlog_user_time",
        ),
        migrations.AddIndex(
            model_name="reviewlog",
            index=models.Index(
                fields=["user", "reviewed_at"],
                include=("undone_at", "practice", "state_before"),
                name="reviewlog_user_time",
            ),
        ),
    ]
