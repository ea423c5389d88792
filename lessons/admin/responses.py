"""Read-only admin views of student work, and the scoping every admin of student records uses.

Students' answers are evidence: instructors (the Instructors group has the
``view_`` permission only) read them here; nobody adds, edits or deletes them
through the admin. An instructor sees only the records of students in the classes
they teach, in the list, its filters, its search and every object page (another
student's record is "not found"); superusers see everyone's.

Attempts, card states and review logs have no admin: registering one would also make the lesson
delete page consult its delete permission (lessons.admin.content), so it is a product decision,
and tests/test_admin_scoping.py requires any such admin to be a ``StudentRecordsAdmin``.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.text import Truncator

from lessons.models import Classroom, PredictionSubmission

from .users import student_label


def students_taught_by(user):
    """The students enrolled in any class ``user`` teaches (a subquery)."""
    return get_user_model().objects.filter(enrollments__classroom__in=Classroom.objects.taught_by(user))


class StudentRecordsAdmin(admin.ModelAdmin):
    """The admin of a model holding students' records (a ``user`` foreign key): scoped to the instructor's classes.

    ``RelatedOnlyFieldListFilter`` builds its choices from this queryset, so the filters list
    only those students (and their lessons) too.
    """

    student_field = "user"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.student_field}__in": students_taught_by(request.user)})


class ReadOnlyAdmin(StudentRecordsAdmin):
    """Viewable with the model's view permission; no add, change or delete for anyone."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PredictionSubmission)
class PredictionSubmissionAdmin(ReadOnlyAdmin):
    list_display = [
        "student",
        "lesson",
        "exercise_title",
        "number",
        "excerpt",
        "coverage",
        "confidence",
        "ticked_points",
        "created_at",
    ]
    list_display_links = ["student", "number"]
    list_filter = [
        ("exercise__lesson", admin.RelatedOnlyFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
        "confidence",
    ]
    search_fields = ["text", "user__username", "user__first_name"]
    list_select_related = ["user", "exercise__lesson"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"
    fields = [
        "student",
        "lesson",
        "exercise",
        "number",
        "text",
        "confidence",
        "ticked_points",
        "coverage",
        "marked_at",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).for_responses()

    @admin.display(description="Student", ordering="user__username")
    def student(self, obj):
        return student_label(obj.user)

    @admin.display(description="Lesson", ordering="exercise__lesson__title")
    def lesson(self, obj):
        return obj.exercise.lesson.title

    @admin.display(description="Exercise", ordering="exercise__title")
    def exercise_title(self, obj):
        return obj.exercise.title

    @admin.display(description="Prediction")
    def excerpt(self, obj):
        return Truncator(obj.text).chars(80)

    @admin.display(description="Coverage", ordering="named_count")
    def coverage(self, obj):
        if obj.marked_at is None:
            return "not marked"
        return f"{obj.named_count} of {obj.rubric_total}"

    @admin.display(description="Ticked points")
    def ticked_points(self, obj):
        return "; ".join(point.text for point in obj.named_points.all()) or "-"
