"""Fixed-text SQL: a few hot reads are written once as SQL, with the table names taken from the models."""

import json
from datetime import UTC, datetime

from django.db import connection, models


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


def parse_timestamp(text: str | None) -> datetime | None:
    """Parse a timestamp read as text: Postgres writes the UTC offset, SQLite stores UTC without one."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _decode_json(value):
    return json.loads(value) if isinstance(value, str) else value


# Fields whose values the drivers give differently (SQLite: text) and that no fixed-SQL read has yet (DateTimeField,
# a DateField too, is checked first).
_NOT_LOADED = (models.DateField, models.DecimalField, models.DurationField, models.TimeField, models.UUIDField)


def _loader(field):
    """How one column's value becomes the field's Python value (None: as the driver gives it)."""
    if isinstance(field, models.DateTimeField):
        return parse_timestamp
    if isinstance(field, models.JSONField):
        return _decode_json
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, _NOT_LOADED):
        raise TypeError(f"ModelColumns cannot load {field!r} yet: add its conversion to sql._loader")
    return None


class ModelColumns:
    """A model's concrete columns under a table alias, for fixed SQL, and the instances built from them.

    ``text`` lists the columns (``a."id", a."user_id", CAST(a."created_at" AS TEXT), ...``) and ``build(row)``
    makes an instance from the first ``len(self)`` values of a row, as ``Model.from_db`` does for a query:
    timestamps are read as text and parsed (Django's loader for them runs in Python, some 5 µs a value),
    JSON decoded (Django's backends hand it over as text), booleans made bool (SQLite gives 0 and 1).
    """

    def __init__(self, model, alias):
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        columns = []
        for field in fields:
            column = f"{alias}.{quote(field.column)}"
            columns.append(f"CAST({column} AS TEXT)" if isinstance(field, models.DateTimeField) else column)
        self.model = model
        self.text = ", ".join(columns)
        self.names = [field.attname for field in fields]
        self.loaders = [_loader(field) for field in fields]

    def __len__(self):
        return len(self.names)

    def build(self, row):
        values = [
            value if load is None or value is None else load(value)
            for load, value in zip(self.loaders, row, strict=False)
        ]
        return self.model.from_db(connection.alias, self.names, values)
