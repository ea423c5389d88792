"""Fit FSRS parameters for every student due for it (nightly; see the README's "Spaced repetition")."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.services import optimizer


class Command(BaseCommand):
    help = (
        "Fit FSRS parameters for each student with new reviews and no fit in the last 30 days: on their own "
        "history past Anki's 400 reviews, else on their class's pooled history; kept only if they lower the "
        "log loss on the student's own history. Cheap enough to run nightly (cron: "
        "'30 3 * * * python manage.py fit_parameters')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", help="Fit this student only, due or not.")

    def handle(self, *args, username=None, **options):
        now = timezone.now()
        users = optimizer.users_due_for_a_fit(now=now)
        if username:
            from django.contrib.auth import get_user_model

            users = get_user_model().objects.filter(username=username)
        class_cache = {}
        counts = {"kept": 0, "not kept": 0, "not enough reviews": 0}
        started = time.perf_counter()
        for user in users.iterator():
            try:
                fit = optimizer.parameters_fit(user=user, now=now, class_cache=class_cache)
            except ApplicationError:
                counts["not enough reviews"] += 1
                continue
            counts["kept" if fit.kept else "not kept"] += 1
            self.stdout.write(
                f"{user.username}: {fit.get_source_display().lower()}, {fit.reviews} reviews, log loss "
                f"{fit.log_loss_before:.4f} -> {fit.log_loss_after:.4f}, RMSE {fit.rmse_before:.2%} -> "
                f"{fit.rmse_after:.2%}, {'kept' if fit.kept else 'not kept'}"
            )
        summary = ", ".join(f"{n} {label}" for label, n in counts.items())
        self.stdout.write(f"Fitted in {time.perf_counter() - started:.1f} s: {summary}.")
