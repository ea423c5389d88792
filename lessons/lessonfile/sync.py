"""Match a lesson file's spec against the database by stable id, plan the changes, and apply exactly that plan.

Matching, for each kind of item under its parent (the lesson, or an exercise
for stages and rubric points):

1. an item with an ``id:`` is the row with that id (a row archived earlier is
   restored); an id no row has is a new item that keeps that id;
2. an item without one is the first unmatched row with exactly the same text
   (question, title, stage text, rubric text, card front), then a new item;
3. a live row nothing matched is removed: archived when students have records
   on it (they are kept), deleted when nobody used it.

Position never decides identity: moving an item changes only its position.
``plan_lesson`` reads (a fixed number of queries) and writes nothing;
``apply_plan`` writes the plan with bulk statements, so a 10,000-card file
takes a handful of queries, not one per card.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from lessons import grading
from lessons.models import (
    Course,
    Flashcard,
    Lesson,
    OrderingAttempt,
    OrderingExercise,
    OrderingItem,
    PredictionExercise,
    RubricPoint,
    SelfCheckQuestion,
)
from lessons.models.content import ARCHIVED_POSITION_BASE, new_uid
from lessons.models.records import ITEM_RECORDS

from .errors import LessonFileError


@dataclass(frozen=True)
class Kind:
    name: str  # as the plan says it
    model: type
    prefix: str  # of generated ids
    fields: tuple  # compared and written
    match_on: str  # the text an item without an id is matched by


QUESTION = Kind("question", SelfCheckQuestion, "q", ("question", "answer"), "question")
ORDERING = Kind("ordering exercise", OrderingExercise, "o", ("title", "prompt", "explanation"), "title")
STAGE = Kind("stage", OrderingItem, "s", ("label", "text"), "text")
PREDICTION = Kind("prediction", PredictionExercise, "p", ("title", "prompt", "model_answer", "rubric_note"), "title")
RUBRIC = Kind("rubric point", RubricPoint, "r", ("text",), "text")
CARD = Kind("flashcard", Flashcard, "c", ("front", "back"), "front")

# Who has records on an item of each kind.
USAGE = {kind: ITEM_RECORDS[kind.model] for kind in (QUESTION, ORDERING, PREDICTION, RUBRIC, CARD)}


@dataclass
class Change:
    """One line of the plan: what happens to one item, and how many students' records it touches."""

    kind: str
    action: str  # added, changed, moved, restored, archived, deleted
    uid: str
    name: str
    fields: list = field(default_factory=list)  # (field, old, new) for "changed"
    students: int = 0
    parent: str = ""

    def key(self):
        return (self.kind, self.action, self.uid, self.name, tuple(self.fields), self.students, self.parent)


