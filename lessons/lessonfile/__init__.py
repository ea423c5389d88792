"""The lesson file of DESIGN.md: ``parse`` (a hardened reader and the contract's checks), ``sync``
(match by stable id, plan, apply in bulk) and ``export`` (the same format back, ids included).

``import_paths`` is what ``manage.py import_lessons`` runs: every file is read
and checked first, then planned and applied in one transaction.
"""

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from .errors import LessonFileError
from .export import dump, export_lesson, missing_ids, with_ids
from .parse import parse_file, parse_text
from .sync import LessonPlan, apply_plan, plan_lesson

__all__ = [
    "FileOutcome",
    "LessonFileError",
    "LessonPlan",
    "apply_plan",
    "check_deferred_constraints",
    "dump",
    "export_lesson",
    "import_paths",
    "import_spec",
    "missing_ids",
    "parse_file",
    "parse_text",
    "plan_lesson",
    "with_ids",
]


@dataclass
class FileOutcome:
    source: str
    plan: LessonPlan | None = None
    error: LessonFileError | None = None
    skipped: str = ""  # why the file was not applied (an existing lesson under --new-only)

    @property
    def lesson(self):
        return self.plan.lesson

    @property
    def created(self):
        return self.plan.created

    @property
    def changes(self):
        return self.plan.changes


def check_deferred_constraints():
    """Postgres checks DEFERRED unique constraints at commit; check them now, where the error can be reported."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _apply_checked(plan):
    try:
        with transaction.atomic():
            apply_plan(plan)
            check_deferred_constraints()
    except IntegrityError as error:
        raise LessonFileError(plan.source, "the file", f"content the database accepts ({error})") from None


def import_spec(spec, *, source="<lesson file>"):
    """Plan and apply one parsed lesson file; return the plan (its ``lesson`` is saved). Call inside a transaction."""
    plan = plan_lesson(spec, source=source)
    apply_plan(plan)
    return plan


def import_paths(paths, *, dry_run=False, new_only=False, each=False, locations=None):
    """Check every file, then plan and (unless ``dry_run``) apply each; return a FileOutcome per file.

    All or nothing by default: the first bad file raises LessonFileError and nothing is written.
    ``each=True`` gives each file its own transaction and reports a bad file in its outcome instead.
    ``new_only=True`` creates lessons that do not exist yet and leaves existing ones as they are.
    ``locations`` (a dict) is filled with each file's parse locations, for ``--write-ids``.
    """
    outcomes = []
    slugs = {}
    for path in paths:
        source = str(path)
        try:
            where = {} if locations is not None else None
            spec = parse_file(path, locations=where, **({"loader": _python_loader()} if where is not None else {}))
            if spec["slug"] in slugs:
                raise LessonFileError(source, "slug", f"a slug used once per run; {slugs[spec['slug']]} has it too")
            slugs[spec["slug"]] = source
            if where is not None:
                locations[source] = (where, missing_ids(spec))
        except LessonFileError as error:
            if not each:
                raise
            outcomes.append(FileOutcome(source, error=error))
            continue
        outcomes.append(FileOutcome(source, plan=spec))
    with transaction.atomic():
        for outcome in outcomes:
            if outcome.error:
                continue
            spec, outcome.plan = outcome.plan, None
            try:
                outcome.plan = plan_lesson(spec, source=outcome.source)
                if new_only and not outcome.plan.created:
                    outcome.skipped = "exists; not updated (run import_lessons on the file to update it)"
                elif not dry_run:
                    if each:
                        _apply_checked(outcome.plan)
                    else:
                        apply_plan(outcome.plan)
            except LessonFileError as error:
                if not each:
                    raise
                outcome.error = error
        if not each and not dry_run:
            try:
                check_deferred_constraints()
            except IntegrityError as error:
                raise LessonFileError("the run", "the files", f"content the database accepts ({error})") from None
        if dry_run:
            transaction.set_rollback(True)
    return outcomes


def _python_loader():
    import yaml

    return yaml.SafeLoader  # its marks count characters, which --write-ids edits by
