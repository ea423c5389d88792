"""The lesson file format of DESIGN.md: parse, validate, import, export.

A lesson file is one YAML mapping per lesson. ``import_spec`` creates or
updates a lesson (matched by slug; its questions, exercises, items and cards
matched by position) and refuses to remove anything students have used unless
``prune=True``. ``export_lesson`` gives the same structure back, so an export
re-imported changes nothing.
"""

import contextlib
from dataclasses import dataclass, field
from functools import partial

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import (
    Course,
    Flashcard,
    Lesson,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
    SelfCheckQuestion,
)


class LessonFileError(Exception):
    """A lesson file that does not follow the format: says where and what was expected."""

    def __init__(self, source, key, expected):
        self.source, self.key, self.expected = source, key, expected
        super().__init__(f"{source}: {key}: {expected}")


# Each mapping's allowed keys: True marks a required key.
TOP_KEYS = {
    "course": True,
    "slug": True,
    "title": True,
    "position": False,
    "self_check": False,
    "exercises": False,
    "flashcards": False,
}
SELF_CHECK_KEYS = {"intro": False, "questions": True}
QUESTION_KEYS = {"question": True, "answer": True}
EXERCISES_KEYS = {"title": False, "intro": False, "side_effects": False, "ordering": False, "prediction": False}
ORDERING_KEYS = {"title": True, "prompt": True, "items": True, "answer": True, "explanation": False}
PREDICTION_KEYS = {"title": True, "prompt": True, "model_answer": True, "rubric": True, "rubric_note": False}
FLASHCARDS_KEYS = {"intro": False, "cards": True}
CARD_KEYS = {"front": True, "back": True}


@dataclass
class ImportResult:
    lesson: Lesson
    created: bool
    changes: list = field(default_factory=list)


class _Checker:
    def __init__(self, source):
        self.source = source

    def fail(self, key, expected):
        raise LessonFileError(self.source, key, expected)

    def mapping(self, value, path, keys):
        if not isinstance(value, dict):
            self.fail(path, "a mapping of keys to values")
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


