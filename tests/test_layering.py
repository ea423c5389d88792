"""The code's layout holds: no view builds state for another view, no import cycles, a GET never writes."""

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from tests import factory
from tests.test_permissions_matrix import MATRIX, ROLES, case_url, client_for, make_world, request, site_url_names

ROOT = Path(__file__).resolve().parent.parent
VIEW_HELPERS = {"lessons.views.htmx"}  # the one helper module views share (fragment or page, alerts, CSV)
WRITES = ("INSERT", "UPDATE", "DELETE")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Modules ``path`` imports anywhere in its body (function-local imports too), resolved to absolute names."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if node.module:  # ``from . import module`` imports the module, not its package's other modules
                found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # ``from pkg import module``
    return found


def graph(package: str) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle (as a path that returns to its start), found by depth-first search."""
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return found


def test_no_view_module_imports_another_view_module():
    views = {name: deps for name, deps in graph("lessons").items() if name.startswith("lessons.views.")}
    crossings = {
        name: sorted(d for d in deps if d.startswith("lessons.views.") and d not in VIEW_HELPERS)
        for name, deps in views.items()
    }
    assert {name: deps for name, deps in crossings.items() if deps} == {}
    assert len(views) >= 10  # the check looked at the view modules


def test_the_admin_imports_no_view():
    admin = {name: deps for name, deps in graph("lessons").items() if name.startswith("lessons.admin")}
    assert {name: sorted(d for d in deps if d.startswith("lessons.views")) for name, deps in admin.items()} == {
        name: [] for name in admin
    }


@pytest.mark.parametrize("package", ["lessons", "bench"])
def test_no_import_cycles(package):
    assert cycles(graph(package)) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The permission matrix's world, built once for the module; each test's writes are rolled back."""
    with factory.kept_for_module(django_db_blocker):
        with django_db_blocker.unblock():
            built = make_world()
        yield built


@pytest.mark.parametrize("role", ROLES)
def test_a_get_writes_no_row(role, world, db):
    """Every page of the site, for every role, as the permission matrix requests it: no INSERT, UPDATE or DELETE."""
    writes, pages = [], 0
    for name in sorted(site_url_names()):
        for case in MATRIX.get(name, []):
            if case.method != "GET":
                continue
            client = client_for(role, world)
            with transaction.atomic(), CaptureQueriesContext(transaction.get_connection()) as queries:
                response = request(client, case, case_url(name, case, world), world)
                if response.streaming:
                    b"".join(response)
                transaction.set_rollback(True)
            pages += 1
            writes += [f"{name}: {q['sql'][:120]}" for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert pages >= 15
    assert writes == []
