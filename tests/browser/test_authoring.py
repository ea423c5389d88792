"""An instructor in the admin, in Chromium: edit a card, drag questions, see the change on the practice page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lessons.lessonfile import import_paths
from lessons.models import Flashcard, SelfCheckQuestion
from tests.axe import assert_accessible
from tests.conftest import login_context
from tests.factory import DIFFUSION_FILE, first_memory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lesson(db):
    (result,) = import_paths([DIFFUSION_FILE])
    return result.lesson


@pytest.fixture
def csp_page(browser, live_server, instructor):
    """A page with our CSP enforced (the shared fixtures bypass it for axe), logging every CSP complaint."""
    context = browser.new_context(bypass_csp=False)
    login_context(context, live_server, instructor)
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_errors.append(message.text),
    )
    yield page
    context.close()


@pytest.mark.browser
def test_instructor_edits_a_card_and_drags_questions_then_sees_it(csp_page, live_server, lesson):
    page = csp_page
    first, second = SelfCheckQuestion.objects.filter(lesson=lesson).order_by("position")[:2]
    page.goto(live_server.url + reverse("admin:lessons_lesson_change", args=[lesson.pk]))
    expect(page.locator("#questions-group")).to_be_visible()

    page.locator('textarea[name="flashcards-0-front"]').fill("What does the forward direction do to an image?")

    # Drag the second question above the first by its handle (adminsortable2 renumbers the positions).
    handles = page.locator("#questions-group tr.has_original td.original p")
    handles.nth(1).drag_to(handles.nth(0))
    expect(page.locator('input[name="questions-1-position"]')).to_have_value("1")
    expect(page.locator('input[name="questions-0-position"]')).to_have_value("2")

    page.locator('input[name="_save"]').last.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(live_server.url + lesson.get_absolute_url())
    questions = page.locator(".self-check .question-text")
    expect(questions.nth(0)).to_contain_text(second.question[:40])
    expect(questions.nth(1)).to_contain_text(first.question[:40])
    expect(page.locator("#flashcards")).to_contain_text("What does the forward direction do to an image?")
    assert Flashcard.objects.get(lesson=lesson, position=1).front == "What does the forward direction do to an image?"
    assert page.csp_errors == []


@pytest.mark.browser
def test_admin_authoring_pages_keep_to_the_csp(csp_page, live_server, lesson):
    page = csp_page
    exercise = lesson.ordering_exercises.get()
    for url in (
        reverse("admin:lessons_lesson_changelist"),
        reverse("admin:lessons_lesson_change", args=[lesson.pk]),
        reverse("admin:lessons_orderingexercise_change", args=[exercise.pk]),
        reverse("admin:lessons_lesson_upload"),
        reverse("admin:lessons_lesson_paste_flashcards", args=[lesson.pk]),
        reverse("admin:lessons_lesson_preview", args=[lesson.pk]),
    ):
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
    # The "Move to first position" handle of the item inline works too.
    page.goto(live_server.url + reverse("admin:lessons_orderingexercise_change", args=[exercise.pk]))
    page.locator("#items-2 .move-begin").click()
    expect(page.locator('input[name="items-2-display_position"]')).to_have_value("1")
    # The course autocomplete (select2) and "Add another" rows build their markup without inline styles.
    page.goto(live_server.url + reverse("admin:lessons_lesson_change", args=[lesson.pk]))
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results")).to_contain_text("Generative models")
    page.keyboard.press("Escape")
    page.locator("#flashcards-group .add-row a").click()
    expect(page.locator('textarea[name="flashcards-11-front"]')).to_be_visible()  # 10 cards, 1 blank, 1 added
    assert page.csp_errors == []
    # The listener does hear a violation when there is one.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(200)
    assert any("style-src" in error for error in page.csp_errors)


@pytest.mark.browser
def test_preview_as_student_is_inert_and_accessible(page, live_server, lesson, instructor):
    login_context(page.context, live_server, instructor)
    page.goto(live_server.url + reverse("admin:lessons_lesson_change", args=[lesson.pk]))
    page.get_by_role("link", name="Preview as student").click()
    expect(page.get_by_role("status")).to_contain_text("Preview: nothing you do here is recorded.")
    page.locator(".self-check summary").first.click()
    show = page.get_by_role("button", name="Show answer").first
    expect(show).to_be_disabled()
    expect(page.get_by_label("Your answer (optional)").first).to_be_disabled()
    assert_accessible(page)
    page.get_by_role("link", name="Back to editing").click()
    expect(page).to_have_url(live_server.url + reverse("admin:lessons_lesson_change", args=[lesson.pk]))


@pytest.mark.browser
def test_upload_shows_the_plan_then_apply_archives_and_restore_brings_back(
    csp_page, live_server, lesson, student, tmp_path
):
    """Issue 13: upload a file that drops a used card, read the plan, Apply, then restore the card."""
    from lessons.models import CardState

    page = csp_page
    card = Flashcard.objects.get(lesson=lesson, position=1)
    CardState.objects.create(user=student, card=card, state=1, due=lesson.created_at, **first_memory())
    text = DIFFUSION_FILE.read_text(encoding="utf-8")
    start = text.index(f"  - id: {card.uid}\n")
    end = text.index("  - id:", start + 1)
    path = tmp_path / "diffusion.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    page.goto(live_server.url + reverse("admin:lessons_lesson_upload"))
    page.get_by_label("Lesson file (.yaml)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("table.lesson-plan")).to_contain_text("Archived")
    expect(page.locator("table.lesson-plan")).to_contain_text(card.uid)
    assert page.csp_errors == []
    assert_accessible(page)
    page.csp_errors.clear()  # axe itself sets inline styles while it runs
    assert Flashcard.objects.get(pk=card.pk).archived_at is None
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".messagelist")).to_contain_text("diffusion: updated (1 archived)", ignore_case=True)
    assert Flashcard.objects.get(pk=card.pk).archived_at is not None
    page.get_by_role("link", name="Archived items").click()
    expect(page.get_by_role("heading", name="Flashcards")).to_be_visible()
    assert page.csp_errors == []
    assert_accessible(page)
    page.csp_errors.clear()  # axe itself sets inline styles while it runs
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".messagelist")).to_contain_text("students see it again")
    assert Flashcard.objects.get(pk=card.pk).archived_at is None
    assert page.csp_errors == []
