"""Read and validate a lesson file (the contract in DESIGN.md and the README) into a plain spec.

The spec is what ``sync`` matches against the database: every item carries its
``id`` (``None`` when the file has none) and the path of its place in the file
(``path``, for messages and ``--write-ids``). Nothing here touches the database.
"""

import re

from django.conf import settings
from django.utils.text import slugify

from lessons.models.content import UID_PATTERN

from .errors import LessonFileError
from .reader import FAST_LOADER, load

MAX_POSITION = 2_147_483_647  # a Postgres integer
UID_RE = re.compile(UID_PATTERN)

# Each mapping's allowed keys: True marks a required key.
TOP_KEYS = {
    "id": False,
    "course": True,
    "slug": True,
    "title": True,
    "position": False,
    "self_check": False,
    "exercises": False,
    "flashcards": False,
}
SELF_CHECK_KEYS = {"intro": False, "questions": True}
QUESTION_KEYS = {"id": False, "question": True, "answer": True}
EXERCISES_KEYS = {"title": False, "intro": False, "side_effects": False, "ordering": False, "prediction": False}
ORDERING_KEYS = {"id": False, "title": True, "prompt": True, "items": True, "answer": True, "explanation": False}
STAGE_KEYS = {"id": False, "text": True}
PREDICTION_KEYS = {
    "id": False,
    "title": True,
    "prompt": True,
    "model_answer": True,
    "rubric": True,
    "rubric_note": False,
}
RUBRIC_KEYS = {"id": False, "text": True}
FLASHCARDS_KEYS = {"intro": False, "cards": True}
CARD_KEYS = {"id": False, "front": True, "back": True}


def max_bytes():
    return settings.LESSON_FILE_MAX_BYTES


class _Checker:
    def __init__(self, source):
        self.source = source
        self.ids = {}

    def fail(self, key, expected):
        raise LessonFileError(self.source, key, expected)

    def mapping(self, value, path, keys):
        if not isinstance(value, dict):
            self.fail(path or "the file", "a mapping of keys to values")
        for key in value:
            if key not in keys:
                allowed = ", ".join(keys)
                self.fail(f"{path}.{key}" if path else key, f"an unknown key; expected one of: {allowed}")
        for key, required in keys.items():
            if required and key not in value:
                self.fail(f"{path}.{key}" if path else key, "a required key that is missing")
        return value

    def text(self, value, path, *, required=True, max_length=None):
        if value is None and not required:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(path, "text")
        value = str(value)
        if required and not value.strip():
            self.fail(path, "non-empty text")
        if max_length and len(value) > max_length:
            self.fail(path, f"text of at most {max_length} characters")
        return value

    def items_list(self, value, path):
        if not isinstance(value, list) or not value:
            self.fail(path, "a non-empty list")
        return value

    def uid(self, raw, path):
        """The item's ``id:`` if it has one; each id once in the lesson."""
        if not isinstance(raw, dict) or raw.get("id") is None:
            return None
        value = raw["id"]
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not UID_RE.match(str(value)):
            self.fail(f"{path}.id", "a short id: letters, digits, '-', '_' or '.', at most 40, such as q-7kx2mp")
        value = str(value)
        if value in self.ids:
            self.fail(f"{path}.id", f"each id once in the lesson; {value!r} is also at {self.ids[value]}")
        self.ids[value] = path
        return value

    def position(self, value, path):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POSITION:
            self.fail(path, f"a whole number from 0 to {MAX_POSITION}")
        return value


def parse_text(text, source="<lesson file>", *, locations=None, loader=FAST_LOADER):
    """Validate a lesson file's text; return its spec, or raise LessonFileError (nothing is written)."""
    limit = max_bytes()
    if len(text) > limit or len(text.encode("utf-8")) > limit:
        raise LessonFileError(source, "the file", f"a lesson file of at most {limit:,} bytes")
    data = load(text, source, loader=loader, locations=locations)
    return _spec(data, _Checker(source))


