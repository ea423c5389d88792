"""What every authoring page shares: sortable inline formsets with visible positions, and archiving instead of
deleting an item students have used (see ContentFormSet)."""

from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from lessons.models import (
    PredictionSubmission,
)
from lessons.services import authoring as services

from .widgets import MARKDOWN_WIDGETS

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

    def __init__(self, *args, **kwargs):
        self.archived = []
        super().__init__(*args, **kwargs)
        # adminsortable2 hides the position; show it so it can be typed as well as dragged.
        order_field = self.form.base_fields[self.default_order_field]
        order_field.widget = forms.NumberInput(attrs={"class": "_reorder_ vIntegerField", "min": 0})
        order_field.is_hidden = False
        order_field.label = self.order_label

    def add_fields(self, form, index):
        """A tabular row's boxes are named by their column header only, which screen readers (and axe-core) do not
        count as a label: each box gets one, "Question, row 2", so it says what it is and where."""
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for field in form.fields.values():
            if not field.widget.is_hidden:
                field.widget.attrs.setdefault("aria-label", f"{field.label}, {row}")

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

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        self.unique_numbers(self.default_order_field, self.kept_forms(), self.model._meta.verbose_name)

    def delete_existing(self, obj, commit=True):
        """Delete ticked on a row: archived if students used it (their records stay), deleted if nobody did."""
        if not commit:
            return super().delete_existing(obj, commit)
        if services.item_is_used(obj):
            services.item_archive(item=obj)
            self.archived.append(obj)
        else:
            obj.delete()


class ContentInline(SortableTabularInline):
    form = PositionedForm
    formset = ContentFormSet
    extra = 1
    ordering = ["position"]
    formfield_overrides = MARKDOWN_WIDGETS

    def get_queryset(self, request):
        """Live rows only: archived ones are listed, restored and purged on the lesson's "Archived items" page."""
        return super().get_queryset(request).live().select_related(self.fk_name or "lesson")


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
    """Says which deleted rows were archived instead, and counts student records on the delete pages."""

    formfield_overrides = MARKDOWN_WIDGETS
    change_form_template = "admin/lessons/authoring_change_form.html"
    # Enter in a text box presses the first submit button: make it Save, not a Markdown Preview.
    save_on_top = True

    class Media:
        css = {"all": ["css/admin_authoring.css"]}

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        archived = getattr(formset, "archived", [])
        if archived:
            names = ", ".join(f"“{obj}”" for obj in archived)
            self.message_user(
                request,
                f"Archived {names}: students have records on {'them' if len(archived) > 1 else 'it'}, which are kept. "
                "Restore, or delete for good, on the lesson's “Archived items” page.",
                messages.WARNING,
            )

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
