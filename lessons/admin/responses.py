"""Read-only admin views of student work (prediction submissions, attempts).

Students' answers are evidence: instructors (the Instructors group has the
``view_`` permission only) read them here; nobody adds, edits or deletes them
through the admin.
"""

from django.contrib import admin
from django.utils.text import Truncator

from lessons.models import PredictionSubmission


class ReadOnlyAdmin(admin.ModelAdmin):
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
        return PredictionSubmission.objects.for_responses()

    @admin.display(description="Student", ordering="user__username")
    def student(self, obj):
        name = obj.user.get_full_name()
        return f"{name} ({obj.user.username})" if name else obj.user.username

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
