"""Lessons in the admin: everything of a lesson on one page, lesson files (upload with a plan to confirm,
download), Preview as student, and the archived items of a lesson (restore, or delete for good)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from lessons import lessonfile
from lessons.errors import ApplicationError
from lessons.markdown import render_markdown
from lessons.models import (
    Flashcard,
    Lesson,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
    SelfCheckQuestion,
)
from lessons.models.content import count_of
from lessons.selectors.practice_page import practice_page
from lessons.services import authoring as services

from .base import AuthoringAdmin, ContentInline
from .paste import PasteFlashcardsMixin
from .widgets import PREVIEW_PREFIX


class SelfCheckQuestionInline(ContentInline):
    model = SelfCheckQuestion
    fields = ["question", "answer"]


class FlashcardInline(ContentInline):
    model = Flashcard
    fields = ["front", "back"]


class OrderingExerciseInline(ContentInline):
    model = OrderingExercise
    fields = ["title", "prompt", "explanation", "items_summary"]
    readonly_fields = ["items_summary"]
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(Prefetch("items", queryset=OrderingItem.objects.live()))

    @admin.display(description="Items")
    def items_summary(self, exercise):
        if exercise.pk is None:
            return "Save the lesson, then add the items on the exercise's own page."
        items = list(exercise.items.all())
        url = reverse("admin:lessons_orderingexercise_change", args=[exercise.pk])
        if len(items) < 2:
            return format_html('<a href="{}">{} item(s): add at least two</a>', url, len(items))
        return format_html(
            '<a href="{}">{} items; correct order {}</a>', url, len(items), " ".join(exercise.correct_labels())
        )


class PredictionExerciseInline(ContentInline):
    model = PredictionExercise
    fields = ["title", "prompt", "model_answer", "rubric_note", "rubric_summary"]
    readonly_fields = ["rubric_summary"]
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("rubric_points", queryset=RubricPoint.objects.live()))
        )

    @admin.display(description="Rubric")
    def rubric_summary(self, exercise):
        if exercise.pk is None:
            return "Save the lesson, then add rubric points on the prediction's own page."
        points = list(exercise.rubric_points.all())
        url = reverse("admin:lessons_predictionexercise_change", args=[exercise.pk])
        if not points:
            return format_html('<a href="{}">No rubric points: add at least one</a>', url)
        return format_html('<a href="{}">{} rubric point(s)</a>', url, len(points))


# ---------------------------------------------------------------- lessons


class UploadForm(forms.Form):
    lesson_file = forms.FileField(label="Lesson file (.yaml)", help_text="The format of `manage.py import_lessons`.")

    def clean_lesson_file(self):
        upload = self.cleaned_data["lesson_file"]
        limit = settings.LESSON_FILE_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(f"{upload.name}: the file: a lesson file of at most {limit:,} bytes.")
        try:
            return upload.name, upload.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValidationError(f"{upload.name}: the file: a readable UTF-8 file ({error})") from error


class ApplyForm(forms.Form):
    """The confirmation page sends the file back with the plan's fingerprint; Apply writes only that plan."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False)
    source = forms.CharField(widget=forms.HiddenInput, max_length=300)
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)


class PurgeForm(forms.Form):
    expected_records = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


ARCHIVED_KINDS = [
    ("question", "Self-check questions", "lesson"),
    ("ordering", "Ordering exercises", "lesson"),
    ("stage", "Ordering stages", "exercise__lesson"),
    ("prediction", "Predictions", "lesson"),
    ("rubric", "Rubric points", "exercise__lesson"),
    ("card", "Flashcards", "lesson"),
]


