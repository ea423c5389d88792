"""Admin for LTI 1.3: platforms (registrations with their deployments and framing origins), the tool's keys,
the LMS links and the score outbox. Superusers only: a platform registration is site configuration.

django-lti registers its ``LtiRegistration`` admin; this one replaces it to add the
framing origins and to keep the framing cache and the tool's key in step with it.
"""

from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from lessons.models import ClassContext, LessonLink, PlatformFrame, ScoreOutbox
from lessons.services import lti as services

from .users import student_label


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class DeploymentInline(admin.TabularInline):
    model = LtiDeployment
    extra = 1
    fields = ["deployment_id", "is_active"]


class PlatformFrameInline(admin.StackedInline):
    model = PlatformFrame
    extra = 1
    max_num = 1
    can_delete = False


if admin.site.is_registered(LtiRegistration):
    admin.site.unregister(LtiRegistration)


@admin.register(LtiRegistration)
class PlatformAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["name", "issuer", "client_id", "is_active", "tool_urls"]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        (
            "From the platform (see the README: Moodle, Canvas)",
            {"fields": ["issuer", "client_id", "audience", "auth_url", "token_url", "keyset_url"]},
        ),
    ]
    inlines = [DeploymentInline, PlatformFrameInline]
    # A URL typed without a scheme is https (the default of Django 6).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Tool URLs to give the platform")
    def tool_urls(self, obj):
        return format_html(
            "Login {} · Launch / redirect {} · Key set {}",
            reverse("lti_login"),
            reverse("lti_launch"),
            reverse("lti_jwks"),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.tool_key_ensure()
        services.frame_origins_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.frame_origins_forget()


@admin.register(Key)
class ToolKeyAdmin(SuperuserOnly, admin.ModelAdmin):
    """The tool's signing keys, published at /lti/jwks.json. Rotate: a new key signs from now on."""

    list_display = ["__str__", "is_active", "datetime_created"]
    fields = ["public_key", "is_active", "datetime_created"]
    readonly_fields = ["public_key", "datetime_created"]
    actions = ["rotate"]

    def has_add_permission(self, request, *args):
        return False  # keys are generated, never pasted

    @admin.action(description="Rotate: make a new signing key (keys older than 7 days leave the key set)")
    def rotate(self, request, queryset):
        key = services.tool_keys_rotate()
        self.message_user(request, f"New signing key {key}. Platforms fetch it from the key set URL.", messages.SUCCESS)


@admin.register(ClassContext)
class ClassContextAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["classroom", "context", "roster_synced_at"]
    list_select_related = ["classroom", "context"]
    readonly_fields = ["classroom", "context", "roster_synced_at"]


@admin.register(LessonLink)
class LessonLinkAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["lesson", "resource_link", "line_item_url", "scores_checked_at"]
    list_select_related = ["lesson", "resource_link"]
    readonly_fields = ["resource_link", "lesson", "line_item_url", "scores_checked_at"]


@admin.register(ScoreOutbox)
class ScoreOutboxAdmin(SuperuserOnly, admin.ModelAdmin):
    """What the LMS gradebooks should show; pending rows are sent by ``manage.py lti_send_scores``."""

    list_display = [
        "student_name",
        "link",
        "progress",
        "completed",
        "pending",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["pending", "completed"]
    list_select_related = ["student", "link__lesson", "link__resource_link"]
    readonly_fields = [f.name for f in ScoreOutbox._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request, *args):
        return False

    @admin.display(description="Student", ordering="student__username")
    def student_name(self, obj):
        return student_label(obj.student)

    @admin.action(description="Send again at the next run")
    def retry_now(self, request, queryset):
        count = queryset.filter(pending=True).update(next_attempt_at=timezone.now())
        self.message_user(request, f"{count} pending scores go at the next run.", messages.SUCCESS)
