from django.core.management.base import BaseCommand, CommandError

from lessons.lessonfile import dump, export_lesson
from lessons.models import Lesson


class Command(BaseCommand):
    help = "Write a lesson as a lesson file (YAML, every item with its id) to standard output or a file."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")

    def handle(self, *args, slug, output, **options):
        lesson = Lesson.objects.select_related("course").filter(slug=slug).first()
        if lesson is None:
            raise CommandError(f"No lesson with slug {slug!r}.")
        text = dump(export_lesson(lesson))
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
