"""The admin, one module per concern: lessons, exercises, courses (authoring, sharing base.py, widgets.py and
paste.py), responses (student work, read-only), classes."""

from . import classes, courses, exercises, lessons, responses  # noqa: F401 - registers the ModelAdmins
