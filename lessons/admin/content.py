"""Authoring in the admin: courses and lessons, everything of a lesson on one page.

A lesson's change page edits its self-check questions, ordering exercises,
predictions and flashcards as inlines that reorder by dragging (adminsortable2)
or by typing position numbers. Ordering items and rubric points are a second
level: Django has no nested inlines, so each exercise has its own change page
with its items (linked from the lesson page with counts), validated as a whole.

Removing an inline item that students have used is refused with the number of
student records it would take with it, until "Also delete" is ticked; the
delete pages of lessons and exercises state that number too.
"""

import hashlib

from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.utils import NestedObjects, quote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from lessons import lessonfile
from lessons.errors import ApplicationError
from lessons.forms.paste import SEPARATORS, parse_pasted_cards, separator_name
from lessons.markdown import render_markdown
from lessons.models import (
    Course,
    Flashcard,
    Lesson,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    PredictionSubmission,
    RubricPoint,
    SelfCheckQuestion,
)
from lessons.models.content import count_of
from lessons.selectors.practice_page import practice_page
from lessons.services import authoring as services

CONFIRM_FIELD = "confirm_student_data"
PREVIEW_PREFIX = "_markdown_preview:"
MAX_LESSON_FILE_BYTES = 1_000_000


# ---------------------------------------------------------------- Markdown fields