@dataclass
class LessonPlan:
    """What importing one file would do to one lesson; ``apply_plan`` writes exactly this."""

    source: str
    spec: dict
    lesson: Lesson | None
    course: Course | None
    created: bool
    lesson_fields: list = field(default_factory=list)  # (field, old, new)
    changes: list = field(default_factory=list)
    # internal: the writes
    creates: dict = field(default_factory=dict)  # Kind -> [row]
    updates: dict = field(default_factory=dict)  # Kind -> {row.pk: (row, set(fields))}
    deletes: dict = field(default_factory=dict)  # Kind -> [pk]
    relabels: dict = field(default_factory=dict)  # exercise -> {old label: new label}
    children: list = field(default_factory=list)  # (parent row, Kind, [(spec, row)]) for new parents

    @property
    def slug(self):
        return self.spec["slug"]

    @property
    def has_changes(self):
        return self.created or bool(self.lesson_fields or self.changes)

    def count(self, action):
        return sum(1 for change in self.changes if change.action == action)

    def summary(self):
        """ "3 added, 1 changed, ..." or "unchanged"."""
        if self.created:
            return f"new lesson ({self.count('added')} items)"
        parts = [f"{self.count(a)} {a}" for a in ("added", "changed", "moved", "restored", "archived", "deleted")]
        parts = [part for part in parts if not part.startswith("0 ")]
        if self.lesson_fields:
            parts.insert(0, "lesson details changed")
        return ", ".join(parts) or "unchanged"

    def fingerprint(self):
        """A digest of the plan as shown: Apply refuses if the plan it would write is not this one."""
        text = repr((self.slug, self.created, self.lesson_fields, [change.key() for change in self.changes]))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _short(text, limit=80):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Planner:
    def __init__(self, plan, taken):
        self.plan = plan
        self.taken = taken  # every id in the lesson (rows and file), so a generated one is new
        self.now = timezone.now()

    def fresh_uid(self, kind):
        while True:
            uid = new_uid(kind.prefix)
            if uid not in self.taken:
                self.taken.add(uid)
                return uid

    def match(self, kind, rows, specs):
        """Pair each spec with its row (or None) and give every spec its id; return (pairs, unmatched rows).

        An id the database does not know (a file written for another site, or before the rows had these ids)
        falls back to exact text like an item without one, and the row takes the file's id.
        """
        by_uid = {row.uid: row for row in rows}
        pairs = [None] * len(specs)
        for index, spec in enumerate(specs):
            if spec.get("id") is not None and spec["id"] in by_uid:
                pairs[index] = (spec, by_uid.pop(spec["id"]))
        by_text = {}
        # Live rows first, in their order, so a hand-written file re-imported finds the item students see.
        for row in sorted(by_uid.values(), key=lambda r: (r.archived_at is not None, _position(kind, r))):
            by_text.setdefault(getattr(row, kind.match_on), []).append(row)
        for index, spec in enumerate(specs):
            if pairs[index] is not None:
                continue
            candidates = by_text.get(spec[kind.match_on])
            row = candidates.pop(0) if candidates else None
            if row is not None:
                del by_uid[row.uid]
                if spec.get("id") is None:
                    spec["id"] = row.uid
            elif spec.get("id") is None:
                spec["id"] = self.fresh_uid(kind)
            pairs[index] = (spec, row)
        return pairs, list(by_uid.values())

    def plan_kind(self, kind, rows, specs, values_of, usage, *, parent=None, parent_name=""):
        """Plan one kind of item under one parent; return the (spec, row) pairs in file order."""
        plan = self.plan
        pairs, unmatched = self.match(kind, rows, specs)
        kept = [row for _spec, row in pairs if row is not None and row.archived_at is None]
        kept_old_order = [row.pk for row in sorted(kept, key=_order_key(kind))]
        kept_new_order = [row.pk for row in kept]
        in_place = set(grading.longest_ordered_run(kept_new_order, kept_old_order)) if kept_new_order else set()
        for index, (spec, row) in enumerate(pairs):
            values = values_of(spec, index)
            if row is not None and row.uid != spec["id"]:
                values["uid"] = spec["id"]  # the file's id, adopted by the row its text matched
            if row is None:
                row = kind.model(**{"uid": spec["id"], **values}, **({kind_parent(kind): parent} if parent else {}))
                plan.creates.setdefault(kind, []).append(row)
                pairs[index] = (spec, row)
                plan.changes.append(
                    Change(kind.name, "added", spec["id"], _short(spec[kind.match_on]), parent=parent_name)
                )
                continue
            changed = [
                (name, getattr(row, name), value) for name, value in values.items() if getattr(row, name) != value
            ]
            shown = [(name, old, new) for name, old, new in changed if name in kind.fields]
            if row.archived_at is not None:
                plan.changes.append(
                    Change(
                        kind.name,
                        "restored",
                        row.uid,
                        _short(spec[kind.match_on]),
                        shown,
                        usage.get(row.pk, 0),
                        parent_name,
                    )
                )
                changed.append(("archived_at", row.archived_at, None))
            else:
                if shown:
                    plan.changes.append(
                        Change(
                            kind.name,
                            "changed",
                            row.uid,
                            _short(spec[kind.match_on]),
                            shown,
                            usage.get(row.pk, 0),
                            parent_name,
                        )
                    )
                if row.pk not in in_place:
                    plan.changes.append(
                        Change(kind.name, "moved", row.uid, _short(spec[kind.match_on]), parent=parent_name)
                    )
            if changed:
                for name, _old, new in changed:
                    setattr(row, name, new)
                plan.updates.setdefault(kind, {})[row.pk] = (row, {name for name, _o, _n in changed})
            pairs[index] = (spec, row)
        slot = 0
        for row in sorted(unmatched, key=_order_key(kind)):
            if row.archived_at is not None:
                # Stays archived, moved after the live rows' new places.
                slot += 1
                if _position(kind, row) != ARCHIVED_POSITION_BASE + slot:
                    row.archive_fields(now=row.archived_at, slot=slot)
                    plan.updates.setdefault(kind, {})[row.pk] = (row, {"archived_at", *row.POSITION_FIELDS})
                continue
            students = usage.get(row.pk, 0)
            name = _short(getattr(row, kind.match_on))
            if students:
                slot += 1
                row.archive_fields(now=self.now, slot=slot)
                plan.updates.setdefault(kind, {})[row.pk] = (row, {"archived_at", *row.POSITION_FIELDS})
                plan.changes.append(Change(kind.name, "archived", row.uid, name, students=students, parent=parent_name))
            else:
                plan.deletes.setdefault(kind, []).append(row.pk)
                plan.changes.append(Change(kind.name, "deleted", row.uid, name, parent=parent_name))
        return pairs


