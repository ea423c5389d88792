"""A lesson's flashcards as an Anki deck (``.apkg``), built with genanki.

Each note's GUID is derived from the card's stable identity (its lesson's ``uid`` and its own,
which survive reordering, editing and re-import), not its text or position, so a second
download imported into Anki updates the same notes (edited fronts and backs included) instead
of adding duplicates. The deck id is derived from the lesson's ``uid`` the same way. Archived
cards are left out.
"""

import hashlib
import tempfile
from pathlib import Path

import genanki

from lessons.markdown import render_markdown

# genanki wants fixed ids for the note type; ours never changes.
MODEL_ID = 1_607_392_319
MODEL = genanki.Model(
    MODEL_ID,
    "Quizsite flashcard",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Lesson"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<p class="lesson"><small>{{Lesson}}</small></p>',
        }
    ],
)


def note_guid(card) -> str:
    """The Anki GUID of a card's note: the same for every download of the same card."""
    return genanki.guid_for("quizsite-flashcard", card.lesson.uid, card.uid)


def deck_id(lesson) -> int:
    """A 31-bit deck id stable for the lesson (Anki matches decks by id on import)."""
    digest = hashlib.sha256(f"quizsite-lesson:{lesson.uid}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def lesson_apkg(lesson) -> bytes:
    """The lesson's flashcards as an .apkg file (its bytes)."""
    deck = genanki.Deck(deck_id(lesson), f"Quizsite::{lesson.course.title}::{lesson.title}")
    for card in lesson.flashcards.live().order_by("position"):
        card.lesson = lesson
        deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=[render_markdown(card.front), render_markdown(card.back), lesson.title],
                guid=note_guid(card),
                sort_field=card.position,
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deck.apkg"
        genanki.Package(deck).write_to_file(path)
        return path.read_bytes()
