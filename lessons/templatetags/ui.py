"""The design system's template tags: icons from the vendored Lucide sprite and progress rings."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

SPRITE = "vendor/lucide-1.62.0/icons.svg"


@register.simple_tag
def icon(name, css_class=""):
    """A decorative icon (hidden from screen readers: the text beside it says the same)."""
    return format_html(
        '<svg class="icon {}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        css_class,
        static(SPRITE),
        name,
    )


@register.simple_tag
def ring(percent, label, css_class=""):
    """A progress ring for ``percent`` (0-100), announced as ``label`` (decorative when the label is empty:
    the text beside it says the same)."""
    percent = max(0, min(100, int(percent or 0)))
    done = " ring-done" if percent == 100 else ""
    name = format_html('role="img" aria-label="{}"', label) if label else mark_safe('aria-hidden="true"')
    return format_html(
        '<svg class="ring{}{}" viewBox="0 0 36 36" {}>'
        '<circle class="ring-track" cx="18" cy="18" r="15"></circle>'
        '<circle class="ring-value" cx="18" cy="18" r="15" pathLength="100" stroke-dasharray="{} 100"></circle>'
        "</svg>",
        done,
        f" {css_class}" if css_class else "",
        name,
        percent,
    )
