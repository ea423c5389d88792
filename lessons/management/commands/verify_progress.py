"""Recompute the kept progress rows from the raw records and report every difference (exit status 1)."""

from django.core.management.base import BaseCommand, CommandError

from lessons.models import Lesson
from lessons.selectors.lesson_progress import progress_differences
from lessons.services.progress import progress_rebuild


class Command(BaseCommand):
    help = (
        "Check that every student's kept progress (StudentProgress) equals a recomputation from their "
        "records. Prints each difference and exits with status 1 if there is any; --fix rewrites them."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="only these lessons (default: every lesson)")
        parser.add_argument("--fix", action="store_true", help="rewrite the lessons that differ from their records")

    def handle(self, *args, slugs, fix, **options):
        lessons = Lesson.objects.order_by("pk")
        if slugs:
            lessons = lessons.filter(slug__in=slugs)
            missing = set(slugs) - set(lessons.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No lesson with the slug {', '.join(sorted(missing))}.")
        lessons = list(lessons)
        differences = progress_differences(lessons)
        for difference in differences:
            self.stdout.write(str(difference))
        if not differences:
            self.stdout.write(f"Progress matches the records: {len(lessons)} lessons checked.")
            return
        if fix:
            broken = {difference.lesson.pk: difference.lesson for difference in differences}
            progress_rebuild(lessons=broken.values())
            self.stdout.write(f"Rewrote the progress of {len(broken)} lessons from their records.")
            return
        raise CommandError(
            f"{len(differences)} progress rows differ from the records (run with --fix to rewrite them)."
        )
