"""Lesson text is Markdown, rendered once per text and sanitised.

nh3 keeps an allow-list of tags and attributes, so no ``<script>``, event
handler, ``style`` or ``hx-*`` attribute survives, whatever an author writes.
"""

from functools import lru_cache

import markdown as markdown_lib
import nh3
from django.utils.safestring import mark_safe


@lru_cache(maxsize=4096)
def render_markdown(text):
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitised by nh3 on this line


@lru_cache(maxsize=4096)
def render_markdown_inline(text):
    """Markdown for a one-paragraph text inside a heading or label: no wrapping <p>."""
    html = str(render_markdown(text))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 - a slice of nh3's output
