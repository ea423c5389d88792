from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from lessons.roles import instructors_group

DEMO_ACCOUNTS = [
    # username, password, instructor?
    ("student", "study-diffusion", False),
    ("instructor", "teach-diffusion", True),
]


class Command(BaseCommand):
    help = "Create (or reset) the local demo accounts. Refuses to run with DEBUG off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for local development only (DJANGO_DEBUG is off).")
        instructors = instructors_group()
        for username, password, is_instructor in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.set_password(password)
            user.is_staff = is_instructor
            user.save()
            if is_instructor:
                user.groups.add(instructors)
            role = "instructor" if is_instructor else "student"
            self.stdout.write(f"Demo {role}: username {username!r}, password {password!r}")