def parse_file(path, **kwargs):
    """Read and validate one lesson file, refusing one over the size limit before reading it."""
    source = str(path)
    limit = max_bytes()
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        raise LessonFileError(source, "the file", f"a readable file ({error.strerror or error})") from None
    if len(raw) > limit:
        raise LessonFileError(source, "the file", f"a lesson file of at most {limit:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LessonFileError(source, "the file", f"a readable UTF-8 file ({error})") from None
    return parse_text(text, source, **kwargs)


def _spec(data, check):
    check.mapping(data, "", TOP_KEYS)
    spec = {
        "id": check.uid(data, "lesson") if data.get("id") is not None else None,
        "course": check.text(data["course"], "course", max_length=200),
        "slug": check.text(data["slug"], "slug", max_length=100),
        "title": check.text(data["title"], "title", max_length=300),
        "position": None,
        "self_check": None,
        "exercises": None,
        "flashcards": None,
    }
    if spec["id"] is not None:
        del check.ids[spec["id"]]  # the lesson's id is unique among lessons, not among its items
    if spec["slug"] != slugify(spec["slug"]):
        check.fail("slug", "lowercase letters, digits and hyphens (a URL slug)")
    if "position" in data:
        spec["position"] = check.position(data["position"], "position")
    if data.get("self_check") is not None:
        section = check.mapping(data["self_check"], "self_check", SELF_CHECK_KEYS)
        questions = []
        for i, raw in enumerate(check.items_list(section["questions"], "self_check.questions")):
            path = f"self_check.questions[{i}]"
            check.mapping(raw, path, QUESTION_KEYS)
            questions.append(
                {
                    "id": check.uid(raw, path),
                    "path": path,
                    "question": check.text(raw["question"], f"{path}.question"),
                    "answer": check.text(raw["answer"], f"{path}.answer"),
                }
            )
        spec["self_check"] = {
            "intro": check.text(section.get("intro"), "self_check.intro", required=False),
            "questions": questions,
        }
    if data.get("exercises") is not None:
        spec["exercises"] = _exercises(check, data["exercises"])
    if data.get("flashcards") is not None:
        section = check.mapping(data["flashcards"], "flashcards", FLASHCARDS_KEYS)
        cards = []
        for i, raw in enumerate(check.items_list(section["cards"], "flashcards.cards")):
            path = f"flashcards.cards[{i}]"
            check.mapping(raw, path, CARD_KEYS)
            cards.append(
                {
                    "id": check.uid(raw, path),
                    "path": path,
                    "front": check.text(raw["front"], f"{path}.front"),
                    "back": check.text(raw["back"], f"{path}.back"),
                }
            )
        spec["flashcards"] = {
            "intro": check.text(section.get("intro"), "flashcards.intro", required=False),
            "cards": cards,
        }
    exercises = spec["exercises"] or {}
    if not (spec["self_check"] or exercises.get("ordering") or exercises.get("prediction") or spec["flashcards"]):
        check.fail("self_check", "at least one of self_check, exercises.ordering, exercises.prediction, flashcards")
    return spec


def _text_or_mapping(check, value, path, keys, *, max_length=None):
    """A stage or rubric point: plain text, or ``{id: ..., text: ...}``."""
    if isinstance(value, dict):
        check.mapping(value, path, keys)
        return check.uid(value, path), check.text(value["text"], f"{path}.text", max_length=max_length)
    return None, check.text(value, path, max_length=max_length)


def _exercises(check, raw):
    section = check.mapping(raw, "exercises", EXERCISES_KEYS)
    spec = {
        "title": check.text(section.get("title"), "exercises.title", required=False, max_length=300),
        "intro": check.text(section.get("intro"), "exercises.intro", required=False),
        "side_effects": check.text(section.get("side_effects"), "exercises.side_effects", required=False),
        "ordering": [],
        "prediction": [],
    }
    orderings = check.items_list(section["ordering"], "exercises.ordering") if "ordering" in section else []
    for i, item in enumerate(orderings):
        path = f"exercises.ordering[{i}]"
        check.mapping(item, path, ORDERING_KEYS)
        uid = check.uid(item, path)
        items = item["items"]
        if not isinstance(items, dict) or len(items) < 2:
            check.fail(f"{path}.items", "a mapping of at least two labels to stage texts (a: ..., b: ...)")
        stages = []
        for label, value in items.items():
            label = check.text(label, f"{path}.items", max_length=10)
            stage_path = f"{path}.items.{label}"
            stage_uid, text = _text_or_mapping(check, value, stage_path, STAGE_KEYS)
            stages.append({"id": stage_uid, "path": stage_path, "label": label, "text": text})
        labels = [stage["label"] for stage in stages]
        answer = item["answer"]
        if not isinstance(answer, list):
            check.fail(f"{path}.answer", "a list of labels in the correct order")
        for label in answer:
            if isinstance(label, (dict, list)):
                check.fail(f"{path}.answer", "a list of labels in the correct order")
        answer = [str(label) for label in answer]
        for label in answer:
            if label not in labels:
                check.fail(f"{path}.answer", f"labels of the items ({', '.join(labels)}); {label!r} is not an item")
        if len(set(answer)) != len(answer):
            check.fail(f"{path}.answer", "each label once; a label is repeated")
        if set(answer) != set(labels):
            missing = ", ".join(label for label in labels if label not in answer)
            check.fail(f"{path}.answer", f"every item once; missing: {missing}")
        spec["ordering"].append(
            {
                "id": uid,
                "path": path,
                "title": check.text(item["title"], f"{path}.title", max_length=300),
                "prompt": check.text(item["prompt"], f"{path}.prompt"),
                "items": stages,
                "answer": answer,
                "explanation": check.text(item.get("explanation"), f"{path}.explanation", required=False),
            }
        )
    predictions = check.items_list(section["prediction"], "exercises.prediction") if "prediction" in section else []
    for i, item in enumerate(predictions):
        path = f"exercises.prediction[{i}]"
        check.mapping(item, path, PREDICTION_KEYS)
        uid = check.uid(item, path)
        rubric = []
        for j, point in enumerate(check.items_list(item["rubric"], f"{path}.rubric")):
            point_path = f"{path}.rubric[{j}]"
            point_uid, text = _text_or_mapping(check, point, point_path, RUBRIC_KEYS, max_length=500)
            rubric.append({"id": point_uid, "path": point_path, "text": text})
        spec["prediction"].append(
            {
                "id": uid,
                "path": path,
                "title": check.text(item["title"], f"{path}.title", max_length=300),
                "prompt": check.text(item["prompt"], f"{path}.prompt"),
                "model_answer": check.text(item["model_answer"], f"{path}.model_answer"),
                "rubric": rubric,
                "rubric_note": check.text(item.get("rubric_note"), f"{path}.rubric_note", required=False),
            }
        )
    return spec
