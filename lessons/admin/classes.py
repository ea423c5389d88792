"""Admin for classes: a fallback for superusers; instructors use the class pages at /classes/.

Instructors only see and change the classes they teach here too.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model

from lessons.models import ClassLesson, Classroom, Enrollment, LessonCompletion

from .responses import StudentRecordsAdmin
from .users import student_label


class ClassLessonInline(admin.TabularInline):
    model = ClassLesson
    extra = 0
    fields = ["lesson", "position", "expected_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lesson", "classroom")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "lesson":
            # Every row's select shares one list: one query for the page, not one per assigned lesson.
            field.choices = list(field.choices)
        return field


class EnrollmentInline(admin.TabularInline):
    """Students join with the class code (never added here); a row can be removed."""

    model = Enrollment
    extra = 0
    fields = ["student_name", "joined_at"]
    readonly_fields = ["student_name", "joined_at"]
    verbose_name_plural = "students (they join with the class code)"

    @admin.display(description="Student")
    def student_name(self, obj):
        return student_label(obj.student)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student", "classroom")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "section", "join_code", "join_enabled", "join_expires_at", "created_at"]
    list_filter = ["join_enabled"]
    search_fields = ["name", "section", "join_code", "instructors__username"]
    filter_horizontal = ["instructors"]
    readonly_fields = ["join_code", "created_at"]
    inlines = [ClassLessonInline, EnrollmentInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.taught_by(request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "instructors":
            # Offer staff accounts, not every student of the site.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label_from_instance = student_label  # "Rosalind Franklin (teacher)"
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not request.user.is_superuser:
            form.instance.instructors.add(request.user)  # an instructor never locks themselves out


@admin.register(LessonCompletion)
class LessonCompletionAdmin(StudentRecordsAdmin):
    list_display = ["student", "lesson", "completed_at"]
    list_select_related = ["user", "lesson"]
    search_fields = ["user__username", "user__first_name", "lesson__slug"]

    @admin.display(description="Student", ordering="user__username")
    def student(self, obj):
        return student_label(obj.user)

    date_hierarchy = "completed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