def kind_parent(kind):
    return "exercise" if kind in (STAGE, RUBRIC) else "lesson"


def _position(kind, row):
    return row.display_position if kind is STAGE else row.position


def _order_key(kind):
    return lambda row: (_position(kind, row), row.pk or 0)


def _usage(kind, lesson):
    """Distinct students with records on each of the lesson's items of a kind: {pk: count}.

    One query per record type, joined to the lesson in the database (not a list of 10,000 item ids).
    """
    students = {}
    for record in USAGE[kind]:
        rows = record.model.objects.filter(**{record.lesson: lesson}).values_list(record.item, record.user)
        for item, student in rows.distinct():
            students.setdefault(item, set()).add(student)
    return {pk: len(users) for pk, users in students.items()}


def _find_lesson(spec):
    """Lessons are matched by slug (a downloaded file saved under a new slug is a new lesson, not a rename).

    The lesson's own ``id:`` is kept when no other lesson has it; a copy's id, taken by its original, is
    replaced by a fresh one.
    """
    lesson = Lesson.objects.filter(slug=spec["slug"]).first()
    if spec["id"] is not None:
        owner = Lesson.objects.filter(uid=spec["id"]).exclude(slug=spec["slug"]).values_list("slug", flat=True).first()
        if owner is not None:
            spec["id"] = None
    return lesson


