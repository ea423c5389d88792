"""The ordering exercise through the test client, on Postgres: check, feedback, reveal, bad input, query counts."""

import re
import string
import threading
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.models import Course, Lesson, OrderingAttempt, OrderingExercise, OrderingItem, OrderingReveal
from tests import budgets
from tests.threads import RACE_TIMEOUT, run_together

CORRECT = list("bdcfae")
DISPLAY = list("abcdef")
EXPLANATION_START = "First wreck real images to make training pairs"


@pytest.fixture
def exercise(diffusion):
    return diffusion.ordering_exercises.get()


def check(client, exercise, order=None, *, attempt=1, moved="1", htmx=False, **extra):
    data = {"attempt": str(attempt), "moved": moved, **extra}
    if order is not None:
        data["order"] = list(order)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("ordering_check", args=[exercise.pk]), data, headers=headers)


def lesson_page(client, lesson):
    return client.get(lesson.get_absolute_url()).content.decode()


def article(html, exercise):
    """The exercise's <article> out of a page or fragment."""
    match = re.search(rf'<article class="ordering" id="ordering-{exercise.pk}".*?</article>', html, re.S)
    assert match, "ordering article not found"
    return match.group(0)


def item_labels(html):
    return re.findall(r'<li class="ordering-item[^"]*" data-label="(\w+)"', html)


def marks(html):
    return dict(re.findall(r'data-label="(\w+)">.*?class="ordering-mark ordering-mark-\w+">(Keep|Move)<', html, re.S))


class AttributeCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attributes = []

    def handle_starttag(self, tag, attrs):
        self.attributes.extend(attrs)


# ---------------------------------------------------------------- before a try


def test_page_shows_the_stages_in_display_order_without_the_answer(student_client, diffusion, exercise):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    html = article(lesson_page(student_client, diffusion), exercise)
    assert item_labels(html) == DISPLAY
    assert "Feed the denoiser its own slightly-cleaner output" in html
    assert EXPLANATION_START not in html
    assert "Check order" in html
    assert "Show answer" not in html  # only after a first try
    for label in DISPLAY:
        assert f'<label for="ordering-{exercise.pk}-position-{label}">Position of stage ({label})</label>' in html
    collector = AttributeCollector()
    collector.feed(html)
    assert not [(name, value) for name, value in collector.attributes if "correct" in f"{name}={value}".lower()]


def test_page_html_does_not_depend_on_the_answer(student_client, diffusion, exercise):
    """Change the correct order in the database: the exercise's HTML before a try is byte for byte the same."""

    def without_csrf(html):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    before = without_csrf(article(lesson_page(student_client, diffusion), exercise))
    OrderingItem.objects.filter(exercise=exercise).update(correct_position=100 + OrderingItem.objects.count())
    for position, label in enumerate("fedcba", start=1):
        OrderingItem.objects.filter(exercise=exercise, label=label).update(correct_position=position)
    after = without_csrf(article(lesson_page(student_client, diffusion), exercise))
    assert after == before


# ---------------------------------------------------------------- checking


