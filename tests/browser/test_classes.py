"""An instructor creates a class, a student joins and practises, the instructor sees it and downloads the CSV."""

import csv
import re

import pytest
from playwright.sync_api import expect

from lessons.models import Enrollment
from tests.axe import assert_accessible
from tests.conftest import login_context
from tests.factory import make_class

pytestmark = pytest.mark.browser


@pytest.fixture
def instructor(transactional_db, make_user):
    return make_user("teacher", instructor=True)


def test_instructor_creates_class_student_joins_instructor_sees_progress_and_downloads_csv(
    browser, browser_context_args, live_server, student_page, instructor, diffusion
):
    teacher_context = browser.new_context(**browser_context_args)
    login_context(teacher_context, live_server, instructor)
    teacher = teacher_context.new_page()

    # The instructor creates a class and assigns the diffusion lesson.
    teacher.goto(f"{live_server.url}/classes/")
    assert_accessible(teacher)
    teacher.get_by_role("button", name="Create a class").click()  # a link styled as a button
    teacher.get_by_label("Class name").fill("Biology 101")
    teacher.get_by_label("Section (optional)").fill("Morning")
    teacher.get_by_label(diffusion.title, exact=True).check()
    assert_accessible(teacher)
    teacher.get_by_role("button", name="Create class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Biology 101 (Morning)")
    code = teacher.locator(".join-code").first.inner_text()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{7}", code)
    expect(teacher.get_by_text("No students have joined yet.")).to_be_visible()

    # The student joins with the code, typed in lower case, and reveals one self-check question.
    student = student_page
    student.goto(f"{live_server.url}/classes/")
    student.get_by_label("Join a class with a code").fill(code.lower())
    student.get_by_role("button", name="Join", exact=True).click()
    expect(student.get_by_text("You joined Biology 101 (Morning).")).to_be_visible()
    assert_accessible(student)
    student.goto(f"{live_server.url}{diffusion.get_absolute_url()}")
    first = student.locator(".self-check").first
    first.locator("summary").click()
    first.get_by_role("button", name="Show answer").click()
    expect(first.get_by_role("heading", name="Answer")).to_be_visible()

    # The instructor sees the progress on the dashboard.
    teacher.reload()
    row = teacher.get_by_role("row", name=re.compile(r"^student"))
    expect(row).to_contain_text("In progress")
    expect(row).to_contain_text("11%")
    expect(row).to_contain_text("0/1 completed")
    expect(teacher.locator("tfoot")).to_contain_text("0 of 1 (0%)")
    assert_accessible(teacher)

    # Sorting is a link; htmx swaps the grid and keeps the URL.
    teacher.get_by_role("link", name="Last active").click()
    expect(teacher).to_have_url(re.compile(r"sort=last_active"))
    expect(teacher.get_by_role("columnheader", name="Last active")).to_have_attribute("aria-sort", "ascending")

    # The wide CSV download has the student's state and percent.
    with teacher.expect_download() as download_info:
        teacher.get_by_role("link", name="Download progress (CSV, a row per student)").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-progress-wide.csv")
    with open(download.path(), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["username"], r["diffusion:state"], r["diffusion:percent"]) for r in rows] == [
        ("student", "in_progress", "11")
    ]
    with teacher.expect_download() as download_info:
        teacher.get_by_role("link", name="Download events (CSV, a row per event)").click()
    with open(download_info.value.path(), encoding="utf-8", newline="") as handle:
        events = list(csv.DictReader(handle))
    assert [(e["username"], e["activity"], e["event"]) for e in events] == [("student", "self_check", "reveal")]

    # The lesson's item view shows the reveal.
    teacher.get_by_role("link", name=diffusion.title).click()
    expect(teacher.get_by_role("heading", name="Self-check questions")).to_be_visible()
    assert_accessible(teacher)
    teacher_context.close()


def test_join_link_confirms_before_joining_and_class_pages_are_accessible(
    browser, browser_context_args, live_server, student_page, student, instructor, diffusion
):
    student_user = student
    classroom = make_class(instructor, [diffusion], name="Chemistry")
    student = student_page
    student.goto(f"{live_server.url}{classroom.get_join_url()}")
    expect(student.get_by_text("Join Chemistry?")).to_be_visible()
    assert_accessible(student)
    student.get_by_role("button", name="Join Chemistry").click()
    expect(student.get_by_text("You joined Chemistry.")).to_be_visible()
    student.get_by_role("button", name="Leave Chemistry").click()
    expect(student.get_by_text("You left Chemistry.")).to_be_visible()

    # Phone-sized screen: the grid scrolls inside its region, the page does not.
    teacher_context = browser.new_context(**browser_context_args, viewport={"width": 375, "height": 740})
    login_context(teacher_context, live_server, instructor)
    teacher = teacher_context.new_page()
    Enrollment.objects.create(classroom=classroom, student=student_user)
    teacher.goto(f"{live_server.url}/classes/{classroom.pk}/")
    expect(teacher.get_by_role("row", name=re.compile(r"^student"))).to_contain_text("Not started")
    assert teacher.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(teacher)
    teacher.goto(f"{live_server.url}/classes/{classroom.pk}/edit/")
    assert teacher.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(teacher)
    teacher.goto(f"{live_server.url}/classes/join/")
    assert_accessible(teacher)
    teacher_context.close()


def test_a_large_class_pages_its_grid_by_keyboard_on_a_phone_with_and_without_javascript(
    browser, browser_context_args, live_server, instructor
):
    from django.contrib.auth.models import User

    from tests.factory import make_lesson

    lesson = make_lesson(slug="paged", questions=1, cards=0, ordering=False, prediction=False)
    classroom = make_class(instructor, [lesson], name="Lecture")
    users = User.objects.bulk_create(User(username=f"pupil{n:04d}") for n in range(105))
    Enrollment.objects.bulk_create(Enrollment(classroom=classroom, student=user) for user in users)
    for javascript in (True, False):
        context = browser.new_context(
            **browser_context_args, viewport={"width": 360, "height": 740}, java_script_enabled=javascript
        )
        login_context(context, live_server, instructor)
        teacher = context.new_page()
        teacher.goto(f"{live_server.url}/classes/{classroom.pk}/?sort=-name")
        expect(teacher.get_by_text("Showing students 1–100 of 105")).to_be_visible()
        if javascript:  # axe and the width check run scripts in the page
            assert teacher.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert_accessible(teacher)
        sections = teacher.get_by_role("navigation", name="Sections of the class")
        sections.get_by_role("link", name="2 of 2").focus()
        teacher.keyboard.press("Enter")
        expect(teacher.get_by_text("Showing students 101–105 of 105")).to_be_visible()
        expect(teacher.get_by_role("row", name=re.compile(r"^pupil0000"))).to_be_visible()  # still by name, descending
        assert "page=2" in teacher.url and "sort=-name" in teacher.url
        if javascript:
            assert_accessible(teacher)
        context.close()
