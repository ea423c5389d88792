"""Fixed-text SQL: a few hot reads are written once as SQL, with the table names taken from the models."""

from django.db import connection


def quoted_tables(*models) -> dict[str, str]:
    """Each model's table, quoted for this database, by the model's class name (``t["Lesson"]``)."""
    return {model.__name__: connection.ops.quote_name(model._meta.db_table) for model in models}


def in_list(column: str, values) -> tuple[str, list]:
    """``column IN (...)`` for fixed SQL, as (text, parameters).

    On Postgres, ``column = ANY(%s)`` with the values as one array: the text is the same for every length
    (psycopg parses a statement's placeholders on every execution once it is over 4 KB, some 3 µs a
    placeholder, and a class sends hundreds of ids). Elsewhere one placeholder a value; an empty list
    matches nothing.
    """
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values
