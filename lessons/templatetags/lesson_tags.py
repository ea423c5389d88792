from django import template

from lessons.markdown import render_markdown, render_markdown_inline

register = template.Library()


@register.filter
def markdown(text):
    """Render lesson Markdown to sanitised HTML."""
    return render_markdown(text)


@register.filter
def get_item(mapping, key):
    """Look a key up in a dict from a template: ``{{ attempts|get_item:question.pk }}``."""
    return mapping.get(key) if mapping else None


@register.filter
def markdown_inline(text):
    """Render one-paragraph Markdown without the wrapping <p>, for headings and labels."""
    return render_markdown_inline(text)
