"""Write a lesson back as a lesson file: the inverse of parse + sync, ids included.

Only live items are written (archived ones exist for their students' records
only); every item carries its ``id:``, so re-importing an export changes nothing
and a later edit of the file still finds each item.
"""

import json

import yaml
from django.db.models import Prefetch

from lessons.models import OrderingExercise, OrderingItem, PredictionExercise, RubricPoint

from .parse import parse_text


class FlowList(list):
    """A short list written on one line: ``answer: [b, d, c, f, a, e]``."""


def export_lesson(lesson):
    """The lesson as a lesson-file mapping (keys in the documented order)."""
    data = {
        "id": lesson.uid,
        "course": lesson.course.title,
        "slug": lesson.slug,
        "title": lesson.title,
        "position": lesson.position,
    }
    questions = list(lesson.questions.live().order_by("position"))
    if questions:
        section = {}
        if lesson.self_check_intro:
            section["intro"] = lesson.self_check_intro
        section["questions"] = [{"id": q.uid, "question": q.question, "answer": q.answer} for q in questions]
        data["self_check"] = section
    orderings = list(
        OrderingExercise.objects.live()
        .filter(lesson=lesson)
        .order_by("position")
        .prefetch_related(Prefetch("items", queryset=OrderingItem.objects.live()))
    )
    predictions = list(
        PredictionExercise.objects.live()
        .filter(lesson=lesson)
        .order_by("position")
        .prefetch_related(Prefetch("rubric_points", queryset=RubricPoint.objects.live()))
    )
    exercises = {}
    for name, attribute in (
        ("title", "exercises_title"),
        ("intro", "exercises_intro"),
        ("side_effects", "side_effects"),
    ):
        if getattr(lesson, attribute):
            exercises[name] = getattr(lesson, attribute)
    if orderings:
        exercises["ordering"] = []
        for o in orderings:
            entry = {
                "id": o.uid,
                "title": o.title,
                "prompt": o.prompt,
                "items": {item.label: _with_id(item.uid, item.text) for item in o.display_items()},
                "answer": FlowList(o.correct_labels()),
            }
            if o.explanation:
                entry["explanation"] = o.explanation
            exercises["ordering"].append(entry)
    if predictions:
        exercises["prediction"] = []
        for p in predictions:
            entry = {
                "id": p.uid,
                "title": p.title,
                "prompt": p.prompt,
                "model_answer": p.model_answer,
                "rubric": [_with_id(point.uid, point.text) for point in p.rubric_points.all()],
            }
            if p.rubric_note:
                entry["rubric_note"] = p.rubric_note
            exercises["prediction"].append(entry)
    if orderings or predictions:
        data["exercises"] = exercises
    cards = list(lesson.flashcards.live().order_by("position"))
    if cards:
        section = {}
        if lesson.flashcards_intro:
            section["intro"] = lesson.flashcards_intro
        section["cards"] = [{"id": c.uid, "front": c.front, "back": c.back} for c in cards]
        data["flashcards"] = section
    return data


def _with_id(uid, text):
    """A stage or rubric point with its id: ``{id: ..., text: ...}`` written as a block."""
    return {"id": uid, "text": text}


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(
    FlowList, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)
)


def dump(data):
    """YAML text of a lesson-file mapping, keys in the documented order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def with_ids(text, spec, missing, locations, source="<lesson file>"):
    """``text`` with an ``id:`` added to each item at the paths in ``missing``, comments and layout kept.

    A mapping item gets an ``id: ...`` line (or ``{id: ..., `` in flow style); a stage or rubric point
    written as plain text becomes ``{id: ..., text: "..."}``. Returns None when an edit cannot be made
    safely (the caller then writes the export instead); the result is checked by parsing it again.
    """
    ids = _ids_by_path(spec)
    edits = []
    for path in missing:
        where = locations.get(path)
        uid = ids.get(path)
        if where is None or uid is None:
            return None
        kind, start, end, style = where
        if kind == "mapping":
            if style:  # flow: {question: ..., answer: ...}
                edits.append((start.index + 1, start.index + 1, f"id: {uid}, "))
            else:
                edits.append((start.index, start.index, f"id: {uid}\n" + " " * start.column))
        else:
            stop = end.index
            if style in ("|", ">"):  # a block scalar's span ends after its line breaks: keep them
                while stop > start.index and text[stop - 1] in " \n":
                    stop -= 1
            quoted = json.dumps(_scalar_text(spec, path), ensure_ascii=False)
            edits.append((start.index, stop, f"{{id: {uid}, text: {quoted}}}"))
    for begin, stop, insert in sorted(edits, reverse=True):
        text = text[:begin] + insert + text[stop:]
    try:
        check = parse_text(text, source, loader=yaml.SafeLoader)
    except Exception:  # noqa: BLE001 - any failure means: write the export instead
        return None
    if _ids_by_path(check) != ids or _strip_ids(check) != _strip_ids(spec):
        return None
    return text


def _items(spec):
    yield from (spec["self_check"] or {}).get("questions", [])
    exercises = spec["exercises"] or {}
    for exercise in exercises.get("ordering", []):
        yield exercise
        yield from exercise["items"]
    for exercise in exercises.get("prediction", []):
        yield exercise
        yield from exercise["rubric"]
    yield from (spec["flashcards"] or {}).get("cards", [])


def _ids_by_path(spec):
    ids = {item["path"]: item["id"] for item in _items(spec)}
    ids["the file"] = spec["id"]
    return ids


def missing_ids(spec):
    """Paths of the items the file gives no id (before sync gives them one)."""
    paths = [item["path"] for item in _items(spec) if item["id"] is None]
    return (["the file"] if spec["id"] is None else []) + paths


def _scalar_text(spec, path):
    for item in _items(spec):
        if item["path"] == path:
            return item["text"]
    return None


def _strip_ids(value):
    """The spec without its ids: what must not change when ids are added."""
    if isinstance(value, dict):
        return {key: _strip_ids(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [_strip_ids(item) for item in value]
    return value
