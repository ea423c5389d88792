"""The admin, one module per concern: lessons, exercises, courses (authoring, sharing base.py, widgets.py and
paste.py), responses (student work, read-only), classes, LTI (platforms, keys, links, the score outbox), users
(the display name)."""

from . import classes, courses, exercises, lessons, lti, responses, users  # noqa: F401 - registers the ModelAdmins
