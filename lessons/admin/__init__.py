"""The admin, one module per concern: content (authoring), responses (student work, read-only), classes, LTI."""

from . import classes, content, lti, responses  # noqa: F401 - registers the ModelAdmins
