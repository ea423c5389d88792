"""Hostile lesson files (issue 13): each is refused within a second, with a message naming the file and the
key, no traceback, and the database unchanged; through the command line and through the admin upload."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from lessons.lessonfile import dump, export_lesson
from lessons.models import Flashcard, Lesson

pytestmark = pytest.mark.django_db

BASE = """\
course: Tiny course
slug: tiny
title: Tiny
self_check:
  questions:
    - question: "Q1?"
      answer: "A1."
exercises:
  ordering:
    - title: Order
      prompt: Put them in order.
      items:
        x: First shown
        y: Second shown
      answer: [y, x]
  prediction:
    - title: Predict
      prompt: What happens?
      model_answer: This.
      rubric:
        - one point
flashcards:
  cards:
    - front: F1
      back: B1
"""

# The "billion laughs": nine levels of ten aliases, 3.6 KB that a plain YAML loader expands to 10^9 items.
LAUGHS = "".join(f"    - &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" if i else '    - &l0 ["lol"]\n' for i in range(9))


def bomb_at(old, new_key_line, indent):
    """BASE with an alias bomb placed as the value of ``new_key_line`` (a key that takes a list or mapping)."""
    bomb = "\n".join(" " * indent + line.strip() for line in LAUGHS.splitlines())
    return BASE.replace(old, f"{new_key_line}\n{bomb}\n", 1)


# A bomb in every place a list or mapping is accepted (and as a scalar's alias).
BOMBS = {
    "top": ("course: Tiny course\n", "laughs:", 2),
    "self_check": ("  questions:\n", "  questions:", 4),
    "question": ('    - question: "Q1?"\n', "    - question:", 8),
    "exercises": ("  ordering:\n", "  ordering:", 4),
    "ordering answer": ("      answer: [y, x]\n", "      answer:", 8),
    "ordering items": ("      items:\n        x: First shown\n        y: Second shown\n", "      items:", 8),
    "rubric": ("      rubric:\n        - one point\n", "      rubric:", 8),
    "cards": ("  cards:\n", "  cards:", 4),
}

DEEP = "course: C\nslug: s\ntitle: T\nflashcards: " + "[" * 20_000 + "]" * 20_000 + "\n"
HOSTILE = {
    **{f"alias bomb in {name}": (bomb_at(*args), "no YAML anchors") for name, args in BOMBS.items()},
    "alias of a scalar": (BASE.replace("title: Tiny", "title: &t Tiny\nposition: *t"), "no YAML anchors"),
    "merge key": (BASE.replace("title: Tiny", "title: Tiny\n<<: {x: 1}"), "unknown key"),
    "20,000-deep nesting": (DEEP, "at most 12 levels of nesting"),
    "complex key": (BASE.replace("title: Tiny", "title: Tiny\n? [a, b]\n: c"), "a plain key"),
    "position past a 32-bit integer": (BASE.replace("title: Tiny", "title: Tiny\nposition: 2147483648"), "from 0 to"),
    "5,000-digit position": (BASE.replace("title: Tiny", "title: Tiny\nposition: " + "9" * 5000), "from 0 to"),
    "negative position": (BASE.replace("title: Tiny", "title: Tiny\nposition: -1"), "from 0 to"),
    "NUL in a text": (BASE.replace('answer: "A1."', 'answer: "A\\0B"'), "without NUL characters"),
    "python tag": (BASE.replace("title: Tiny", "title: !!python/object/apply:os.system ['true']"), "no YAML tags"),
    "two documents": (BASE + "---\n" + BASE, "one YAML document"),
    "duplicate key": (BASE.replace("title: Tiny", "title: Tiny\ntitle: Again"), "'title' is repeated"),
    "bad id": (BASE.replace('    - question: "Q1?"', '    - id: "has space"\n      question: "Q1?"'), "a short id"),
    "repeated id": (
        BASE.replace('    - question: "Q1?"', '    - id: same\n      question: "Q1?"').replace(
            "    - front: F1", "    - id: same\n      front: F1"
        ),
        "each id once",
    ),
}
# Where each refusal must point (the key, or the place in the file).
WHERE = {
    "alias bomb in top": "laughs",
    "alias bomb in ordering answer": "exercises.ordering[0].answer",
    "alias bomb in rubric": "exercises.prediction[0].rubric",
    "alias bomb in cards": "flashcards.cards",
    "20,000-deep nesting": "line 4",  # libyaml stops scanning before the key is known
    "position past a 32-bit integer": "position",
    "5,000-digit position": "position",
    "NUL in a text": "self_check.questions[0].answer",
    "repeated id": "flashcards.cards[0].id",
}


@pytest.fixture
def existing(db):
    """A lesson already there, so "unchanged" is checked on real rows."""
    path_text = BASE.replace("slug: tiny", "slug: other").replace("course: Tiny course", "course: Other")
    from lessons.lessonfile import import_spec, parse_text

    import_spec(parse_text(path_text))
    return dump(export_lesson(Lesson.objects.get(slug="other")))


def snapshot():
    return (
        list(Lesson.objects.values_list("pk", "slug", "title", "updated_at")),
        list(Flashcard.objects.values_list("pk", "front", "position")),
    )


@pytest.mark.parametrize("name", list(HOSTILE))
def test_command_refuses_a_hostile_file_fast_and_changes_nothing(existing, tmp_path, name):
    text, expected = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    before = snapshot()
    started = time.perf_counter()
    with pytest.raises(CommandError) as info:
        call_command("import_lessons", str(path))
    elapsed = time.perf_counter() - started
    message = str(info.value)
    assert elapsed < 1, f"{name}: {elapsed:.2f} s"
    assert str(path) in message and expected in message, message
    assert WHERE.get(name, "") in message
    assert "Traceback" not in message
    assert snapshot() == before


@pytest.mark.parametrize("name", ["alias bomb in ordering answer", "20,000-deep nesting", "5,000-digit position"])
def test_upload_refuses_a_hostile_file_fast_and_changes_nothing(existing, instructor, name):
    text, expected = HOSTILE[name]
    client = Client()
    client.force_login(instructor)
    before = snapshot()
    started = time.perf_counter()
    response = client.post(
        reverse("admin:lessons_lesson_upload"), {"lesson_file": SimpleUploadedFile("hostile.yaml", text.encode())}
    )
    assert time.perf_counter() - started < 1
    assert response.status_code == 200
    (error,) = response.context["form"].errors["lesson_file"]
    assert error.startswith("Nothing imported. hostile.yaml: ") and expected in error
    assert snapshot() == before


def test_the_size_limit_is_one_setting_for_the_command_and_the_upload(existing, instructor, tmp_path, settings):
    settings.LESSON_FILE_MAX_BYTES = 2_000
    text = BASE + "# " + "x" * 3_000 + "\n"
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=r"big.yaml: the file: a lesson file of at most 2,000 bytes"):
        call_command("import_lessons", str(path))
    client = Client()
    client.force_login(instructor)
    response = client.post(
        reverse("admin:lessons_lesson_upload"), {"lesson_file": SimpleUploadedFile("big.yaml", text.encode())}
    )
    assert response.context["form"].errors["lesson_file"] == [
        "big.yaml: the file: a lesson file of at most 2,000 bytes."
    ]
    # The confirmation form's Apply is held to the same limit.
    applied = client.post(
        reverse("admin:lessons_lesson_upload"),
        {"text": text, "source": "big.yaml", "fingerprint": "x", "apply": "Apply"},
    )
    assert applied.status_code == 200
    assert "a lesson file of at most 2,000 bytes" in applied.content.decode()
    assert not Lesson.objects.filter(slug="tiny").exists()
