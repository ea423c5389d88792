"""Ordering and prediction exercises in the admin, each with its stages or rubric points."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from lessons.models import (
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
)
from lessons.services import authoring as services

from .base import AuthoringAdmin, ContentFormSet, ContentInline, PositionedForm

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
        if self.instance.pk:
            archived = set(
                self.instance.items.archived().filter(label__in=list(labels)).values_list("label", flat=True)
            )
            for label in archived:
                labels[label].add_error(
                    "label",
                    f"Label “{label}” belongs to an archived stage (kept for old attempts): restore it from the "
                    "lesson's “Archived items”, or choose another label.",
                )
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
