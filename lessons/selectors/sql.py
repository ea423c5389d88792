"""Fixed-text SQL: a few hot reads are written once as SQL, with the table names taken from the models."""

from django.db import connection


def quoted_tables(*models) -> dict[str, str]:
    """Each model's table, quoted for this database, by the model's class name (``t["Lesson"]``)."""
    return {model.__name__: connection.ops.quote_name(model._meta.db_table) for model in models}
