"""A lesson's flashcards as an Anki deck: Anki's own reader (the ``anki`` package) imports it, and a second
download updates the same notes instead of duplicating them."""

import time

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition
from django.urls import reverse

from lessons.selectors.anki_deck import note_guid

pytestmark = pytest.mark.django_db
IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER


def download(client, lesson, folder, name):
    response = client.get(reverse("flashcards_apkg", args=[lesson.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/apkg"
    assert f'filename="{lesson.slug}.apkg"' in response["Content-Disposition"]
    path = folder / name
    path.write_bytes(response.content)
    return str(path)


def import_into(collection, path):
    # Anki's default import options: update a note when the incoming one is newer.
    options = ImportAnkiPackageOptions(update_notes=IF_NEWER, with_scheduling=False)
    collection.import_anki_package(ImportAnkiPackageRequest(package_path=path, options=options))
    return {guid: fields.split("\x1f") for guid, fields in collection.db.all("select guid, flds from notes")}


def test_the_apkg_opens_in_anki_and_a_second_download_updates_the_same_notes(student_client, diffusion, tmp_path):
    cards = list(diffusion.flashcards.all())
    page = student_client.get(diffusion.get_absolute_url()).content.decode()
    assert reverse("flashcards_apkg", args=[diffusion.slug]) in page
    collection = Collection(str(tmp_path / "collection.anki2"))
    try:
        notes = import_into(collection, download(student_client, diffusion, tmp_path, "first.apkg"))
        assert set(notes) == {note_guid(card) for card in cards} and len(notes) == len(cards)
        first = cards[0]
        assert notes[note_guid(first)][2] == diffusion.title
        assert "forward direction" in notes[note_guid(first)][0]
        # The instructor edits a card and moves it to the end; the student downloads again.
        first.front = "What does the forward process do to a real image?"
        first.position = 99
        first.save()
        time.sleep(1.1)  # a later download: Anki updates a note when the incoming one is newer (to the second)
        again = import_into(collection, download(student_client, diffusion, tmp_path, "second.apkg"))
        assert set(again) == set(notes)  # the same notes, no duplicates
        assert "forward process do to a real image" in again[note_guid(first)][0]
        decks = sorted(d.name for d in collection.decks.all_names_and_ids() if d.name != "Default")
        deck = f"Quizsite::{diffusion.course.title}::{diffusion.title}"
        assert decks == ["Quizsite", f"Quizsite::{diffusion.course.title}", deck]  # the same deck, not a second
        assert collection.card_count() == len(cards)
    finally:
        collection.close()