def plan_lesson(spec, *, source="<lesson file>"):
    """What importing ``spec`` would do; reads only (about a dozen queries, whatever the lesson's size)."""
    lesson = _find_lesson(spec)
    course = Course.objects.filter(title=spec["course"]).first()
    plan = LessonPlan(source=source, spec=spec, lesson=lesson, course=course, created=lesson is None)
    exercises = spec["exercises"] or {}
    lesson_values = {
        "title": spec["title"],
        "self_check_intro": (spec["self_check"] or {}).get("intro", ""),
        "exercises_title": exercises.get("title", ""),
        "exercises_intro": exercises.get("intro", ""),
        "side_effects": exercises.get("side_effects", ""),
        "flashcards_intro": (spec["flashcards"] or {}).get("intro", ""),
    }
    if spec["position"] is not None:
        lesson_values["position"] = spec["position"]
        taken = Lesson.objects.filter(course__title=spec["course"], position=spec["position"])
        if lesson is not None:
            taken = taken.exclude(pk=lesson.pk)
        taken = taken.first()
        if taken:
            raise LessonFileError(
                source, "position", f"a position no other lesson of {spec['course']!r} has; {taken.slug!r} has it"
            )
    if spec["id"] is not None:
        lesson_values["uid"] = spec["id"]
    if lesson is not None:
        if lesson.course.title != spec["course"]:
            plan.lesson_fields.append(("course", lesson.course.title, spec["course"]))
        plan.lesson_fields += [
            (name, getattr(lesson, name), value)
            for name, value in lesson_values.items()
            if getattr(lesson, name) != value
        ]
        rows = {
            QUESTION: list(lesson.questions.all()),
            ORDERING: list(lesson.ordering_exercises.all()),
            PREDICTION: list(lesson.predictions.all()),
            CARD: list(lesson.flashcards.all()),
        }
        stages = list(OrderingItem.objects.filter(exercise__lesson=lesson))
        points = list(RubricPoint.objects.filter(exercise__lesson=lesson))
    else:
        rows = {QUESTION: [], ORDERING: [], PREDICTION: [], CARD: []}
        stages, points = [], []
    plan.lesson_values = lesson_values
    taken = {row.uid for kind_rows in rows.values() for row in kind_rows}
    taken |= {row.uid for row in stages} | {row.uid for row in points}
    taken |= set(_file_ids(spec))
    planner = _Planner(plan, taken)

    # Usage is counted for every existing item: it decides archive or delete, and it is the plan's "students".
    kinds = (QUESTION, ORDERING, PREDICTION, CARD, RUBRIC)
    usage = {kind: _usage(kind, lesson) if lesson is not None else {} for kind in kinds}

    questions = (spec["self_check"] or {}).get("questions", [])
    planner.plan_kind(
        QUESTION,
        rows[QUESTION],
        questions,
        lambda s, i: {"position": i + 1, "question": s["question"], "answer": s["answer"]},
        usage[QUESTION],
    )

    orderings = exercises.get("ordering", [])
    pairs = planner.plan_kind(
        ORDERING,
        rows[ORDERING],
        orderings,
        lambda s, i: {"position": i + 1, "title": s["title"], "prompt": s["prompt"], "explanation": s["explanation"]},
        usage[ORDERING],
    )
    stages_of = {}
    for stage in stages:
        stages_of.setdefault(stage.exercise_id, []).append(stage)
    for spec_o, exercise in pairs:
        correct = {label: index for index, label in enumerate(spec_o["answer"], start=1)}
        existing = stages_of.get(exercise.pk, []) if exercise.pk else []
        attempters = usage[ORDERING].get(exercise.pk, 0) if exercise.pk else 0
        stage_usage = {row.pk: attempters for row in existing}
        live = sorted((row for row in existing if row.archived_at is None), key=lambda row: row.correct_position)
        before = [row.label for row in live]
        for row in existing:
            row._original_label = row.label
        stage_pairs = planner.plan_kind(
            STAGE,
            existing,
            spec_o["items"],
            lambda s, i, correct=correct: {
                "display_position": i + 1,
                "correct_position": correct[s["label"]],
                "label": s["label"],
                "text": s["text"],
            },
            stage_usage,
            parent=exercise,
            parent_name=spec_o["title"],
        )
        _plan_labels(plan, exercise, existing, stage_pairs)
        if exercise.pk and before and before != _new_answer(stage_pairs, spec_o, before):
            plan.changes.append(
                Change(
                    ORDERING.name,
                    "changed",
                    exercise.uid,
                    _short(spec_o["title"]),
                    [("answer", " ".join(before), " ".join(spec_o["answer"]))],
                    attempters,
                )
            )
        if not exercise.pk:
            plan.children.append((exercise, STAGE, stage_pairs))

    predictions = exercises.get("prediction", [])
    pairs = planner.plan_kind(
        PREDICTION,
        rows[PREDICTION],
        predictions,
        lambda s, i: {
            "position": i + 1,
            "title": s["title"],
            "prompt": s["prompt"],
            "model_answer": s["model_answer"],
            "rubric_note": s["rubric_note"],
        },
        usage[PREDICTION],
    )
    points_of = {}
    for point in points:
        points_of.setdefault(point.exercise_id, []).append(point)
    for spec_p, exercise in pairs:
        point_pairs = planner.plan_kind(
            RUBRIC,
            points_of.get(exercise.pk, []) if exercise.pk else [],
            spec_p["rubric"],
            lambda s, i: {"position": i + 1, "text": s["text"]},
            usage[RUBRIC],
            parent=exercise,
            parent_name=spec_p["title"],
        )
        if not exercise.pk:
            plan.children.append((exercise, RUBRIC, point_pairs))

    cards = (spec["flashcards"] or {}).get("cards", [])
    planner.plan_kind(
        CARD, rows[CARD], cards, lambda s, i: {"position": i + 1, "front": s["front"], "back": s["back"]}, usage[CARD]
    )
    if plan.created:
        plan.changes = [change for change in plan.changes if change.action == "added"]
    return plan


