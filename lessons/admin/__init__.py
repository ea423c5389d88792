"""The admin, one module per concern: content (authoring), responses (student work, read-only), classes."""

from . import classes, content, responses  # noqa: F401 - registers the ModelAdmins
