"""Paste flashcards into a lesson (Quizlet and Anki text exports): preview, then add once."""

import hashlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from lessons.errors import ApplicationError
from lessons.forms.paste import SEPARATORS, parse_pasted_cards, separator_name
from lessons.services import authoring as services

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


class PasteFlashcardsMixin:
    """The "Paste flashcards" page of a lesson, mixed into LessonAdmin (it uses its _page and _lesson_or_404)."""

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