def test_wrong_order_with_htmx_returns_feedback_and_stores_the_attempt(student_client, student, exercise):
    response = check(student_client, exercise, "bdcfea", htmx=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article class="ordering" id="ordering-{exercise.pk}"')  # the fragment only
    assert "Not yet" in html
    assert "Attempt 1" in html
    assert "14 of 15 pairs in order" in html
    assert item_labels(html) == list("bdcfea")
    assert marks(html) == {"b": "Keep", "d": "Keep", "c": "Keep", "f": "Keep", "e": "Move", "a": "Keep"}
    assert "Move the ones marked <strong>Move</strong>:\n            (e)." in html
    assert EXPLANATION_START not in html
    assert "Show answer" in html
    assert 'name="attempt" value="2"' in html
    attempt = OrderingAttempt.objects.get(user=student, exercise=exercise)
    assert (attempt.number, attempt.order, attempt.pairs_in_order, attempt.pairs_total) == (1, list("bdcfea"), 14, 15)
    assert attempt.score == pytest.approx(14 / 15)
    assert attempt.is_correct is False


def test_correct_order_shows_the_explanation_and_the_number_of_tries(student_client, student, exercise):
    check(student_client, exercise, "abcdef", keep_order="1", htmx=True)
    response = check(student_client, exercise, CORRECT, attempt=2, htmx=True)
    html = response.content.decode()
    assert "Correct!" in html
    assert "15 of 15 pairs in order" in html
    assert "Solved in 2 tries." in html
    assert EXPLANATION_START in html
    assert "Check order" not in html  # solved: the list is shown as it is
    assert "Show answer" not in html
    attempts = OrderingAttempt.objects.filter(user=student, exercise=exercise)
    assert [(a.number, a.pairs_in_order, a.is_correct) for a in attempts] == [(1, 9, False), (2, 15, True)]


def test_first_try_correct_says_one_try(student_client, exercise):
    html = check(student_client, exercise, CORRECT, htmx=True).content.decode()
    assert "Solved in 1 try." in html


def test_plain_post_redirects_and_the_page_shows_the_latest_order_and_result(student_client, diffusion, exercise):
    response = check(student_client, exercise, "bdcfea")
    assert response.status_code == 302
    assert response["Location"] == f"{diffusion.get_absolute_url()}#ordering-{exercise.pk}"
    html = article(lesson_page(student_client, diffusion), exercise)
    assert item_labels(html) == list("bdcfea")
    assert "14 of 15 pairs in order" in html
    assert "Attempt 1" in html
    check(student_client, exercise, "bdcfae", attempt=2)
    html = article(lesson_page(student_client, diffusion), exercise)
    assert "Correct!" in html
    assert "Attempt 2" in html


def test_positions_from_the_selects_are_read_as_an_order(student_client, student, exercise):
    positions = {f"position-{label}": str(CORRECT.index(label) + 1) for label in DISPLAY}
    response = check(student_client, exercise, DISPLAY, moved="", **positions)  # the hidden inputs are ignored
    assert response.status_code == 302
    assert OrderingAttempt.objects.get(user=student).order == CORRECT


def test_the_other_students_attempts_are_not_shown(student_client, other_student, diffusion, exercise):
    other = Client()
    other.force_login(other_student)
    check(other, exercise, "bdcfea")
    html = article(lesson_page(student_client, diffusion), exercise)
    assert item_labels(html) == DISPLAY
    assert "pairs in order" not in html


# ---------------------------------------------------------------- untouched list


@pytest.mark.parametrize("htmx", [True, False])
def test_untouched_list_is_not_checked_by_accident(student_client, exercise, htmx):
    response = check(student_client, exercise, DISPLAY, moved="", htmx=htmx)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have not moved anything yet" in html
    assert "Keep this order" in html
    assert item_labels(article(html, exercise)) == DISPLAY
    if not htmx:
        assert "<h1>" in html  # the whole page, with the message next to the form
    assert not OrderingAttempt.objects.exists()


def test_untouched_selects_need_keep_this_order(student_client, student, exercise):
    positions = {f"position-{label}": str(i) for i, label in enumerate(DISPLAY, start=1)}
    response = check(student_client, exercise, DISPLAY, moved="", **positions)
    assert "You have not moved anything yet" in response.content.decode()
    assert not OrderingAttempt.objects.exists()
    response = check(student_client, exercise, DISPLAY, moved="", keep_order="1", **positions)
    assert response.status_code == 302
    assert OrderingAttempt.objects.get(user=student).order == DISPLAY


def test_after_a_try_the_shown_order_is_the_last_one(student_client, exercise):
    check(student_client, exercise, "bdcfea")
    response = check(student_client, exercise, "bdcfea", attempt=2, moved="", htmx=True)
    assert "You have not moved anything yet" in response.content.decode()
    assert OrderingAttempt.objects.count() == 1


def test_same_position_twice_is_shown_with_the_students_choices(student_client, exercise):
    positions = {f"position-{label}": str(i) for i, label in enumerate(DISPLAY, start=1)}
    positions["position-c"] = "1"
    html = check(student_client, exercise, DISPLAY, moved="", **positions).content.decode()
    assert "(a) and (c) are both at position 1" in html
    select_c = re.search(r'name="position-c">(.*?)</select>', html, re.S).group(1)
    assert '<option value="1" selected>' in select_c
    assert not OrderingAttempt.objects.exists()


# ---------------------------------------------------------------- bad input


@pytest.fixture
def other_exercise(exercise):
    """An exercise of another lesson whose labels include one the diffusion exercise lacks."""
    course = Course.objects.create(title="Other", slug="other")
    lesson = Lesson.objects.create(course=course, slug="other-lesson", title="Other lesson")
    other = OrderingExercise.objects.create(lesson=lesson, title="Other", prompt="Order these.")
    for i, label in enumerate("abg", start=1):
        OrderingItem.objects.create(exercise=other, label=label, text=label, display_position=i, correct_position=i)
    return other


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"order": list("bdcfa")}, "(e) is missing"),
        ({"order": list("bdcfaee")}, "(e) was sent twice"),
        ({"order": list("bdcfag")}, "(g) is not a stage of this exercise"),
        ({"order": ["b" * 5000, *"dcfae"]}, "is not a stage of this exercise"),
        ({"order": list("bdcfae") * 40}, "Too many items were sent"),
        ({"order": []}, "No order was sent"),
        ({"order": CORRECT, "attempt": ""}, "missing its attempt number"),
        ({"order": CORRECT, "attempt": "-1"}, "missing its attempt number"),
        ({"order": CORRECT, "attempt": "x"}, "missing its attempt number"),
        ({**{f"position-{c}": str(i) for i, c in enumerate("abcde", 1)}}, "(f) is missing"),
        ({**{f"position-{c}": str(i) for i, c in enumerate("abcdef", 1)}, "position-g": "1"}, "(g) is not a stage"),
        ({**{f"position-{c}": str(i) for i, c in enumerate("abcdef", 1)}, "position-a": "7"}, "from 1 to 6"),
        ({**{f"position-{c}": str(i) for i, c in enumerate("abcdef", 1)}, "position-a": "one"}, "from 1 to 6"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_input_is_refused_with_400_and_nothing_is_stored(
    student_client, exercise, other_exercise, data, message, htmx
):
    payload = {"attempt": "1", "moved": "1", **data}
    headers = {"HX-Request": "true"} if htmx else {}
    response = student_client.post(reverse("ordering_check", args=[exercise.pk]), payload, headers=headers)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was saved." in html
    assert 'class="message message-error"' in html  # htmx puts this into #alerts
    assert not OrderingAttempt.objects.exists()


def test_more_fields_than_django_accepts_is_a_400(student_client, exercise):
    response = check(student_client, exercise, ["a"] * 2000)
    assert response.status_code == 400
    assert "nothing was changed" in response.content.decode()
    assert not OrderingAttempt.objects.exists()


def test_forged_exercise_id_is_404(student_client, exercise):
    missing = OrderingExercise.objects.order_by("-pk").first().pk + 1000
    assert check(student_client, exercise.__class__(pk=missing), CORRECT).status_code == 404
    response = student_client.post(reverse("ordering_reveal", args=[missing]))
    assert response.status_code == 404
    assert not OrderingAttempt.objects.exists()


def test_unpublished_lesson_is_404(student_client, diffusion, exercise):
    Lesson.objects.filter(pk=diffusion.pk).update(published=False)
    assert check(student_client, exercise, CORRECT).status_code == 404
    assert student_client.post(reverse("ordering_reveal", args=[exercise.pk])).status_code == 404
    assert not OrderingAttempt.objects.exists()
    assert not OrderingReveal.objects.exists()


def test_get_on_the_post_urls_is_405(student_client, exercise):
    assert student_client.get(reverse("ordering_check", args=[exercise.pk])).status_code == 405
    assert student_client.get(reverse("ordering_reveal", args=[exercise.pk])).status_code == 405


def test_anonymous_is_sent_to_log_in(client, exercise):
    response = check(client, exercise, CORRECT)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not OrderingAttempt.objects.exists()


# ---------------------------------------------------------------- double clicks and stale pages


def test_double_click_records_one_attempt(student_client, student, exercise):
    first = check(student_client, exercise, "bdcfea", htmx=True)
    second = check(student_client, exercise, "abcdef", keep_order="1", htmx=True)  # same attempt number
    assert first.status_code == second.status_code == 200
    assert "14 of 15 pairs in order" in second.content.decode()
    assert list(OrderingAttempt.objects.filter(user=student).values_list("number", "order")) == [(1, list("bdcfea"))]


def test_a_number_that_skips_ahead_is_refused(student_client, exercise):
    response = check(student_client, exercise, CORRECT, attempt=3, htmx=True)
    assert response.status_code == 409
    assert "reload it" in response.content.decode()
    assert not OrderingAttempt.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_double_click_is_settled_by_the_database(student, diffusion):
    exercise = diffusion.ordering_exercises.get()
    barrier = threading.Barrier(4)
    statuses = []

    def click():
        client = Client()
        client.force_login(student)
        barrier.wait(timeout=RACE_TIMEOUT)
        statuses.append(check(client, exercise, "bdcfea", htmx=True).status_code)

    run_together(*[click] * 4)
    assert statuses == [200] * 4
    assert OrderingAttempt.objects.filter(user=student).count() == 1


# ---------------------------------------------------------------- show answer


def test_show_answer_needs_a_try_first(student_client, exercise):
    response = student_client.post(reverse("ordering_reveal", args=[exercise.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "Check your order at least once" in response.content.decode()
    assert not OrderingReveal.objects.exists()


def test_show_answer_after_a_try_shows_and_records_it(student_client, student, diffusion, exercise):
    check(student_client, exercise, "bdcfea")
    url = reverse("ordering_reveal", args=[exercise.pk])
    response = student_client.post(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    answer = re.search(r'<div class="ordering-answer">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r'<span class="item-label">\((\w)\)</span>', answer) == CORRECT
    assert EXPLANATION_START in html
    assert "Show answer" not in html
    assert student_client.post(url).status_code == 302  # again, without htmx
    assert OrderingReveal.objects.filter(user=student, exercise=exercise).count() == 1
    assert EXPLANATION_START in lesson_page(student_client, diffusion)  # kept on reload


# ---------------------------------------------------------------- query counts


def make_ordering_lesson(slug, *, exercises, items):
    course, _ = Course.objects.get_or_create(title="Sized course", defaults={"slug": "sized-course"})
    lesson = Lesson.objects.create(course=course, slug=slug, title=slug, position=Lesson.objects.count() + 1)
    labels = string.ascii_lowercase[:items]
    for e in range(1, exercises + 1):
        exercise = OrderingExercise.objects.create(lesson=lesson, position=e, title=f"Order {e}", prompt="Order.")
        OrderingItem.objects.bulk_create(
            OrderingItem(exercise=exercise, label=label, text=f"Item {label}", display_position=i, correct_position=n)
            for i, (n, label) in enumerate(zip(range(items, 0, -1), labels, strict=True), start=1)
        )
    return lesson


def play(client, lesson, *, tries, reveal=True):
    for exercise in lesson.ordering_exercises.all():
        labels = list(exercise.items.order_by("display_position").values_list("label", flat=True))
        for number in range(1, tries + 1):
            check(client, exercise, labels[number % len(labels) :] + labels[: number % len(labels)], attempt=number)
        if reveal:
            client.post(reverse("ordering_reveal", args=[exercise.pk]))


def measure(client, lesson, *, tries):
    """Queries for the page, a check and a reveal, after ``tries`` tries on every exercise of the lesson."""
    exercise = lesson.ordering_exercises.first()
    client.get(lesson.get_absolute_url())  # warm: the content and the student's records are cached
    with CaptureQueriesContext(connection) as page:
        response = client.get(lesson.get_absolute_url())
    assert response.content.decode().count('<article class="ordering"') == lesson.ordering_exercises.count()
    wrong = exercise.correct_labels()[::-1]  # not solved at either size: the same path is measured
    with CaptureQueriesContext(connection) as checked:
        response = check(client, exercise, wrong, attempt=tries + 1, htmx=True)
    assert "pairs in order" in response.content.decode() and "Not yet" in response.content.decode()
    with CaptureQueriesContext(connection) as revealed:
        response = client.post(reverse("ordering_reveal", args=[exercise.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(page), len(checked), len(revealed)


def test_query_counts_do_not_grow_with_data(student_client, other_student):
    other = Client()
    other.force_login(other_student)
    small = make_ordering_lesson("small", exercises=2, items=3)  # two, so one reveal does not finish the lesson
    large = make_ordering_lesson("large", exercises=6, items=12)
    for lesson, tries in [(small, 1), (large, 8)]:
        play(other, lesson, tries=tries)
    play(student_client, small, tries=0, reveal=False)
    play(student_client, large, tries=7, reveal=False)
    small_counts = measure(student_client, small, tries=0)
    large_counts = measure(student_client, large, tries=7)
    assert small_counts == large_counts
    page, checked, revealed = large_counts
    # check: session, user, exercise, items, latest, count, savepoint, insert, the kept progress row
    # (create if missing, lock, recompute in one query, write), release, latest again
    assert checked <= 14 + budgets.LTI_SCORE_CHECK
    # session, user, exercise, items, any try, savepoint, get_or_create (savepoint, get, insert), ...,
    # and the kept progress row (4 queries, as for a check) and whether an LMS gradebook wants the new progress
    assert revealed <= 16 + budgets.LTI_SCORE_CHECK + budgets.FIRST_REVIEW + budgets.REVIEW_NOTE
    assert page <= 21  # the whole practice page; the ordering part is one query for every exercise
