"""Lesson files through the admin (upload, download) and flashcards pasted in bulk."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.lessonfile import dump, export_lesson
from lessons.models import CardState, Flashcard, Lesson
from tests.factory import DIFFUSION_FILE, first_memory

UPLOAD_URL = reverse("admin:lessons_lesson_upload")


@pytest.fixture
def admin_client(instructor):
    client = Client()
    client.force_login(instructor)
    return client


def upload(client, name, text, follow=False, **extra):
    """Upload, then press Apply on the confirmation page (when the upload got one), as a person does."""
    response = client.post(UPLOAD_URL, {"lesson_file": SimpleUploadedFile(name, text.encode()), **extra})
    if response.status_code != 200 or "apply_form" not in response.context:
        return response
    return apply(client, response, follow=follow)


def apply(client, confirmation, follow=False):
    form = confirmation.context["apply_form"]
    data = {name: form.initial[name] for name in ("text", "source", "fingerprint")}
    return client.post(UPLOAD_URL, {**data, "apply": "Apply"}, follow=follow)


def paste_url(lesson):
    return reverse("admin:lessons_lesson_paste_flashcards", args=[lesson.pk])


def preview_and_save(client, lesson, text, **extra):
    """Preview, then press the "Add N cards" button of that preview, as a person does."""
    data = {"text": text, "separator": "tab", **extra}
    preview = client.post(paste_url(lesson), {**data, "preview": "Preview"})
    assert preview.status_code == 200
    hidden = {"expected_count": preview.context["existing"], "previewed": preview.context["digest"]}
    return preview, client.post(paste_url(lesson), {**data, **hidden, "save": "Add"})


# ---------------------------------------------------------------- upload and download


@pytest.mark.django_db
def test_upload_creates_a_lesson_and_logs_it(admin_client, instructor):
    text = DIFFUSION_FILE.read_text().replace("slug: diffusion", "slug: diffusion-copy")
    response = upload(admin_client, "copy.yaml", text)
    lesson = Lesson.objects.get(slug="diffusion-copy")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:lessons_lesson_change", args=[lesson.pk])
    assert lesson.questions.count() == 6 and lesson.flashcards.count() == 10
    messages = [str(m) for m in admin_client.get(response["Location"]).context["messages"]]
    assert "diffusion-copy: created" in messages
    entry = LogEntry.objects.get(object_id=str(lesson.pk))
    assert entry.action_flag == ADDITION and entry.user == instructor


@pytest.mark.django_db
def test_upload_updates_in_place(admin_client, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    text = DIFFUSION_FILE.read_text().replace(
        "What happens in the forward direction of diffusion", "What happens going forward in diffusion"
    )
    response = upload(admin_client, "diffusion.yaml", text, follow=True)
    # A question and a card both had the text: two changes.
    assert "diffusion: updated (2 changed)" in [str(m) for m in response.context["messages"]]
    assert Lesson.objects.get(pk=diffusion.pk).questions.first().question.startswith("What happens going forward")
    assert LogEntry.objects.get(object_id=str(diffusion.pk)).action_flag == CHANGE


def command_error(path):
    with pytest.raises(CommandError) as error:
        call_command("import_lessons", str(path))
    return str(error.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("slug: diffusion", "slug: diffusion\ncolour: blue"),  # unknown key
        ("answer: [b, d, c, f, a, e]", "answer: [b, d, c, f, a, z]"),  # answer label that is no item
        ("course: Generative models", "course: [unclosed"),  # bad YAML
    ],
)
def test_upload_refuses_a_bad_file_with_the_command_lines_message(admin_client, tmp_path, old, new):
    text = DIFFUSION_FILE.read_text().replace(old, new)
    assert text != DIFFUSION_FILE.read_text()
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    expected = command_error(path).replace(str(path), "bad.yaml")
    response = upload(admin_client, "bad.yaml", text)
    assert response.status_code == 200
    assert response.context["form"].errors["lesson_file"] == [expected]
    assert expected.startswith("Nothing imported. bad.yaml: ")
    assert not Lesson.objects.exists()


@pytest.mark.django_db
def test_upload_archives_a_removed_card_students_have_used(admin_client, diffusion, student):
    last = diffusion.flashcards.order_by("position").last()
    CardState.objects.create(user=student, card=last, state=1, due=timezone.now(), **first_memory())
    text = DIFFUSION_FILE.read_text()
    cut = text.index("  - id:", text.rindex("  - id:") - 1)  # drop the last card
    shorter = text[:cut].rstrip() + "\n"
    confirmation = admin_client.post(
        UPLOAD_URL, {"lesson_file": SimpleUploadedFile("diffusion.yaml", shorter.encode())}
    )
    page = confirmation.content.decode()
    assert confirmation.status_code == 200 and "1 archived" in page and last.uid in page
    assert Flashcard.objects.get(pk=last.pk).archived_at is None  # the confirmation page wrote nothing
    response = apply(admin_client, confirmation)
    assert response.status_code == 302
    last.refresh_from_db()
    assert last.archived_at is not None
    assert CardState.objects.filter(card=last, user=student).count() == 1


@pytest.mark.django_db
def test_upload_refuses_non_utf8_and_missing_file(admin_client):
    response = upload(admin_client, "latin.yaml", "")
    assert "The submitted file is empty." in response.content.decode()
    response = admin_client.post(
        UPLOAD_URL, {"lesson_file": SimpleUploadedFile("latin.yaml", "café".encode("latin-1"))}
    )
    assert "a readable UTF-8 file" in response.content.decode()
    assert not Lesson.objects.exists()


@pytest.mark.django_db
def test_download_round_trip(admin_client, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    response = admin_client.get(reverse("admin:lessons_lesson_download", args=[diffusion.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="diffusion.yaml"'
    text = response.content.decode()
    assert text == dump(export_lesson(Lesson.objects.get(pk=diffusion.pk)))
    # Uploading the download changes nothing.
    again = upload(admin_client, "diffusion.yaml", text, follow=True)
    assert "diffusion: unchanged" in [str(m) for m in again.context["messages"]]
    # An edit made in the admin is in the next download, and the file still imports elsewhere.
    Flashcard.objects.filter(lesson=diffusion, position=1).update(front="Changed in the admin")
    text = admin_client.get(reverse("admin:lessons_lesson_download", args=[diffusion.pk])).content.decode()
    assert "front: Changed in the admin" in text
    copy_text = text.replace("slug: diffusion", "slug: diffusion-2")  # a copy: a new lesson, not a rename
    taken = upload(admin_client, "copy.yaml", copy_text)
    assert taken.context["form"].errors["lesson_file"] == [
        "Nothing imported. copy.yaml: position: a position no other lesson of 'Generative models' has; "
        "'diffusion' has it"
    ]
    copy = upload(admin_client, "copy.yaml", copy_text.replace("position: 1", "position: 2"))
    assert copy.status_code == 302
    assert Lesson.objects.get(slug="diffusion-2").flashcards.first().front == "Changed in the admin"
    assert Lesson.objects.get(slug="diffusion").flashcards.count() == 10


# ---------------------------------------------------------------- pasted flashcards


@pytest.mark.django_db
def test_paste_good_lines_previews_then_appends(admin_client, diffusion, instructor):
    text = "Front one\tBack one\nFront two\tBack two, with a comma\n"
    preview, saved = preview_and_save(admin_client, diffusion, text)
    html = preview.content.decode()
    assert "Preview: 2 cards" in html and "<td>Back two, with a comma</td>" in html
    assert 'value="Add 2 cards"' in html
    assert saved.status_code == 302
    cards = list(Flashcard.objects.filter(lesson=diffusion).order_by("position"))
    assert [(c.position, c.front, c.back) for c in cards[-2:]] == [
        (11, "Front one", "Back one"),
        (12, "Front two", "Back two, with a comma"),
    ]
    messages = [str(m) for m in admin_client.get(saved["Location"]).context["messages"]]
    assert "Added 2 flashcard(s) after the existing 10." in messages
    assert LogEntry.objects.get(object_id=str(diffusion.pk)).get_change_message() == (
        "Added 2 flashcards from pasted text."
    )


@pytest.mark.django_db
def test_preview_alone_saves_nothing(admin_client, diffusion):
    admin_client.post(paste_url(diffusion), {"text": "a\tb", "separator": "tab", "preview": "Preview"})
    assert Flashcard.objects.filter(lesson=diffusion).count() == 10


@pytest.mark.django_db
def test_paste_mixed_lines_reports_the_bad_ones_and_adds_the_good(admin_client, diffusion):
    text = "good front\tgood back\nno separator here\n\t only a back\nanother\tone"
    preview, saved = preview_and_save(admin_client, diffusion, text)
    html = preview.content.decode()
    assert "Line 2: no tab between front and back" in html
    assert "Line 3: the front is empty" in html
    assert 'value="Add 2 cards, skip 2 lines"' in html
    assert saved.status_code == 302
    assert list(Flashcard.objects.filter(lesson=diffusion, position__gt=10).values_list("front", flat=True)) == [
        "good front",
        "another",
    ]
    messages = [str(m) for m in admin_client.get(saved["Location"]).context["messages"]]
    assert "Added 2 flashcard(s) after the existing 10. Skipped 2 line(s) that did not split." in messages


@pytest.mark.django_db
def test_paste_only_bad_lines_adds_nothing(admin_client, diffusion):
    preview, saved = preview_and_save(admin_client, diffusion, "one\ntwo\n")
    assert 'name="save"' not in preview.content.decode()
    assert saved.status_code == 200
    assert "No line splits into a front and a back: nothing to add." in saved.content.decode()
    assert Flashcard.objects.filter(lesson=diffusion).count() == 10


@pytest.mark.django_db
def test_paste_with_comma_and_other_separators(admin_client, diffusion):
    _, saved = preview_and_save(admin_client, diffusion, "Paris,capital, of France", separator="comma")
    assert saved.status_code == 302
    assert Flashcard.objects.filter(lesson=diffusion).last().back == "capital, of France"
    _, saved = preview_and_save(admin_client, diffusion, "cat - a pet", separator="other", other_separator=" - ")
    assert saved.status_code == 302
    assert Flashcard.objects.filter(lesson=diffusion).last().front == "cat"
    response = admin_client.post(paste_url(diffusion), {"text": "x", "separator": "other", "preview": "Preview"})
    assert "Type the separator that sits between front and back." in response.content.decode()


@pytest.mark.django_db
def test_paste_anki_export_honours_its_separator_header(admin_client, diffusion):
    text = '#separator:Semicolon\n#html:true\n#tags column:3\n"Front; with semicolon";Back<br>two;tag1\nplain;back;\n'
    preview, saved = preview_and_save(admin_client, diffusion, text)
    assert "Separator: semicolon (from the Anki header)" in preview.content.decode()
    assert saved.status_code == 302
    added = list(Flashcard.objects.filter(lesson=diffusion, position__gt=10).values_list("front", "back"))
    assert added == [("Front; with semicolon", "Back<br>two"), ("plain", "back")]


@pytest.mark.django_db
def test_double_click_on_add_adds_once(admin_client, diffusion):
    data = {"text": "once\tonly", "separator": "tab"}
    preview = admin_client.post(paste_url(diffusion), {**data, "preview": "Preview"})
    save = {**data, "expected_count": preview.context["existing"], "previewed": preview.context["digest"], "save": "1"}
    assert admin_client.post(paste_url(diffusion), save).status_code == 302
    second = admin_client.post(paste_url(diffusion), save)
    assert second.status_code == 200
    assert "Nothing added: this lesson&#x27;s flashcards changed since the preview" in second.content.decode()
    assert Flashcard.objects.filter(lesson=diffusion, front="once").count() == 1


@pytest.mark.django_db
def test_text_changed_after_preview_is_previewed_again(admin_client, diffusion):
    preview = admin_client.post(paste_url(diffusion), {"text": "a\tb", "separator": "tab", "preview": "Preview"})
    response = admin_client.post(
        paste_url(diffusion),
        {
            "text": "a\tb\nc\td",
            "separator": "tab",
            "expected_count": 10,
            "previewed": preview.context["digest"],
            "save": "1",
        },
    )
    assert "The text changed after the preview" in response.content.decode()
    assert "Preview: 2 cards" in response.content.decode()
    assert Flashcard.objects.filter(lesson=diffusion).count() == 10


@pytest.mark.django_db
def test_oversized_paste_is_refused(admin_client, diffusion):
    response = admin_client.post(
        paste_url(diffusion), {"text": "a\tb\n" * 30_000, "separator": "tab", "preview": "Preview"}
    )
    assert "Ensure this value has at most 100000 characters" in response.content.decode()
    assert Flashcard.objects.filter(lesson=diffusion).count() == 10


@pytest.mark.django_db
def test_paste_on_unknown_lesson_is_404(admin_client):
    assert admin_client.get(reverse("admin:lessons_lesson_paste_flashcards", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_pasted_cards_show_on_the_practice_page_a_student_already_opened(admin_client, lesson, student_client):
    # The student's visit caches the lesson's content; pasting must make that cache stale.
    assert "Front pasted" not in student_client.get(lesson.get_absolute_url()).content.decode()
    before = Lesson.objects.get(pk=lesson.pk).updated_at
    _, saved = preview_and_save(admin_client, lesson, "Front pasted\tBack pasted")
    assert saved.status_code == 302
    assert Lesson.objects.get(pk=lesson.pk).updated_at > before
    assert "Front pasted" in student_client.get(lesson.get_absolute_url()).content.decode()


# ---------------------------------------------------------------- upload size


class UnreadableBody:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args):
        raise AssertionError("the oversized body was read")

    readline = read


def test_an_oversized_upload_is_refused_before_its_body_is_read(admin_client, settings):
    settings.LESSON_FILE_MAX_BYTES = 10_000
    length = 10_000 + 64 * 1024 + 1
    response = admin_client.generic(
        "POST", UPLOAD_URL, b"", content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(length), **{"wsgi.input": UnreadableBody()},
    )  # fmt: skip
    assert response.status_code == 413
    assert f"That request is too large ({length:,} bytes" in response.content.decode()
    assert Lesson.objects.count() == 0


def test_any_other_request_body_is_capped(student_client, settings):
    response = student_client.generic(
        "POST", reverse("class_join"), b"", content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BODY_BYTES + 1), **{"wsgi.input": UnreadableBody()},
    )  # fmt: skip
    assert response.status_code == 413