def parse(text, source="<lesson file>"):
    """Parse and validate a lesson file's text; return a normalised spec dict."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise LessonFileError(source, where, f"valid YAML ({getattr(error, 'problem', error)})") from error
    check = _Checker(source)
    check.mapping(data, "", TOP_KEYS)
    spec = {
        "course": check.text(data["course"], "course", max_length=200),
        "slug": check.text(data["slug"], "slug", max_length=100),
        "title": check.text(data["title"], "title", max_length=300),
        "position": None,
        "self_check": None,
        "exercises": None,
        "flashcards": None,
    }
    if spec["slug"] != slugify(spec["slug"]):
        check.fail("slug", "lowercase letters, digits and hyphens (a URL slug)")
    if "position" in data:
        if not isinstance(data["position"], int) or isinstance(data["position"], bool) or data["position"] < 0:
            check.fail("position", "a whole number, 0 or more")
        spec["position"] = data["position"]
    if data.get("self_check") is not None:
        section = check.mapping(data["self_check"], "self_check", SELF_CHECK_KEYS)
        questions = []
        for i, raw in enumerate(check.items_list(section["questions"], "self_check.questions")):
            path = f"self_check.questions[{i}]"
            check.mapping(raw, path, QUESTION_KEYS)
            questions.append(
                {
                    "question": check.text(raw["question"], f"{path}.question"),
                    "answer": check.text(raw["answer"], f"{path}.answer"),
                }
            )
        spec["self_check"] = {
            "intro": check.text(section.get("intro"), "self_check.intro", required=False),
            "questions": questions,
        }
    if data.get("exercises") is not None:
        spec["exercises"] = _parse_exercises(check, data["exercises"])
    if data.get("flashcards") is not None:
        section = check.mapping(data["flashcards"], "flashcards", FLASHCARDS_KEYS)
        cards = []
        for i, raw in enumerate(check.items_list(section["cards"], "flashcards.cards")):
            path = f"flashcards.cards[{i}]"
            check.mapping(raw, path, CARD_KEYS)
            cards.append(
                {"front": check.text(raw["front"], f"{path}.front"), "back": check.text(raw["back"], f"{path}.back")}
            )
        spec["flashcards"] = {
            "intro": check.text(section.get("intro"), "flashcards.intro", required=False),
            "cards": cards,
        }
    exercises = spec["exercises"] or {}
    if not (spec["self_check"] or exercises.get("ordering") or exercises.get("prediction") or spec["flashcards"]):
        check.fail("self_check", "at least one of self_check, exercises.ordering, exercises.prediction, flashcards")
    return spec


def _parse_exercises(check, raw):
    section = check.mapping(raw, "exercises", EXERCISES_KEYS)
    spec = {
        "title": check.text(section.get("title"), "exercises.title", required=False, max_length=300),
        "intro": check.text(section.get("intro"), "exercises.intro", required=False),
        "side_effects": check.text(section.get("side_effects"), "exercises.side_effects", required=False),
        "ordering": [],
        "prediction": [],
    }
    for i, item in enumerate(
        check.items_list(section["ordering"], "exercises.ordering") if "ordering" in section else []
    ):
        path = f"exercises.ordering[{i}]"
        check.mapping(item, path, ORDERING_KEYS)
        items = item["items"]
        if not isinstance(items, dict) or len(items) < 2:
            check.fail(f"{path}.items", "a mapping of at least two labels to stage texts (a: ..., b: ...)")
        labels = []
        texts = []
        for label, text in items.items():
            label = check.text(label, f"{path}.items", max_length=10)
            labels.append(label)
            texts.append(check.text(text, f"{path}.items.{label}"))
        answer = item["answer"]
        if not isinstance(answer, list):
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
                "title": check.text(item["title"], f"{path}.title", max_length=300),
                "prompt": check.text(item["prompt"], f"{path}.prompt"),
                "items": list(zip(labels, texts, strict=True)),
                "answer": answer,
                "explanation": check.text(item.get("explanation"), f"{path}.explanation", required=False),
            }
        )
    for i, item in enumerate(
        check.items_list(section["prediction"], "exercises.prediction") if "prediction" in section else []
    ):
        path = f"exercises.prediction[{i}]"
        check.mapping(item, path, PREDICTION_KEYS)
        rubric = check.items_list(item["rubric"], f"{path}.rubric")
        spec["prediction"].append(
            {
                "title": check.text(item["title"], f"{path}.title", max_length=300),
                "prompt": check.text(item["prompt"], f"{path}.prompt"),
                "model_answer": check.text(item["model_answer"], f"{path}.model_answer"),
                "rubric": [check.text(point, f"{path}.rubric[{j}]", max_length=500) for j, point in enumerate(rubric)],
                "rubric_note": check.text(item.get("rubric_note"), f"{path}.rubric_note", required=False),
            }
        )
    return spec


def _duplicate_labels(text, source):
    """YAML silently keeps the last of two equal keys; a lesson file must not."""

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise LessonFileError(
                    source, f"line {key_node.start_mark.line + 1}", f"each key once; {key!r} is repeated"
                )
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    with contextlib.suppress(yaml.YAMLError):  # parse() reports YAML errors with their position
        yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def parse_file(path):
    """Read and validate one lesson file."""
    source = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise LessonFileError(source, "the file", f"a readable UTF-8 file ({error})") from error
    return parse_text(text, source)


def parse_text(text, source="<lesson file>"):
    _duplicate_labels(text, source)
    return parse(text, source)


class PruneRequired(LessonFileError):
    """Applying the file would remove items that carry student data."""


def _set(obj, **values):
    """Assign changed fields; return True when something changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _student_data_count(obj):
    """How many student records hang off a content object about to be removed."""
    if isinstance(obj, SelfCheckQuestion):
        return obj.attempts.count()
    if isinstance(obj, OrderingExercise):
        return obj.attempts.count() + obj.reveals.count()
    if isinstance(obj, OrderingItem):
        return obj.exercise.attempts.count()
    if isinstance(obj, PredictionExercise):
        return obj.submissions.count() + obj.drafts.count()
    if isinstance(obj, RubricPoint):
        return obj.submissions.count()
    if isinstance(obj, Flashcard):
        return obj.states.count() + obj.review_logs.count()
    return 0