@admin.register(Lesson)
class LessonAdmin(PasteFlashcardsMixin, AuthoringAdmin):
    list_display = [
        "title",
        "course",
        "position",
        "published",
        "question_count",
        "ordering_count",
        "prediction_count",
        "flashcard_count",
        "site_link",
    ]
    list_display_links = ["title"]
    list_filter = ["course", "published"]
    list_select_related = ["course"]
    search_fields = ["title", "slug", "course__title"]
    autocomplete_fields = ["course"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["publish", "unpublish", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["course", "title", "slug", "position", "published"]}),
        ("Self-check", {"fields": ["self_check_intro"]}),
        ("Exercises", {"fields": ["exercises_title", "exercises_intro", "side_effects"]}),
        ("Flashcards", {"fields": ["flashcards_intro"]}),
    ]
    inlines = [SelfCheckQuestionInline, OrderingExerciseInline, PredictionExerciseInline, FlashcardInline]
    change_form_template = "admin/lessons/lesson/change_form.html"
    delete_confirmation_template = "admin/lessons/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/lessons/delete_selected_confirmation.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                question_count=count_of(SelfCheckQuestion),
                ordering_count=count_of(OrderingExercise),
                prediction_count=count_of(PredictionExercise),
                flashcard_count=count_of(Flashcard),
            )
        )

    @admin.display(description="Questions", ordering="question_count")
    def question_count(self, lesson):
        return lesson.question_count

    @admin.display(description="Ordering", ordering="ordering_count")
    def ordering_count(self, lesson):
        return lesson.ordering_count

    @admin.display(description="Predictions", ordering="prediction_count")
    def prediction_count(self, lesson):
        return lesson.prediction_count

    @admin.display(description="Cards", ordering="flashcard_count")
    def flashcard_count(self, lesson):
        return lesson.flashcard_count

    @admin.display(description="On site")
    def site_link(self, lesson):
        if lesson.published:
            return format_html('<a href="{}">View on site</a>', lesson.get_absolute_url())
        url = reverse("admin:lessons_lesson_preview", args=[lesson.pk])
        return format_html('<a href="{}">Preview as student</a>', url)

    # -- actions

    def _set_published(self, request, queryset, published):
        changed = list(queryset.exclude(published=published))
        Lesson.objects.filter(pk__in=[lesson.pk for lesson in changed]).update(published=published)
        verb = "Published" if published else "Unpublished"
        for lesson in changed:
            self.log_change(request, lesson, [{"changed": {"fields": ["Published"]}}])
        unchanged = queryset.count() - len(changed)
        note = f" ({unchanged} already {verb.lower()})" if unchanged else ""
        self.message_user(request, f"{verb} {len(changed)} lesson(s){note}.", messages.SUCCESS)

    @admin.action(description="Publish selected lessons", permissions=["change"])
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description="Unpublish selected lessons (students no longer see them)", permissions=["change"])
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)

    @admin.action(description="Delete selected lessons", permissions=["delete"])
    def delete_selected(self, request, queryset):
        response = admin_actions.delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["student_records"] = services.student_records_for_lessons(queryset)
        return response

    def student_records(self, obj):
        return services.student_records_for_lessons([obj])

    # -- saving

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        lesson = form.instance
        for exercise in lesson.ordering_exercises.annotate(n=Count("items")).filter(n__lt=2):
            url = reverse("admin:lessons_orderingexercise_change", args=[exercise.pk])
            self.message_user(
                request,
                format_html(
                    'Ordering exercise “{}” needs at least two items: <a href="{}">add them</a>.', exercise, url
                ),
                messages.WARNING,
            )
        for exercise in lesson.predictions.annotate(n=Count("rubric_points")).filter(n=0):
            url = reverse("admin:lessons_predictionexercise_change", args=[exercise.pk])
            self.message_user(
                request,
                format_html('Prediction “{}” has no rubric points yet: <a href="{}">add them</a>.', exercise, url),
                messages.WARNING,
            )

    # -- extra pages

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="lessons_lesson_upload"),
            path("markdown-preview/", view(self.markdown_preview_view), name="lessons_lesson_markdown_preview"),
            path("<int:object_id>/preview/", view(self.preview_view), name="lessons_lesson_preview"),
            path("<int:object_id>/download/", view(self.download_view), name="lessons_lesson_download"),
            path("<int:object_id>/archived/", view(self.archived_view), name="lessons_lesson_archived"),
            path(
                "<int:object_id>/archived/<slug:kind>/<int:item_id>/restore/",
                view(self.restore_view),
                name="lessons_lesson_restore",
            ),
            path(
                "<int:object_id>/archived/<slug:kind>/<int:item_id>/purge/",
                view(self.purge_view),
                name="lessons_lesson_purge",
            ),
            path(
                "<int:object_id>/paste-flashcards/",
                view(self.paste_flashcards_view),
                name="lessons_lesson_paste_flashcards",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **context},
        )

    def _lesson_or_404(self, request, object_id, *, change=False):
        lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=object_id)
        allowed = self.has_change_permission(request, lesson) if change else self.has_view_permission(request, lesson)
        if not allowed:
            raise PermissionDenied
        return lesson

    def preview_view(self, request, object_id):
        """The practice page as a student sees it; every control is disabled, so nothing can be recorded."""
        lesson = get_object_or_404(Lesson.objects.for_practice(), pk=object_id)
        if not self.has_view_permission(request, lesson):
            raise PermissionDenied
        # A student who has not started: an unsaved user with an id no row has, so every record lookup is empty
        # and the instructor sees the page as it first looks, not their own practice.
        fresh_student = User(pk=0, username="preview")
        context = practice_page(fresh_student, lesson)
        context["preview"] = True
        context["preview_back_url"] = reverse("admin:lessons_lesson_change", args=[lesson.pk])
        return TemplateResponse(request, "lessons/lesson_detail.html", context)

    def download_view(self, request, object_id):
        lesson = self._lesson_or_404(request, object_id)
        response = HttpResponse(
            lessonfile.dump(lessonfile.export_lesson(lesson)), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{lesson.slug}.yaml"'
        return response

    def upload_view(self, request):
        """Upload, then a page with the plan (added, changed, moved, archived, students touched); Apply writes it."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST" and "apply" in request.POST:
            return self._apply_upload(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            source, text = form.cleaned_data["lesson_file"]
            try:
                plan = services.lesson_file_plan(text=text, source=source)
            except lessonfile.LessonFileError as error:
                form.add_error("lesson_file", f"Nothing imported. {error}")
            else:
                return self._confirm_page(request, plan, text)
        return self._page(request, "admin/lessons/lesson/upload.html", "Upload a lesson file", form=form)

    def _confirm_page(self, request, plan, text, *, changed_since=False):
        apply_form = ApplyForm(initial={"text": text, "source": plan.source, "fingerprint": plan.fingerprint()})
        return self._page(
            request,
            "admin/lessons/lesson/upload_confirm.html",
            f"Check the changes to “{plan.spec['title']}”",
            plan=plan,
            apply_form=apply_form,
            changed_since=changed_since,
        )

    def _apply_upload(self, request):
        form = ApplyForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest("The confirmation form was incomplete: upload the file again.")
        data = form.cleaned_data
        try:
            plan = services.lesson_file_apply(text=data["text"], source=data["source"], fingerprint=data["fingerprint"])
        except services.PlanChanged as changed:
            return self._confirm_page(request, changed.plan, data["text"], changed_since=True)
        except lessonfile.LessonFileError as error:
            upload = UploadForm()
            upload.errors["lesson_file"] = upload.error_class([f"Nothing imported. {error}"])
            return self._page(request, "admin/lessons/lesson/upload.html", "Upload a lesson file", form=upload)
        lesson = plan.lesson
        if plan.created:
            verb = "created"
            self.log_addition(request, lesson, f"Created from lesson file {data['source']}.")
        elif plan.has_changes:
            verb = f"updated ({plan.summary()})"
            self.log_change(request, lesson, f"Updated from lesson file {data['source']}: {plan.summary()}.")
        else:
            verb = "unchanged"
        self.message_user(request, f"{lesson.slug}: {verb}", messages.SUCCESS)
        return redirect("admin:lessons_lesson_change", lesson.pk)

    # -- archived items

    def archived_view(self, request, object_id):
        """The lesson's archived items with their student records: restore one, or delete it for good."""
        lesson = self._lesson_or_404(request, object_id)
        groups = []
        for kind, title, lookup in ARCHIVED_KINDS:
            model = services.ITEM_MODELS[kind]
            items = list(model.objects.archived().filter(**{lookup: lesson}).order_by("archived_at"))
            counts = services.student_records_by_item(model, items)
            groups.append((kind, title, [(item, counts.get(item.pk, 0)) for item in items]))
        return self._page(
            request,
            "admin/lessons/lesson/archived.html",
            f"Archived items of “{lesson}”",
            lesson=lesson,
            groups=groups,
            can_change=self.has_change_permission(request, lesson),
        )

    def _archived_item(self, request, object_id, kind, item_id):
        lesson = self._lesson_or_404(request, object_id, change=True)
        model = services.ITEM_MODELS.get(kind)
        if model is None:
            raise Http404("No such kind of item.")
        lookup = {k: p for k, _t, p in ARCHIVED_KINDS}[kind]
        item = get_object_or_404(model.objects.archived().filter(**{lookup: lesson}), pk=item_id)
        return lesson, item

    def restore_view(self, request, object_id, kind, item_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        lesson, item = self._archived_item(request, object_id, kind, item_id)
        back = reverse("admin:lessons_lesson_archived", args=[lesson.pk])
        try:
            services.item_restore(item=item)
        except ApplicationError as error:
            self.message_user(request, f"Not restored. {error.message}", messages.ERROR)
            return redirect(back)
        self.log_change(request, lesson, f"Restored {item._meta.verbose_name} “{item}”.")
        self.message_user(request, f"Restored “{item}”: students see it again.", messages.SUCCESS)
        return redirect(back)

    def purge_view(self, request, object_id, kind, item_id):
        """Delete an archived item for good: the page names the records that go with it; the POST must match."""
        lesson, item = self._archived_item(request, object_id, kind, item_id)
        back = reverse("admin:lessons_lesson_archived", args=[lesson.pk])
        count = services.student_records_for_item(item)
        if request.method == "POST":
            form = PurgeForm(request.POST)
            if not form.is_valid():
                return HttpResponseBadRequest("The confirmation form was incomplete.")
            try:
                deleted = services.item_purge(item=item, expected_records=form.cleaned_data["expected_records"])
            except ApplicationError as error:
                count = services.student_records_for_item(item)
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.log_change(
                    request, lesson, f"Deleted for good {item._meta.verbose_name} “{item}” ({deleted} student records)."
                )
                self.message_user(
                    request, f"Deleted “{item}” and {deleted} student record(s) for good.", messages.SUCCESS
                )
                return redirect(back)
        return self._page(
            request,
            "admin/lessons/lesson/purge.html",
            f"Delete “{item}” for good?",
            lesson=lesson,
            item=item,
            count=count,
            form=PurgeForm(initial={"expected_records": count}),
            back=back,
        )

    def markdown_preview_view(self, request):
        """Render Markdown exactly as students will see it: posted from a field's Preview button, or typed here."""
        source = ""
        field_name = ""
        if request.method == "POST":
            for key in request.POST:
                if key.startswith(PREVIEW_PREFIX):
                    field_name = key.removeprefix(PREVIEW_PREFIX)
                    source = request.POST.get(field_name, "")
                    break
            else:
                source = request.POST.get("text", "")
        return self._page(
            request,
            "admin/lessons/lesson/markdown_preview.html",
            "Markdown preview",
            source=source[:100_000],
            rendered=render_markdown(source[:100_000]) if source else "",
            field_name=field_name,
        )
