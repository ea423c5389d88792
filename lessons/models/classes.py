"""Classes: instructors, students who joined with a code, assigned lessons."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .content import Lesson

# No 0/O, 1/l/I: a code read aloud or off a board is typed right the first time.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_CODE_LENGTH = 7


def new_join_code():
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class ClassroomQuerySet(models.QuerySet):
    def taught_by(self, user):
        """Classes the user is an instructor of."""
        return self.filter(instructors=user)

    def joined_by(self, user):
        """Classes the user joined as a student, with their instructors."""
        return self.filter(enrollments__student=user).prefetch_related("instructors")

    def with_assignments(self):
        """Each class's published assigned lessons, in order, as ``assigned`` (students never see a draft)."""
        lessons = ClassLesson.objects.filter(lesson__published=True).select_related("lesson__course")
        return self.prefetch_related(models.Prefetch("class_lessons", queryset=lessons, to_attr="assigned"))


class Classroom(models.Model):
    name = models.CharField(max_length=200)
    section = models.CharField(max_length=100, blank=True)
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="classes_taught")
    lessons = models.ManyToManyField(Lesson, through="ClassLesson", related_name="classes")
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    join_enabled = models.BooleanField(default=True)
    join_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    behind_reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the instructor last emailed the students who are behind."
    )

    objects = ClassroomQuerySet.as_manager()

    class Meta:
        ordering = ["name", "section"]

    def __str__(self):
        return f"{self.name} ({self.section})" if self.section else self.name

    def get_absolute_url(self):
        return reverse("class_dashboard", args=[self.pk])

    def regenerate_join_code(self):
        self.join_code = new_join_code()
        self.save(update_fields=["join_code"])

    def get_join_url(self):
        return reverse("class_join_link", args=[self.join_code])

    def join_status(self, now=None):
        """Why the code works or not, in words: "open", "disabled" or "expired"."""
        if not self.join_enabled:
            return "disabled"
        return "open" if self.join_open(now) else "expired"

    def join_open(self, now=None):
        now = now or timezone.now()
        return self.join_enabled and (self.join_expires_at is None or self.join_expires_at > now)


class ClassLessonQuerySet(models.QuerySet):
    def for_classroom(self, classroom):
        """The class's assigned lessons in order, with their lesson and course."""
        return self.filter(classroom=classroom).select_related("lesson__course")


class ClassLesson(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="class_lessons")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="class_lessons")
    position = models.PositiveIntegerField(default=0)
    expected_by = models.DateField(null=True, blank=True)

    objects = ClassLessonQuerySet.as_manager()

    class Meta:
        ordering = ["classroom", "position", "lesson__position"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "lesson"], name="classlesson_unique"),
        ]

    def __str__(self):
        return f"{self.lesson} in {self.classroom}"


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="enrollment_one_per_student_class"),
        ]

    def __str__(self):
        return f"{self.student} in {self.classroom}"
