"""Reading a "Check order" form into one list of labels. Pure: no database.

The form arrives in one of two shapes, normalised here to one ordered list:

- ``order=b&order=d&...``: the hidden input inside each list item, in the list's
  order (what the page sends when JavaScript reordered the list and disabled the selects);
- ``position-b=1&position-d=2&...``: a position select per item (the page without JavaScript).

Two kinds of problem: a student can make a *fixable* one with the real form (two
stages given the same position, or checking a list they never touched), which the
page shows next to the form; anything else is a forged or broken request, refused with 400.
"""

from dataclasses import dataclass, field

MAX_FIELDS = 200  # far above any real exercise; more is a forged request
POSITION_PREFIX = "position-"


class InvalidOrder(ValueError):
    """A request the real form cannot produce: refuse it (400) and store nothing."""


@dataclass
class FixableOrder(ValueError):
    """A mistake the student can fix on the page: show ``message`` next to the form."""

    message: str
    positions: dict[str, int] = field(default_factory=dict)

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class Submission:
    order: list[str]
    number: int


def _name(label):
    return f"({label[:12]})"


def _number(value: str, high: int) -> int | None:
    """``value`` as a whole number from 1 to ``high``, else None.

    Plain ASCII digits only, and not too many of them: ``str.isdigit`` also accepts "²", which
    ``int`` refuses, and ``int`` refuses more than 4,300 digits (both would be a 500).
    """
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(high))):
        return None
    return int(value) if 1 <= int(value) <= high else None


def _attempt_number(data) -> int:
    value = _number(data.get("attempt", ""), 1_000_000)
    if value is None:
        raise InvalidOrder("This form is missing its attempt number. Reload the page and try again.")
    return value


def _from_positions(data, labels: list[str]) -> tuple[list[str], dict[str, int]]:
    keys = [key for key in data if key.startswith(POSITION_PREFIX)]
    if len(keys) > MAX_FIELDS:
        raise InvalidOrder("Too many items were sent.")
    positions = {}
    for key in keys:
        label = key.removeprefix(POSITION_PREFIX)
        if label not in labels:
            raise InvalidOrder(f"{_name(label)} is not a stage of this exercise.")
        value = _number(data.get(key, ""), len(labels))
        if value is None:
            raise InvalidOrder(f"The position of {_name(label)} must be a number from 1 to {len(labels)}.")
        positions[label] = value
    missing = [label for label in labels if label not in positions]
    if missing:
        raise InvalidOrder(f"{', '.join(map(_name, missing))} is missing: send a position for every stage.")
    by_position: dict[int, list[str]] = {}
    for label in labels:
        by_position.setdefault(positions[label], []).append(label)
    clashes = [(position, group) for position, group in sorted(by_position.items()) if len(group) > 1]
    if clashes:
        position, group = clashes[0]
        raise FixableOrder(
            f"Each position can be used once: {' and '.join(map(_name, group))} are both at position {position}. "
            "Choose a different position for one of them.",
            positions,
        )
    return sorted(labels, key=positions.__getitem__), positions


def _from_list(data, labels: list[str]) -> list[str]:
    order = data.getlist("order")
    if not order:
        raise InvalidOrder("No order was sent.")
    if len(order) > MAX_FIELDS:
        raise InvalidOrder("Too many items were sent.")
    seen = set()
    for label in order:
        if label not in labels:
            raise InvalidOrder(f"{_name(label)} is not a stage of this exercise.")
        if label in seen:
            raise InvalidOrder(f"{_name(label)} was sent twice.")
        seen.add(label)
    missing = [label for label in labels if label not in seen]
    if missing:
        raise InvalidOrder(f"{', '.join(map(_name, missing))} is missing: send every stage once.")
    return order


def read_submission(data, *, labels: list[str], shown: list[str], recorded: int = 0) -> Submission:
    """The submitted order and attempt number, or InvalidOrder / FixableOrder.

    ``labels`` are the exercise's labels, ``shown`` the order the page shows now and
    ``recorded`` how many tries are stored. A list counts as touched when JavaScript says
    the student moved something (``moved=1``), when it differs from the shown order, or
    when they ticked "Keep this order". A try already recorded (the second click of a
    double click, which finds its own order shown) is a resend, not a new check.
    """
    number = _attempt_number(data)
    if any(key.startswith(POSITION_PREFIX) for key in data):
        order, positions = _from_positions(data, labels)
    else:
        order, positions = _from_list(data, labels), {}
    touched = data.get("moved") == "1" or data.get("keep_order") == "1" or order != shown or number <= recorded
    if not touched:
        raise FixableOrder(
            'You have not moved anything yet. Put the stages in the order you think is right, or tick "Keep this '
            'order" to check the order as it is.',
            positions,
        )
    return Submission(order=order, number=number)