def _new_answer(stage_pairs, spec_o, before):
    """The answer as the students' attempts will read it after label changes (a relabel alone is no change)."""
    by_new_label = {spec["label"]: row for spec, row in stage_pairs}
    old_labels = []
    for label in spec_o["answer"]:
        row = by_new_label[label]
        old_labels.append(row._old_label if getattr(row, "_old_label", None) else label)
    return old_labels


def _plan_labels(plan, exercise, existing, stage_pairs):
    """Stages whose label changed: rewrite the exercise's attempts to the new labels; keep archived labels apart."""
    mapping = {}
    for spec, row in stage_pairs:
        old_label = getattr(row, "_original_label", None)
        if old_label is not None and old_label != spec["label"]:
            mapping[old_label] = spec["label"]
            row._old_label = old_label
    if mapping and exercise.pk:
        plan.relabels[exercise.pk] = mapping
    live_labels = {spec["label"] for spec, _row in stage_pairs}
    used = set(live_labels)
    for row in existing:
        if row.archived_at is not None:
            if row.label in used:
                n = 1
                while f"{row.label[:7]}~{n}" in used:
                    n += 1
                row.label = f"{row.label[:7]}~{n}"
                entry = plan.updates.setdefault(STAGE, {}).setdefault(row.pk, (row, set()))
                entry[1].add("label")
            used.add(row.label)


def _file_ids(spec):
    for question in (spec["self_check"] or {}).get("questions", []):
        yield question.get("id")
    exercises = spec["exercises"] or {}
    for exercise in exercises.get("ordering", []):
        yield exercise.get("id")
        for stage in exercise["items"]:
            yield stage.get("id")
    for exercise in exercises.get("prediction", []):
        yield exercise.get("id")
        for point in exercise["rubric"]:
            yield point.get("id")
    for card in (spec["flashcards"] or {}).get("cards", []):
        yield card.get("id")


# ---------------------------------------------------------------- applying


