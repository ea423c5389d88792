from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.lessonfile import LessonFileError, import_paths


class Command(BaseCommand):
    help = "Create or update lessons from lesson files (YAML) or folders of them, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Lesson files, or folders whose *.yaml files are imported.")
        parser.add_argument("--prune", action="store_true", help="Allow removing items that carry student data.")

    def handle(self, *args, paths, prune, **options):
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
        try:
            results = import_paths(files, prune=prune)
        except LessonFileError as error:
            raise CommandError(f"Nothing imported. {error}") from error
        for result in results:
            if result.created:
                verb = "created"
            elif result.changes:
                verb = f"updated ({len(result.changes)} changes)"
            else:
                verb = "unchanged"
            self.stdout.write(f"{result.lesson.slug}: {verb}")
