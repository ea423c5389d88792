"""Flashcards on Postgres: the double-submit race, the due index, fixed query budgets."""

import threading
from datetime import timedelta
from functools import partial

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import CardState, CardStateKind, Flashcard, Rating, ReviewLog, StudentSettings
from lessons.selectors import review_queue as queue
from lessons.services import review as services
from tests import budgets
from tests.threads import RACE_TIMEOUT, run_together

pytestmark = pytest.mark.postgres


def race(target, count=2):
    """Run ``target`` in ``count`` threads released together; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=RACE_TIMEOUT)
            results[index] = target()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error

    run_together(*[partial(run, i) for i in range(count)])
    return results


@pytest.mark.django_db(transaction=True)
def test_two_threads_rating_the_same_card_count_once(make_user, make_lesson):
    student = make_user("racer")
    cards = list(make_lesson("race", size=4).flashcards.all())
    for round_number, card in enumerate(cards):
        services.review_reveal(user=student, card=card)
        if round_number % 2:  # half the rounds race on an existing state, half on a new card's first rating
            state, _ = services.review_record(user=student, card=card, rating=Rating.AGAIN, version=0)
            services.review_reveal(user=student, card=card)
            version = state.version
        else:
            version = 0
        logs_before = ReviewLog.objects.filter(card=card).count()

        def rate(card=card, version=version):
            return services.review_record(user=student, card=card, rating=Rating.GOOD, version=version)

        results = race(rate)
        refused = [r for r in results if isinstance(r, ApplicationError)]
        done = [r for r in results if isinstance(r, tuple)]
        assert len(done) == 1 and len(refused) == 1, results
        assert "already rated" in refused[0].message
        assert ReviewLog.objects.filter(card=card).count() == logs_before + 1
        assert CardState.objects.get(user=student, card=card).version == version + 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_undoing_the_same_rating_undo_it_once(make_user, make_lesson):
    student = make_user("undoer")
    card = make_lesson("undo-race", size=1).flashcards.get()
    services.review_reveal(user=student, card=card)
    _, log = services.review_record(user=student, card=card, rating=Rating.GOOD, version=0)
    results = race(lambda: services.review_undo(user=student, log_id=log.pk))
    assert sum(isinstance(r, ApplicationError) for r in results) == 1
    assert not CardState.objects.filter(user=student).exists()


@pytest.mark.django_db
def test_the_due_query_uses_the_partial_index_on_user_and_due(make_lesson):
    """A realistic table, analysed: the planner picks the (user, due) index by itself.

    One long-time student with 4,000 cards spread over the next three years (a handful due today)
    among 300 students with 40 cards each: 16,000 states. No ``enable_seqscan=off``: with
    statistics, the index range on (user, due) is the cheapest plan, which is what production sees.
    """
    many = list(make_lesson("many", size=4000).flashcards.all())
    few = many[:40]
    users = User.objects.bulk_create(User(username=f"u{i}") for i in range(301))
    heavy, others = users[0], users[1:]
    now = timezone.now()

    def state(user, card, due):
        return CardState(
            user=user,
            card=card,
            state=CardStateKind.REVIEW,
            stability=5,
            difficulty=5,
            due=due,
            last_review=now - timedelta(days=3),
            reps=3,
        )

    rows = [state(heavy, card, now + timedelta(hours=(c * 37) % 26000 - 20)) for c, card in enumerate(many)]
    rows += [
        state(user, card, now + timedelta(hours=(u * 7 + c * 13) % 2000 - 20))
        for u, user in enumerate(others)
        for c, card in enumerate(few)
    ]
    CardState.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        # Every table the due query reads, as autovacuum leaves them: unanalysed, the planner guesses that
        # few cards are live (archived_at IS NULL) and starts from the cards instead of the student's states.
        cursor.execute("ANALYZE lessons_cardstate, lessons_flashcard, lessons_lesson")
    study_settings = StudentSettings.objects.for_user(heavy)
    zone = study_settings.zone
    start = queue.day_start(now, zone=zone, rollover_hour=4)
    end = queue.next_day_start(start, zone=zone, rollover_hour=4)
    due = CardState.objects.published().due_for(heavy, now=now, day_end=end)
    assert 0 < due.count() < 20
    for plan in (due[:1].explain(), due.explain(), due[:20].explain()):
        assert "cardstate_user_due" in plan, plan


# ---------------------------------------------------------------- query budgets at two sizes


def _fill(student, lessons, *, reviews):
    """Give the student states and a history on every card of the lessons (more data, same queries)."""
    now = timezone.now()
    for lesson in lessons:
        for card in lesson.flashcards.all()[1:]:
            services.review_reveal(user=student, card=card, revealed_at=now - timedelta(days=10, seconds=5))
            state, _ = services.review_record(
                user=student, card=card, rating=Rating.EASY, version=0, reviewed_at=now - timedelta(days=10)
            )
            for i in range(reviews):
                at = now - timedelta(days=9 - i)
                services.review_reveal(user=student, card=card, revealed_at=at - timedelta(seconds=5))
                state, _ = services.review_record(
                    user=student, card=card, rating=Rating.GOOD, version=state.version, reviewed_at=at
                )
            CardState.objects.filter(pk=state.pk).update(due=now - timedelta(minutes=5))


def _measure(client, student, lesson, htmx):
    """Queries of each page and action the flashcards feature serves, by name."""
    card = lesson.flashcards.first()  # kept new: its first reveal and rating
    counts = {}

    def count(name, method, url, data=None, headers=None):
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(url, data or {}, headers=headers or {})
        assert response.status_code in (200, 302, 409), (name, response.status_code)
        counts[name] = len(ctx)

    count("practice page", "get", lesson.get_absolute_url())
    count("review page", "get", reverse("review"))
    count("progress page", "get", reverse("progress"))
    count("settings page", "get", reverse("study_settings"))
    count("home", "get", "/")
    count("print", "get", reverse("flashcards_print", args=[lesson.slug]))
    count("anki deck", "get", reverse("flashcards_apkg", args=[lesson.slug]))
    count("reveal (htmx, review)", "post", reverse("flashcard_reveal", args=[card.pk]), {"next": "review"}, htmx)
    head = Flashcard.objects.get(pk=card.pk)
    state = CardState.objects.filter(user=student, card=head).first()
    version = state.version if state else 0
    count(
        "rate (htmx, review)",
        "post",
        reverse("flashcard_rate", args=[head.pk]),
        {"rating": 3, "version": version, "next": "review"},
        htmx,
    )
    log = ReviewLog.objects.filter(user=student).latest("reviewed_at")
    count("undo (htmx, review)", "post", reverse("review_undo", args=[log.pk]), {"next": "review"}, htmx)
    count("reveal (plain)", "post", reverse("flashcard_reveal", args=[card.pk]), {"next": "lesson"})
    count("rate (htmx, lesson)", "post", reverse("flashcard_rate", args=[card.pk]), {"rating": 4, "version": 0}, htmx)
    count("rate (plain, stale)", "post", reverse("flashcard_rate", args=[card.pk]), {"rating": 4, "version": 0})
    return counts


# Measured at both sizes (including the savepoints of atomic blocks); the budget is the measure.
# Each includes reading the session from Postgres (one query; sessions do not depend on Redis).
BUDGETS = {
    "practice page": budgets.PRACTICE_PAGE,
    # the queue is one statement, and its first card with its lesson (or, when nothing is left, "next card due at")
    "review page": 7,
    "progress page": 8,
    "settings page": 5,  # main's 3, the latest parameter fit, the lessons with review switches (issue 18)
    "home": budgets.HOME,
    "print": 4,
    "anki deck": 4,  # as the print layout: the lesson, its live cards
    "reveal (htmx, review)": 9,
    # every rating rewrites the kept progress row (4: create, lock, recompute, write) and checks the LMS link
    "rate (htmx, review)": 20 + budgets.LTI_SCORE_CHECK,
    "undo (htmx, review)": 18 + budgets.LTI_SCORE_CHECK,  # likewise
    "reveal (plain)": 4,
    "rate (htmx, lesson)": 24 + budgets.LTI_SCORE_CHECK,  # likewise
    "rate (plain, stale)": 8,
}


@pytest.mark.django_db
def test_query_counts_are_fixed_whatever_the_amount_of_data(make_user, make_lesson, django_assert_max_num_queries):
    from django.test import Client

    small_user, big_user = make_user("small"), make_user("big")
    small = make_lesson("small", size=3)
    big = make_lesson("big", size=40)
    extra = [make_lesson(f"extra{i}", size=20) for i in range(3)]
    _fill(small_user, [small], reviews=1)
    _fill(big_user, [big, *extra], reviews=4)
    measured = {}
    for user, lesson in ((small_user, small), (big_user, big)):
        client = Client()
        client.force_login(user)
        measured[user.username] = _measure(client, user, lesson, {"HX-Request": "true"})
    assert ReviewLog.objects.filter(user=big_user).count() > 20 * ReviewLog.objects.filter(user=small_user).count()
    assert measured["small"] == measured["big"]
    for name, budget in BUDGETS.items():
        assert measured["big"][name] <= budget, (name, measured["big"])
    # and through pytest-django's own guard, at the big size
    client = Client()
    client.force_login(big_user)
    with django_assert_max_num_queries(BUDGETS["review page"]):
        client.get(reverse("review"))
