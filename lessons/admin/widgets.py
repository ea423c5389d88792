"""Form widgets of the authoring admin: Markdown text boxes with a server-side Preview button."""

from django import forms
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

PREVIEW_PREFIX = "_markdown_preview:"

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