class _Sync:
    """Match existing children by position: update, create, and remove extras."""

    def __init__(self, source, prune, result):
        self.source, self.prune, self.result = source, prune, result

    def children(self, queryset, specs, build, key):
        existing = list(queryset.order_by("position") if key == "position" else queryset.order_by(key))
        for index, values in enumerate(specs):
            if index < len(existing):
                obj = existing[index]
                if _set(obj, **values):
                    obj.save()
                    self.result.changes.append(f"updated {obj._meta.verbose_name} {index + 1}")
                yield obj
            else:
                obj = build(**values)
                obj.save()
                self.result.changes.append(f"added {obj._meta.verbose_name} {index + 1}")
                yield obj
        for obj in existing[len(specs) :]:
            count = _student_data_count(obj)
            if count and not self.prune:
                raise PruneRequired(
                    self.source,
                    obj._meta.verbose_name,
                    f"removing {obj} would delete {count} student record(s); run again with --prune to allow it",
                )
            self.result.changes.append(f"removed {obj._meta.verbose_name} ({count} student records)")
            obj.delete()


def import_spec(spec, *, source="<lesson file>", prune=False):
    """Create or update one lesson from a validated spec. Call inside a transaction."""
    course = Course.objects.filter(title=spec["course"]).first()
    if course is None:
        slug = slugify(spec["course"])[:100] or "course"
        base, n = slug, 2
        while Course.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        course = Course.objects.create(title=spec["course"], slug=slug, position=Course.objects.count() + 1)
    lesson = Lesson.objects.filter(slug=spec["slug"]).first()
    created = lesson is None
    exercises = spec["exercises"] or {}
    values = {
        "course": course,
        "title": spec["title"],
        "self_check_intro": (spec["self_check"] or {}).get("intro", ""),
        "exercises_title": exercises.get("title", ""),
        "exercises_intro": exercises.get("intro", ""),
        "side_effects": exercises.get("side_effects", ""),
        "flashcards_intro": (spec["flashcards"] or {}).get("intro", ""),
    }
    if spec["position"] is not None:
        values["position"] = spec["position"]
        taken = Lesson.objects.filter(course=course, position=spec["position"]).exclude(slug=spec["slug"]).first()
        if taken:
            raise LessonFileError(
                source, "position", f"a position no other lesson of {course.title!r} has; {taken.slug!r} has it"
            )
    if created:
        if "position" not in values:
            last = Lesson.objects.filter(course=course).order_by("-position").first()
            values["position"] = last.position + 1 if last else 1
        lesson = Lesson(slug=spec["slug"], **values)
        lesson.save()
    elif _set(lesson, **values):
        lesson.save()
    result = ImportResult(lesson=lesson, created=created)
    sync = _Sync(source, prune, result)

    questions = [
        {"position": i, "question": q["question"], "answer": q["answer"]}
        for i, q in enumerate((spec["self_check"] or {}).get("questions", []), start=1)
    ]
    list(
        sync.children(lesson.questions.all(), questions, lambda **v: SelfCheckQuestion(lesson=lesson, **v), "position")
    )

    orderings = exercises.get("ordering", [])
    ordering_values = [
        {"position": i, "title": o["title"], "prompt": o["prompt"], "explanation": o["explanation"]}
        for i, o in enumerate(orderings, start=1)
    ]
    for exercise, o in zip(
        sync.children(
            lesson.ordering_exercises.all(),
            ordering_values,
            lambda **v: OrderingExercise(lesson=lesson, **v),
            "position",
        ),
        orderings,
        strict=True,
    ):
        correct = {label: index for index, label in enumerate(o["answer"], start=1)}
        item_values = [
            {"display_position": i, "label": label, "text": text, "correct_position": correct[label]}
            for i, (label, text) in enumerate(o["items"], start=1)
        ]
        list(
            sync.children(
                exercise.items.all(), item_values, partial(OrderingItem, exercise=exercise), "display_position"
            )
        )

    predictions = exercises.get("prediction", [])
    prediction_values = [
        {
            "position": i,
            "title": p["title"],
            "prompt": p["prompt"],
            "model_answer": p["model_answer"],
            "rubric_note": p["rubric_note"],
        }
        for i, p in enumerate(predictions, start=1)
    ]
    for exercise, p in zip(
        sync.children(
            lesson.predictions.all(), prediction_values, lambda **v: PredictionExercise(lesson=lesson, **v), "position"
        ),
        predictions,
        strict=True,
    ):
        points = [{"position": j, "text": text} for j, text in enumerate(p["rubric"], start=1)]
        list(sync.children(exercise.rubric_points.all(), points, partial(RubricPoint, exercise=exercise), "position"))

    cards = [
        {"position": i, "front": c["front"], "back": c["back"]}
        for i, c in enumerate((spec["flashcards"] or {}).get("cards", []), start=1)
    ]
    list(sync.children(lesson.flashcards.all(), cards, lambda **v: Flashcard(lesson=lesson, **v), "position"))
    if result.changes and not created:
        Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
    return result