class MarkdownTextarea(forms.Textarea):
    """A textarea with a "Preview" button that posts the form to the server-side Markdown preview.

    The button submits the whole form to the preview view in a new tab
    (``formaction``/``formtarget``), naming its own field, so it works without
    JavaScript and leaves the unsaved edit in place.
    """

    def __init__(self, attrs=None):
        super().__init__({"rows": 3, "cols": 40, **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, attrs, renderer)
        return format_html(
            '{}<button type="submit" class="button markdown-preview" name="{}{}" formaction="{}" formmethod="post" '
            'formtarget="_blank" formnovalidate>Preview</button>',
            textarea,
            PREVIEW_PREFIX,
            name,
            reverse("admin:lessons_lesson_markdown_preview"),
        )


MARKDOWN_WIDGETS = {models.TextField: {"widget": MarkdownTextarea}}


# ---------------------------------------------------------------- inline formsets


class PositionedForm(forms.ModelForm):
    """Position and label constraints are checked across the whole formset (see ContentFormSet).

    Checked one form at a time against the database they would refuse a swap
    (question 1 to place 2 while question 2 still holds it); Postgres checks
    them at commit (DEFERRED), after every row has moved.
    """

    formset_checked_fields = ("position",)

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | set(self.formset_checked_fields)


class ContentFormSet(CustomInlineFormSet):
    """Sortable inline formset: visible position numbers, unique positions, guarded deletes."""

    order_label = "Position"

    def __init__(self, *args, confirm_deletes=False, **kwargs):
        self.confirm_deletes = confirm_deletes
        self.student_records_blocked = 0
        super().__init__(*args, **kwargs)
        # adminsortable2 hides the position; show it so it can be typed as well as dragged.
        order_field = self.form.base_fields[self.default_order_field]
        order_field.widget = forms.NumberInput(attrs={"class": "_reorder_ vIntegerField", "min": 0})
        order_field.is_hidden = False
        order_field.label = self.order_label

    def kept_forms(self):
        """Forms whose object will exist after saving: existing and not deleted, or new and filled in."""
        kept = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            kept.append(form)
        return kept

    def unique_numbers(self, field, forms_, noun):
        """Add a form error to each form that repeats another's number in ``field``.

        A new row left at 0 or empty is placed after the others when saved (adminsortable2).
        """
        seen = {}
        for form in forms_:
            value = form.cleaned_data.get(field)
            if value in (None, 0) and form.instance.pk is None:
                continue
            if value is None:
                form.add_error(field, "Give a position, or drag the row into place.")
                continue
            if value in seen:
                form.add_error(
                    field, f"Another {noun} already has {value}: give each {noun} its own number, or drag them."
                )
            seen.setdefault(value, form)
        return seen

    def student_records(self, deleted):
        """Student records that go with these objects (the lesson file import counts the same way)."""
        return sum(lessonfile._student_data_count(obj) for obj in deleted)

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        self.unique_numbers(self.default_order_field, self.kept_forms(), self.model._meta.verbose_name)
        deleted = [form.instance for form in self.initial_forms if self._should_delete_form(form)]
        count = self.student_records(deleted) if deleted else 0
        if count and not self.confirm_deletes:
            self.student_records_blocked = count
            names = ", ".join(f"“{obj}”" for obj in deleted)
            raise ValidationError(
                f"Removing {names} would delete {count} student record{'s' if count != 1 else ''} with "
                f"{'them' if len(deleted) > 1 else 'it'}. Nothing was saved. Tick “Also delete the student "
                "records” next to the Save button and save again to remove it anyway, or untick Delete."
            )


class ContentInline(SortableTabularInline):
    form = PositionedForm
    formset = ContentFormSet
    extra = 1
    ordering = ["position"]
    formfield_overrides = MARKDOWN_WIDGETS

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(self.fk_name or "lesson")


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
        return super().get_queryset(request).prefetch_related("items")

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
        return super().get_queryset(request).prefetch_related("rubric_points")

    @admin.display(description="Rubric")
    def rubric_summary(self, exercise):
        if exercise.pk is None:
            return "Save the lesson, then add rubric points on the prediction's own page."
        points = list(exercise.rubric_points.all())
        url = reverse("admin:lessons_predictionexercise_change", args=[exercise.pk])
        if not points:
            return format_html('<a href="{}">No rubric points: add at least one</a>', url)
        return format_html('<a href="{}">{} rubric point(s)</a>', url, len(points))


# ---------------------------------------------------------------- shared ModelAdmin behaviour

STUDENT_RECORD = object()
STUDENT_RECORD_MODELS = {model for model, _path in services.STUDENT_RECORDS} | {
    PredictionSubmission.named_points.through
}


def _without_student_records(nested):
    """The nested list of a delete page without the student records (they are counted instead)."""
    kept = []
    for item in nested:
        if isinstance(item, list):
            item = _without_student_records(item)
            if item:
                kept.append(item)
        elif item is not STUDENT_RECORD:
            kept.append(item)
    return kept


class AuthoringAdmin(SortableAdminBase, admin.ModelAdmin):
    """Passes the "Also delete the student records" box to the inline formsets and shows it when needed."""

    formfield_overrides = MARKDOWN_WIDGETS
    change_form_template = "admin/lessons/authoring_change_form.html"
    # Enter in a text box presses the first submit button: make it Save, not a Markdown Preview.
    save_on_top = True

    class Media:
        css = {"all": ["css/admin_authoring.css"]}

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, ContentFormSet):
            kwargs["confirm_deletes"] = request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "on"
        return kwargs

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["student_records_blocked"] = sum(
            getattr(inline.formset, "student_records_blocked", 0) for inline in context.get("inline_admin_formsets", [])
        )
        context["confirm_field"] = CONFIRM_FIELD
        return super().render_change_form(request, context, add, change, form_url, obj)

    def student_records(self, obj):
        return 0

    def get_deleted_objects(self, objs, request):
        """Django's list of what a delete takes, with student records counted per kind, not listed one by one.

        Listed, each student record costs a query (its name reaches the student) and a line: thousands of
        both for a real class. Permissions are checked as Django does, once per kind of record.
        """
        if not objs:
            return [], {}, set(), []
        collector = NestedObjects(using=router.db_for_write(self.model), origin=objs)
        collector.collect(objs)
        perms_needed = set()
        site = self.admin_site

        def can_delete(model, obj=None):
            return not site.is_registered(model) or site.get_model_admin(model).has_delete_permission(request, obj)

        def describe(obj):
            model, opts = type(obj), obj._meta
            if model in STUDENT_RECORD_MODELS:
                return STUDENT_RECORD
            if not site.is_registered(model):
                return f"{capfirst(opts.verbose_name)}: {obj}"
            if not can_delete(model, obj):
                perms_needed.add(opts.verbose_name)
            try:
                url = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
            except NoReverseMatch:
                return f"{capfirst(opts.verbose_name)}: {obj}"
            return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

        to_delete = _without_student_records(collector.nested(describe))
        for model, found in collector.model_objs.items():
            if model in STUDENT_RECORD_MODELS and found:
                if not can_delete(model):
                    perms_needed.add(model._meta.verbose_name)
                to_delete.append(f"{capfirst(model._meta.verbose_name_plural)}: {len(found)} (student records)")
        model_count = {model._meta.verbose_name_plural: len(found) for model, found in collector.model_objs.items()}
        return to_delete, model_count, perms_needed, [describe(obj) for obj in collector.protected]

    def delete_view(self, request, object_id, extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["student_records"] = self.student_records(obj)
        return super().delete_view(request, object_id, extra_context)


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


# ---------------------------------------------------------------- lessons


class UploadForm(forms.Form):
    lesson_file = forms.FileField(label="Lesson file (.yaml)", help_text="The format of `manage.py import_lessons`.")
    prune = forms.BooleanField(
        required=False,
        label="Allow removing items that carry student data (--prune)",
        help_text="Without it, a file that drops a question, card or exercise students have used is refused.",
    )

    def clean_lesson_file(self):
        upload = self.cleaned_data["lesson_file"]
        if upload.size > MAX_LESSON_FILE_BYTES:
            raise ValidationError(f"The file is too large: lesson files are at most {MAX_LESSON_FILE_BYTES:,} bytes.")
        try:
            return upload.name, upload.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValidationError(f"{upload.name}: the file: a readable UTF-8 file ({error})") from error


SEPARATOR_CHOICES = [("tab", "Tab (Quizlet, Anki)"), ("comma", "Comma"), ("semicolon", "Semicolon"), ("other", "Other")]


class PasteForm(forms.Form):
    text = forms.CharField(
        label="Cards, one per line",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        max_length=100_000,
        help_text="Front, separator, back. Anki exports with #separator: header lines are read as Anki writes them.",
    )
    separator = forms.ChoiceField(choices=SEPARATOR_CHOICES, initial="tab", widget=forms.RadioSelect)
    other_separator = forms.CharField(
        required=False, max_length=10, label="Other separator", help_text="Used when “Other” is chosen, e.g. ` - `."
    )
    # Set by the preview: the card count it saw, so a second click adds nothing twice.
    expected_count = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("separator") == "other":
            if not data.get("other_separator"):
                self.add_error("other_separator", "Type the separator that sits between front and back.")
            else:
                data["separator_char"] = data["other_separator"].replace("\\t", "\t")
        elif data.get("separator"):
            data["separator_char"] = SEPARATORS[data["separator"]]
        return data


@admin.register(Lesson)
class LessonAdmin(AuthoringAdmin):
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
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            source, text = form.cleaned_data["lesson_file"]
            try:
                result = services.lesson_file_import(text=text, source=source, prune=form.cleaned_data["prune"])
            except lessonfile.LessonFileError as error:
                form.add_error("lesson_file", f"Nothing imported. {error}")
            else:
                lesson = result.lesson
                if result.created:
                    verb = "created"
                    self.log_addition(request, lesson, f"Created from lesson file {source}.")
                elif result.changes:
                    verb = f"updated ({len(result.changes)} changes)"
                    self.log_change(request, lesson, f"Updated from lesson file {source}: {'; '.join(result.changes)}.")
                else:
                    verb = "unchanged"
                self.message_user(request, f"{lesson.slug}: {verb}", messages.SUCCESS)
                return redirect("admin:lessons_lesson_change", lesson.pk)
        return self._page(request, "admin/lessons/lesson/upload.html", "Upload a lesson file", form=form)

    def paste_flashcards_view(self, request, object_id):
        lesson = self._lesson_or_404(request, object_id, change=True)
        if not request.user.has_perm("lessons.add_flashcard"):
            raise PermissionDenied
        form = PasteForm(request.POST or None)
        parsed = digest = None
        if request.method == "POST" and form.is_valid():
            separator = form.cleaned_data["separator_char"]
            parsed = parse_pasted_cards(form.cleaned_data["text"], separator)
            digest = hashlib.sha256(f"{separator}\0{form.cleaned_data['text']}".encode()).hexdigest()[:32]
            if "save" in request.POST:
                if request.POST.get("previewed") != digest:
                    form.add_error(None, "The text changed after the preview: check this preview, then add the cards.")
                elif not parsed.cards:
                    form.add_error("text", "No line splits into a front and a back: nothing to add.")
                else:
                    response = self._append_cards(request, lesson, parsed, form.cleaned_data["expected_count"])
                    if response:
                        return response
                    form.add_error(
                        None,
                        "Nothing added: this lesson's flashcards changed since the preview (were they just added by "
                        "a second click?). Check the lesson's cards before adding these again.",
                    )
        return self._page(
            request,
            "admin/lessons/lesson/paste_flashcards.html",
            f"Paste flashcards into “{lesson}”",
            lesson=lesson,
            form=form,
            parsed=parsed,
            digest=digest,
            existing=lesson.flashcards.count(),
            separator_label=separator_name(parsed.separator) if parsed else "",
        )

    def _append_cards(self, request, lesson, parsed, expected_count):
        expected = expected_count if expected_count is not None else -1
        try:
            cards = services.flashcards_append(
                lesson=lesson, cards=[(card.front, card.back) for card in parsed.cards], expected_count=expected
            )
        except ApplicationError:
            return None
        skipped = len(parsed.bad_lines)
        self.log_change(request, lesson, f"Added {len(cards)} flashcards from pasted text.")
        note = f" Skipped {skipped} line(s) that did not split." if skipped else ""
        self.message_user(
            request, f"Added {len(cards)} flashcard(s) after the existing {expected_count}.{note}", messages.SUCCESS
        )
        return redirect(reverse("admin:lessons_lesson_change", args=[lesson.pk]) + "#flashcards-group")

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


# ---------------------------------------------------------------- exercises, with their items


class OrderingItemForm(PositionedForm):
    formset_checked_fields = ("label", "display_position", "correct_position")

    class Meta:
        model = OrderingItem
        fields = ["label", "text", "display_position", "correct_position"]
        labels = {"correct_position": "Place in the correct order"}


class OrderingItemFormSet(ContentFormSet):
    """Every item exactly once in the correct order, labels unique, at least two items."""

    order_label = "Place students first see"

    def student_records(self, deleted):
        # Attempts store the order by label: removing any item changes what every attempt meant.
        return self.instance.attempts.count()

    def clean(self):
        super().clean()
        if any(self.errors) or self.non_form_errors():
            return
        kept = self.kept_forms()
        if len(kept) < 2:
            raise ValidationError("An ordering exercise needs at least two items.")
        labels = {}
        for form in kept:
            label = form.cleaned_data["label"]
            if label in labels:
                form.add_error("label", f"Label “{label}” is used by another item: each label once.")
            labels.setdefault(label, form)
        places = [form.cleaned_data.get("correct_position") for form in kept]
        expected = set(range(1, len(kept) + 1))
        if set(places) != expected or len(places) != len(set(places)):
            repeated = sorted({p for p in places if places.count(p) > 1})
            missing = sorted(expected - set(places))
            outside = sorted({p for p in places if p not in expected})
            details = []
            if repeated:
                details.append(f"used twice: {', '.join(map(str, repeated))}")
            if missing:
                details.append(f"missing: {', '.join(map(str, missing))}")
            if outside:
                details.append(f"out of range: {', '.join(map(str, outside))}")
            raise ValidationError(
                f"The correct order must place every item exactly once, at places 1 to {len(kept)} "
                f"({'; '.join(details)})."
            )


class OrderingItemInline(ContentInline):
    model = OrderingItem
    form = OrderingItemForm
    formset = OrderingItemFormSet
    fk_name = "exercise"
    ordering = ["display_position"]
    fields = ["label", "text", "correct_position"]
    extra = 1
    verbose_name = "item (drag into the order students first see)"
    verbose_name_plural = "items (drag into the order students first see)"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["correct_position"].widget.attrs["min"] = 1
        return formset


class RubricPointFormSet(ContentFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.non_form_errors():
            return
        if not self.kept_forms():
            raise ValidationError("A prediction needs at least one rubric point.")


class RubricPointInline(ContentInline):
    model = RubricPoint
    formset = RubricPointFormSet
    fk_name = "exercise"
    fields = ["text"]


class ExerciseAdmin(AuthoringAdmin):
    list_display = ["title", "lesson", "position"]
    list_select_related = ["lesson__course"]
    list_filter = ["lesson__course"]
    search_fields = ["title", "lesson__title"]
    autocomplete_fields = ["lesson"]

    def get_model_perms(self, request):
        # Reached from their lesson's page, not from the admin index.
        return {}

    def student_records(self, obj):
        return services.student_records_for_exercise(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lesson__course")


@admin.register(OrderingExercise)
class OrderingExerciseAdmin(ExerciseAdmin):
    fields = ["lesson", "position", "title", "prompt", "explanation", "correct_order"]
    readonly_fields = ["correct_order"]
    inlines = [OrderingItemInline]
    delete_confirmation_template = "admin/lessons/delete_confirmation.html"

    @admin.display(description="Correct order (saved)")
    def correct_order(self, exercise):
        if exercise.pk is None:
            return "-"
        items = sorted(exercise.items.all(), key=lambda item: item.correct_position)
        return format_html_join(" → ", "({})", ((item.label,) for item in items)) or "No items yet."


@admin.register(PredictionExercise)
class PredictionExerciseAdmin(ExerciseAdmin):
    fields = ["lesson", "position", "title", "prompt", "model_answer", "rubric_note"]
    inlines = [RubricPointInline]
    delete_confirmation_template = "admin/lessons/delete_confirmation.html"
