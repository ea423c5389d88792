"""Courses in the admin."""

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from lessons.models import (
    Course,
)

from .widgets import MARKDOWN_WIDGETS

# ---------------------------------------------------------------- courses


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "position", "lesson_count", "published_count", "view_on_site_link"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    formfield_overrides = MARKDOWN_WIDGETS
    ordering = ["position", "title"]  # Meta.ordering does not apply to the GROUP BY of the counts

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                lesson_count=Count("lessons"),
                published_count=Count("lessons", filter=models.Q(lessons__published=True)),
            )
        )

    @admin.display(description="Lessons", ordering="lesson_count")
    def lesson_count(self, course):
        url = reverse("admin:lessons_lesson_changelist") + f"?course__id__exact={course.pk}"
        return format_html('<a href="{}">{}</a>', url, course.lesson_count)

    @admin.display(description="Published", ordering="published_count")
    def published_count(self, course):
        return course.published_count

    @admin.display(description="On site")
    def view_on_site_link(self, course):
        return format_html('<a href="{}">View on site</a>', course.get_absolute_url())
