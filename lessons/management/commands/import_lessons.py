from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.lessonfile import LessonFileError, import_paths, with_ids
from lessons.lessonfile.export import dump, export_lesson
from lessons.lessonfile.sync import describe


class Command(BaseCommand):
    help = (
        "Create or update lessons from lesson files (YAML) or folders of them, in one transaction. Items are "
        "matched by their id (or, without one, by exact text); an item removed that students used is archived."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Lesson files, or folders whose *.yaml files are imported.")
        parser.add_argument("--dry-run", action="store_true", help="Print the plan of each lesson; write nothing.")
        parser.add_argument(
            "--write-ids",
            action="store_true",
            help="After importing, add the id of every item that has none to the source files, in place.",
        )
        parser.add_argument(
            "--new-only",
            action="store_true",
            help="Only create lessons that do not exist yet; leave existing lessons (and admin edits) alone.",
        )
        parser.add_argument(
            "--skip-broken",
            action="store_true",
            help="Report a file that cannot be imported and go on with the others (each in its own transaction).",
        )

    def handle(self, *args, paths, dry_run, write_ids, new_only, skip_broken, **options):
        if dry_run and write_ids:
            raise CommandError("--write-ids writes the ids the import gives; it cannot be combined with --dry-run.")
        files = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
            elif path.exists():
                files.append(path)
            else:
                raise CommandError(f"{raw}: no such file or folder")
        if not files:
            raise CommandError("No lesson files found.")
        locations = {} if write_ids else None
        try:
            outcomes = import_paths(files, dry_run=dry_run, new_only=new_only, each=skip_broken, locations=locations)
        except LessonFileError as error:
            raise CommandError(f"Nothing imported. {error}") from None
        failed = 0
        for outcome in outcomes:
            if outcome.error:
                failed += 1
                self.stderr.write(f"Not imported. {outcome.error}")
            elif outcome.skipped:
                self.stdout.write(f"{outcome.plan.slug}: {outcome.skipped}")
            elif dry_run or options["verbosity"] >= 2:
                self.stdout.write("\n".join(describe(outcome.plan)))
            else:
                self.stdout.write(self._verb(outcome.plan))
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if write_ids:
            for outcome in outcomes:
                if outcome.plan is not None and not outcome.error:
                    self._write_ids(outcome, *locations[outcome.source])
        if failed:
            raise CommandError(f"{failed} lesson file(s) could not be imported; the others were.")

    @staticmethod
    def _verb(plan):
        if plan.created:
            return f"{plan.slug}: created"
        if plan.has_changes:
            return f"{plan.slug}: updated ({plan.summary()})"
        return f"{plan.slug}: unchanged"

    def _write_ids(self, outcome, where, missing):
        plan = outcome.plan
        if not missing:
            return
        plan.spec["id"] = plan.lesson.uid
        path = Path(outcome.source)
        text = path.read_text(encoding="utf-8")
        new_text = with_ids(text, plan.spec, missing, where, outcome.source)
        note = ""
        if new_text is None:
            new_text = dump(export_lesson(plan.lesson))
            note = " (rewritten from the database: the file's layout could not be kept)"
        path.write_text(new_text, encoding="utf-8")
        self.stdout.write(f"{outcome.source}: wrote {len(missing)} id(s){note}")