def apply_plan(plan):
    """Write the plan. Call inside a transaction (the caller checks deferred constraints before commit)."""
    spec = plan.spec
    course = plan.course
    if course is None:
        slug = slugify(spec["course"])[:100] or "course"
        base, n = slug, 2
        while Course.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        course = Course.objects.create(title=spec["course"], slug=slug, position=Course.objects.count() + 1)
    values = dict(plan.lesson_values, course=course, slug=spec["slug"])
    lesson = plan.lesson
    if lesson is None:
        if "position" not in values:
            last = Lesson.objects.filter(course=course).order_by("-position").first()
            values["position"] = last.position + 1 if last else 1
        lesson = Lesson.objects.create(**values)
        plan.lesson = lesson
    elif plan.lesson_fields:
        for name, value in values.items():
            setattr(lesson, name, value)
        lesson.save()
    for kind in (QUESTION, ORDERING, PREDICTION, CARD):
        for row in plan.creates.get(kind, []):
            row.lesson = lesson
    for kind in (QUESTION, ORDERING, PREDICTION, CARD):
        if plan.creates.get(kind):
            kind.model.objects.bulk_create(plan.creates[kind])
    for parent, _kind, pairs in plan.children:
        for _spec, row in pairs:
            row.exercise = parent  # now saved, with its pk
    for kind in (STAGE, RUBRIC):
        if plan.creates.get(kind):
            for row in plan.creates[kind]:
                row.exercise_id = row.exercise.pk
            kind.model.objects.bulk_create(plan.creates[kind])
    for kind, updates in plan.updates.items():
        by_fields = {}
        for row, names in updates.values():
            by_fields.setdefault(tuple(sorted(names)), []).append(row)
        for names, rows in by_fields.items():
            bulk_set(kind.model, rows, list(names))
    for kind in (STAGE, RUBRIC, QUESTION, ORDERING, PREDICTION, CARD):
        if plan.deletes.get(kind):
            kind.model.objects.filter(pk__in=plan.deletes[kind]).delete()
    if plan.relabels:
        attempts = list(
            OrderingAttempt.objects.filter(exercise__in=list(plan.relabels)).only("pk", "exercise", "order")
        )
        for attempt in attempts:
            mapping = plan.relabels[attempt.exercise_id]
            attempt.order = [mapping.get(label, label) for label in attempt.order]
        bulk_set(OrderingAttempt, attempts, ["order"])
    if plan.has_changes:
        Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
        # Bulk writes send no signals: items added, archived, restored or deleted change the totals.
        from lessons.services.progress import lesson_progress_refresh  # services import this module

        lesson_progress_refresh(lesson=lesson)
    return lesson


def bulk_set(model, rows, fields):
    """UPDATE many rows, each with its own values, in one statement per 10,000 rows.

    Django's ``bulk_update`` writes a CASE with one branch per row, which Postgres
    evaluates row by row: quadratic for a 10,000-card lesson. ``UPDATE ... FROM
    (VALUES ...)`` is a join instead.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields, batch_size=500)
        return
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    pk = opts.pk
    placeholders = ", ".join(
        [f"%s::{pk.db_type(connection)}"] + [f"%s::{column.db_type(connection)}" for column in columns]
    )
    assignments = ", ".join(f"{qn(c.column)} = v.{qn(c.column)}" for c in columns)
    names = ", ".join([qn("pk__")] + [qn(c.column) for c in columns])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            chunk = rows[start : start + 10_000]
            params = []
            for row in chunk:
                params.append(row.pk)
                params.extend(column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns)
            values = ", ".join([f"({placeholders})"] * len(chunk))
            cursor.execute(
                f"UPDATE {qn(opts.db_table)} AS t SET {assignments} FROM (VALUES {values}) AS v({names}) "  # noqa: S608 - names from the model, values as parameters
                f"WHERE t.{qn(pk.column)} = v.{qn('pk__')}",
                params,
            )


def describe(plan):
    """The plan as lines of text, for ``import_lessons --dry-run`` (the admin shows the same as a table)."""
    lines = [f"{plan.slug}: {plan.summary()}"]
    for name, old, new in plan.lesson_fields:
        lines.append(f"  lesson {name}: {_short(old)!r} -> {_short(new)!r}")
    if plan.created:
        return lines
    for change in plan.changes:
        where = f" in {_short(change.parent, 40)!r}" if change.parent else ""
        students = (
            f" ({change.students} student{'s' if change.students != 1 else ''}' records)" if change.students else ""
        )
        lines.append(f"  {change.action} {change.kind} {change.uid}{where}: {change.name!r}{students}")
        for name, old, new in change.fields:
            lines.append(f"      {name}: {_short(old)!r} -> {_short(new)!r}")
    return lines