def import_paths(paths, *, prune=False):
    """Validate every file first, then import them all in one transaction."""
    specs = [(str(path), parse_file(path)) for path in paths]
    slugs = {}
    for source, spec in specs:
        if spec["slug"] in slugs:
            raise LessonFileError(source, "slug", f"a slug used once per run; {slugs[spec['slug']]} has it too")
        slugs[spec["slug"]] = source
    with transaction.atomic():
        return [import_spec(spec, source=source, prune=prune) for source, spec in specs]


def export_lesson(lesson):
    """The lesson as a lesson-file mapping (the inverse of ``import_spec``)."""
    data = {"course": lesson.course.title, "slug": lesson.slug, "title": lesson.title, "position": lesson.position}
    questions = list(lesson.questions.order_by("position"))
    if questions:
        section = {}
        if lesson.self_check_intro:
            section["intro"] = lesson.self_check_intro
        section["questions"] = [{"question": q.question, "answer": q.answer} for q in questions]
        data["self_check"] = section
    orderings = list(lesson.ordering_exercises.order_by("position").prefetch_related("items"))
    predictions = list(lesson.predictions.order_by("position").prefetch_related("rubric_points"))
    exercises = {}
    for name in ("title", "intro", "side_effects"):
        value = getattr(
            lesson, "exercises_title" if name == "title" else ("exercises_intro" if name == "intro" else name)
        )
        if value:
            exercises[name] = value
    if orderings:
        exercises["ordering"] = []
        for o in orderings:
            entry = {
                "title": o.title,
                "prompt": o.prompt,
                "items": {item.label: item.text for item in o.display_items()},
                "answer": FlowList(o.correct_labels()),
            }
            if o.explanation:
                entry["explanation"] = o.explanation
            exercises["ordering"].append(entry)
    if predictions:
        exercises["prediction"] = []
        for p in predictions:
            entry = {
                "title": p.title,
                "prompt": p.prompt,
                "model_answer": p.model_answer,
                "rubric": [point.text for point in p.rubric_points.all()],
            }
            if p.rubric_note:
                entry["rubric_note"] = p.rubric_note
            exercises["prediction"].append(entry)
    if orderings or predictions:
        data["exercises"] = exercises
    cards = list(lesson.flashcards.order_by("position"))
    if cards:
        section = {}
        if lesson.flashcards_intro:
            section["intro"] = lesson.flashcards_intro
        section["cards"] = [{"front": c.front, "back": c.back} for c in cards]
        data["flashcards"] = section
    return data


class FlowList(list):
    """A short list written on one line: ``answer: [b, d, c, f, a, e]``."""


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
