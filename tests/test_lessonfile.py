"""The lesson file format: import, export, round trip, malformed files, re-import keeping progress."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lessons.lessonfile import dump, export_lesson, import_paths, parse_text
from lessons.models import Course, Flashcard, Lesson, OrderingItem, SelfCheckAttempt, SelfCheckQuestion
from tests.factory import DIFFUSION_FILE

pytestmark = pytest.mark.django_db

SMALL = """\
course: Tiny course
slug: tiny
title: Tiny
self_check:
  questions:
    - question: "Q1?"
      answer: "A1."
    - question: "Q2?"
      answer: "A2."
exercises:
  ordering:
    - title: Order
      prompt: Put them in order.
      items:
        x: First shown
        y: Second shown
        z: Third shown
      answer: [y, z, x]
flashcards:
  cards:
    - front: F1
      back: B1
"""


def write(tmp_path, text, name="lesson.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_diffusion_file_matches_the_seed_counts(diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    assert diffusion.questions.count() == 6
    exercise = diffusion.ordering_exercises.get()
    assert [item.label for item in exercise.display_items()] == list("abcdef")
    assert exercise.correct_labels() == ["b", "d", "c", "f", "a", "e"]
    prediction = diffusion.predictions.get()
    assert [p.text for p in prediction.rubric_points.all()] == [
        "slow because many steps",
        "varied because random starting static",
        "confident errors because it matches data rather than understanding",
    ]
    assert diffusion.flashcards.count() == 10


def test_the_seed_text_is_carried_word_for_word(diffusion):
    """Every self-check answer, stage, and card back in the file appears verbatim in the seed."""
    seed = DIFFUSION_FILE.parent.parent.parent.parent / "shared" / "seeds" / "diffusion-practice.txt"
    if not seed.exists():
        pytest.skip("shared/seeds is not beside this checkout")
    text = seed.read_text(encoding="utf-8")
    for question in diffusion.questions.all():
        assert question.question in text and question.answer in text
    for item in diffusion.ordering_exercises.get().items.all():
        assert f"({item.label}) {item.text}" in text
    for card in diffusion.flashcards.all():
        assert f"Q. {card.front}\n{card.back}" in text


def test_export_then_import_changes_nothing(diffusion):
    exported = dump(export_lesson(diffusion))
    assert exported == DIFFUSION_FILE.read_text(encoding="utf-8")
    before = Lesson.objects.get(pk=diffusion.pk).updated_at
    (result,) = import_paths([DIFFUSION_FILE])
    assert not result.created and result.changes == []
    assert Lesson.objects.get(pk=diffusion.pk).updated_at == before
    assert dump(export_lesson(Lesson.objects.get(pk=diffusion.pk))) == exported


def test_export_command_writes_the_file(diffusion, tmp_path, capsys):
    out = tmp_path / "out.yaml"
    call_command("export_lesson", "diffusion", "-o", str(out))
    assert out.read_text(encoding="utf-8") == DIFFUSION_FILE.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="No lesson"):
        call_command("export_lesson", "nope")


def test_import_command_accepts_folders_and_is_idempotent(capsys):
    call_command("import_lessons", str(DIFFUSION_FILE.parent))
    call_command("import_lessons", str(DIFFUSION_FILE.parent))
    assert "diffusion: created" in capsys.readouterr().out
    assert Lesson.objects.filter(slug="diffusion").count() == 1
    assert Course.objects.filter(title="Generative models").count() == 1


def test_reimport_updates_in_place_and_keeps_progress(tmp_path, student):
    import_paths([write(tmp_path, SMALL)])
    question = SelfCheckQuestion.objects.get(lesson__slug="tiny", position=1)
    SelfCheckAttempt.objects.create(user=student, question=question, revealed_at=timezone.now())
    import_paths([write(tmp_path, SMALL.replace('"A1."', '"A1, better."'))])
    question.refresh_from_db()
    assert question.answer == "A1, better."
    assert SelfCheckAttempt.objects.filter(user=student, question=question).exists()


def test_removing_an_item_with_student_data_archives_it_and_keeps_the_records(tmp_path, student):
    import_paths([write(tmp_path, SMALL)])
    question = SelfCheckQuestion.objects.get(lesson__slug="tiny", position=2)
    SelfCheckAttempt.objects.create(user=student, question=question, revealed_at=timezone.now())
    shorter = SMALL.replace('    - question: "Q2?"\n      answer: "A2."\n', "")
    (outcome,) = import_paths([write(tmp_path, shorter)])
    assert [(c.action, c.students) for c in outcome.changes] == [("archived", 1)]
    question.refresh_from_db()
    assert question.archived_at is not None
    assert list(SelfCheckQuestion.objects.live().filter(lesson__slug="tiny").values_list("question", flat=True)) == [
        "Q1?"
    ]
    assert SelfCheckAttempt.objects.filter(question=question).exists()


def test_removing_an_unused_item_deletes_it(tmp_path):
    import_paths([write(tmp_path, SMALL)])
    import_paths(
        [write(tmp_path, SMALL.replace("    - front: F1\n      back: B1\n", "").replace("flashcards:\n  cards:\n", ""))]
    )
    assert not Flashcard.objects.filter(lesson__slug="tiny").exists()


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("course: [unclosed", "line", "valid YAML"),
        (SMALL.replace("title: Tiny\n", "title: Tiny\ncolour: red\n"), "colour", "unknown key"),
        (SMALL.replace("slug: tiny\n", ""), "slug", "required key that is missing"),
        (SMALL.replace("answer: [y, z, x]", "answer: [y, z, q]"), "exercises.ordering[0].answer", "'q' is not an item"),
        (SMALL.replace("answer: [y, z, x]", "answer: [y, z, z]"), "exercises.ordering[0].answer", "repeated"),
        (
            SMALL.replace("        z: Third shown\n", "        z: Third shown\n        z: Again\n"),
            "exercises.ordering[0].items.z",
            "'z' is repeated",
        ),
        (SMALL.replace('      answer: "A2."\n', ""), "self_check.questions[1].answer", "missing"),
        ("course: C\nslug: s\ntitle: T\n", "self_check", "at least one of"),
        (SMALL.replace("slug: tiny", "slug: Not A Slug"), "slug", "URL slug"),
    ],
)
def test_malformed_files_say_file_key_and_expectation(tmp_path, text, key, expected):
    path = write(tmp_path, text, "bad.yaml")
    with pytest.raises(CommandError) as info:
        call_command("import_lessons", str(path))
    message = str(info.value)
    assert "bad.yaml" in message and key in message and expected in message


def test_a_bad_file_leaves_the_database_unchanged(tmp_path):
    good = write(tmp_path, SMALL, "a-good.yaml")
    bad = write(
        tmp_path, SMALL.replace("slug: tiny", "slug: other").replace("answer: [y, z, x]", "answer: [y]"), "b-bad.yaml"
    )
    with pytest.raises(CommandError, match="b-bad.yaml"):
        call_command("import_lessons", str(good), str(bad))
    assert not Lesson.objects.exists()
    assert not OrderingItem.objects.exists()


def test_markdown_is_sanitised():
    from lessons.markdown import render_markdown

    html = str(render_markdown('Hi <script>alert(1)</script> <a href="#" onclick="x()" hx-get="/x">link</a> **bold**'))
    assert "<script" not in html and "onclick" not in html and "hx-get" not in html
    assert "<strong>bold</strong>" in html


def test_parse_keeps_display_order_and_answer():
    spec = parse_text(SMALL)
    ordering = spec["exercises"]["ordering"][0]
    assert [stage["label"] for stage in ordering["items"]] == ["x", "y", "z"]
    assert ordering["answer"] == ["y", "z", "x"]


def test_a_position_taken_by_another_lesson_is_a_clear_error(tmp_path):
    import_paths([write(tmp_path, SMALL.replace("title: Tiny\n", "title: Tiny\nposition: 3\n"), "one.yaml")])
    other = SMALL.replace("slug: tiny", "slug: tiny-two").replace("title: Tiny\n", "title: Tiny\nposition: 3\n")
    with pytest.raises(CommandError) as info:
        call_command("import_lessons", str(write(tmp_path, other, "two.yaml")))
    assert "two.yaml: position:" in str(info.value) and "'tiny' has it" in str(info.value)
    assert not Lesson.objects.filter(slug="tiny-two").exists()
