"""The partial (user, due) index of card states carries the item columns (``include``, PostgreSQL only).

The class dashboard's reviews due per student and lesson then read the index alone. Same name, same
keys and condition: the queue's range scans use it as before. Building it takes a lock on the table
for as long as the index build lasts (seconds for millions of states).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0013_cardstate_scheduled_has_memory"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="cardstate",
            name="cardstate_user_due",
        ),
        migrations.AddIndex(
            model_name="cardstate",
            index=models.Index(
                condition=models.Q(("due__isnull", False)),
                fields=["user", "due"],
                include=("card", "question", "exercise"),
                name="cardstate_user_due",
            ),
        ),
    ]
