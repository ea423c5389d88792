"""Send lesson progress to the LMS gradebooks: ``manage.py lti_send_scores`` (cron), or ``--every 30`` (a worker).

Each run first re-reads the progress of lessons edited since the last run (an
edit can change a student's share), then sends the outbox's due scores. A
platform that fails keeps its scores pending; they go at a later run.
"""

import time

from django.core.management.base import BaseCommand

from lessons.services import lti as services


class Command(BaseCommand):
    help = "Send pending LTI scores (AGS) to the platforms, retrying earlier failures whose time has come."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Run forever, waiting this many seconds between runs."
        )

    def handle(self, *args, every=0, **options):
        while True:
            changed = services.scores_reconcile()
            result = services.scores_send()
            forgotten = services.launch_nonces_forget()
            self.stdout.write(
                f"{result.sent} scores sent, {result.failed} failed (will be retried), "
                f"{changed} changed by lesson edits, {forgotten} old launch nonces removed."
            )
            if not every:
                return
            time.sleep(every)
