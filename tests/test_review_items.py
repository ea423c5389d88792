"""Issue 18, first half: self-check questions and ordering exercises are review items, scheduled by the same FSRS
code as flashcards in the same CardState / ReviewLog tables, and come back in /review/."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import (
    CardState,
    CardStateKind,
    Flashcard,
    ItemKind,
    Lesson,
    Rating,
    ReviewLog,
    ReviewOptOut,
    StudentSettings,
)
from lessons.selectors import review_queue as queue
from lessons.selectors.lesson_progress import progress_differences
from tests import factory

pytestmark = pytest.mark.django_db

CORRECT = list(factory.CORRECT)  # the made exercise's correct order (items shown a-f)


def questions_lesson(slug="q-lesson", *, questions=1, cards=0, ordering=False):
    return factory.make_lesson(slug=slug, questions=questions, cards=cards, ordering=ordering, prediction=False)


def answer(client, question, verdict="got_it", text="my answer"):
    """Reveal and judge a question on the practice page, as a student does."""
    client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer_text": text})
    return client.post(reverse("selfcheck_judge", args=[question.pk]), {"verdict": verdict})


def check(client, exercise, order, number):
    return client.post(
        reverse("ordering_check", args=[exercise.pk]), {"attempt": number, "order": order, "keep_order": "1"}
    )


def wrong(order=CORRECT):
    return list(reversed(order))


def state_of(user, **which):
    return CardState.objects.get(user=user, **which)


def make_due(user, **which):
    """Move the item's due time into the past: it comes back now."""
    CardState.objects.filter(user=user, **which).update(due=timezone.now() - timedelta(minutes=1))


def no_learn_ahead(user):
    StudentSettings.objects.update_or_create(user=user, defaults={"learn_ahead_minutes": 0})


def review_page(client):
    response = client.get(reverse("review"))
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- the model


def test_exactly_one_item_per_state_and_one_state_per_student_and_item(student):
    lesson = questions_lesson(ordering=True, cards=1)
    question, exercise, card = lesson.questions.get(), lesson.ordering_exercises.get(), lesson.flashcards.get()
    due = timezone.now()
    memory = factory.first_memory()
    state = CardState.objects.create(user=student, question=question, state=CardStateKind.LEARNING, due=due, **memory)
    assert state.kind == ItemKind.QUESTION and state.item == question
    for bad in ({}, {"card": card, "exercise": exercise}, {"question": question}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CardState.objects.create(user=student, state=CardStateKind.LEARNING, due=due, **memory, **bad)


@pytest.mark.parametrize("missing", ["stability", "difficulty"])
def test_the_database_refuses_a_state_without_a_memory(student, missing):
    # No rating writes one; fsrs cannot schedule from it (a hand-made one once gave /plan/ a 500).
    card = questions_lesson(cards=1).flashcards.get()
    memory = {**factory.first_memory(), missing: None}
    with pytest.raises(IntegrityError, match="cardstate_scheduled_has_memory"), transaction.atomic():
        CardState.objects.create(user=student, card=card, state=CardStateKind.REVIEW, due=timezone.now(), **memory)


@pytest.mark.postgres  # the set-up drops the constraint, which SQLite's ALTER TABLE cannot do
def test_migration_0013_forgets_states_without_a_memory_and_rewrites_their_progress(student):
    migration = importlib.import_module("lessons.migrations.0013_cardstate_scheduled_has_memory")
    with connection.cursor() as cursor:  # as before 0013 (the test's transaction is rolled back)
        cursor.execute("ALTER TABLE lessons_cardstate DROP CONSTRAINT cardstate_scheduled_has_memory")
    lesson = questions_lesson(cards=2)
    rated, by_hand = lesson.flashcards.all()
    factory.review(student, rated, Rating.GOOD)
    now = timezone.now()
    state = CardState.objects.create(user=student, card=by_hand, state=CardStateKind.REVIEW, due=now, last_review=now)
    factory.synced(state, student, lesson)  # both cards count as studied: the flashcards are done
    migration.forget_memoryless_states(apps, None)
    assert list(CardState.objects.filter(user=student).values_list("card", flat=True)) == [rated.pk]
    assert not progress_differences([lesson])


# ---------------------------------------------------------------- first tries on the practice page


@pytest.mark.parametrize(
    ("verdict", "rating"), [("got_it", Rating.GOOD), ("partly", Rating.HARD), ("missed", Rating.AGAIN)]
)
def test_a_first_verdict_is_the_questions_first_review_with_its_rating(student, student_client, verdict, rating):
    question = questions_lesson().questions.get()
    answer(student_client, question, verdict)
    log = ReviewLog.objects.get(user=student, question=question)
    assert (log.rating, log.practice, log.state_before) == (rating, False, None)
    state = state_of(student, question=question)
    assert state.reps == 1 and state.kind == ItemKind.QUESTION


@pytest.mark.parametrize(
    ("tries", "reveal", "rating"),
    [(1, False, Rating.GOOD), (3, False, Rating.HARD), (1, True, Rating.AGAIN)],
    ids=["solved-first", "solved-after-tries", "revealed"],
)
def test_an_ordering_exercises_first_try_is_its_first_review(student, student_client, tries, reveal, rating):
    exercise = questions_lesson(questions=0, ordering=True).ordering_exercises.get()
    for number in range(1, tries):
        check(student_client, exercise, wrong(), number)
    assert not CardState.objects.filter(user=student, exercise=exercise).exists(), "not before it is solved"
    if reveal:
        check(student_client, exercise, wrong(), 1)
        student_client.post(reverse("ordering_reveal", args=[exercise.pk]))
    else:
        check(student_client, exercise, CORRECT, tries)
    (log,) = ReviewLog.objects.filter(user=student, exercise=exercise)
    assert (log.rating, log.practice) == (rating, False)
    assert state_of(student, exercise=exercise).reps == 1


def test_later_tries_on_the_practice_page_are_practice_and_leave_the_schedule(student, student_client):
    lesson = questions_lesson(ordering=True)
    question, exercise = lesson.questions.get(), lesson.ordering_exercises.get()
    answer(student_client, question, "missed")
    check(student_client, exercise, wrong(), 1)
    student_client.post(reverse("ordering_reveal", args=[exercise.pk]))
    before = {
        kind: state_of(student, **{kind: item}) for kind, item in (("question", question), ("exercise", exercise))
    }

    answer(student_client, question, "got_it")  # a change of mind
    check(student_client, exercise, CORRECT, 2)  # solved after seeing the answer

    for kind, item in (("question", question), ("exercise", exercise)):
        after = state_of(student, **{kind: item})
        assert (after.due, after.version, after.reps, after.stability) == (
            before[kind].due,
            before[kind].version,
            before[kind].reps,
            before[kind].stability,
        )
        logs = list(ReviewLog.objects.filter(user=student, **{kind: item}).order_by("reviewed_at"))
        assert [(log.rating, log.practice) for log in logs] == [(Rating.AGAIN, False), (logs[1].rating, True)]
    assert ReviewLog.objects.get(user=student, question=question, practice=True).rating == Rating.GOOD


# ---------------------------------------------------------------- in /review/


def test_a_question_comes_back_when_due_and_is_reviewed_in_review(student, student_client):
    question = questions_lesson().questions.get()
    no_learn_ahead(student)
    answer(student_client, question, "got_it")
    assert "Nothing due." in review_page(student_client), "not due yet (its learning step is 10 minutes)"

    make_due(student, question=question)
    html = review_page(student_client)
    assert "Question 1?" in html and "Show answer" in html and "Answer 1." not in html
    state = state_of(student, question=question)
    response = student_client.post(
        reverse("review_question_reveal", args=[question.pk]), {"answer_text": "from memory", "version": state.version}
    )
    assert response.status_code == 302
    html = review_page(student_client)
    assert "Answer 1." in html and "from memory" in html
    assert all(label in html for label in ("Got it", "Partly", "Missed"))

    response = student_client.post(
        reverse("review_question_rate", args=[question.pk]), {"verdict": "partly", "version": state.version}
    )
    assert response.status_code == 302
    log = ReviewLog.objects.filter(user=student, question=question).latest("reviewed_at")
    assert (log.rating, log.practice, log.state_before) == (Rating.HARD, False, CardStateKind.LEARNING)
    assert state_of(student, question=question).reps == 2
    # A second click of the same form is refused as stale and changes nothing.
    again = student_client.post(
        reverse("review_question_rate", args=[question.pk]), {"verdict": "partly", "version": state.version}
    )
    assert again.status_code == 409
    assert ReviewLog.objects.filter(user=student, question=question).count() == 2


def test_rating_a_question_needs_its_answer_shown(student, student_client):
    question = questions_lesson().questions.get()
    answer(student_client, question)
    make_due(student, question=question)
    version = state_of(student, question=question).version
    response = student_client.post(
        reverse("review_question_rate", args=[question.pk]), {"verdict": "got_it", "version": version}
    )
    assert response.status_code == 409 and b"Show the answer" in response.content
    assert ReviewLog.objects.filter(user=student, question=question).count() == 1


def _review_exercise(student, student_client):
    exercise = questions_lesson(questions=0, ordering=True).ordering_exercises.get()
    check(student_client, exercise, CORRECT, 1)  # first review: Good
    make_due(student, exercise=exercise)
    return exercise, state_of(student, exercise=exercise).version


def test_an_exercise_comes_back_shuffled_anew_and_solved_first_time_is_good(student, student_client):
    exercise, version = _review_exercise(student, student_client)
    html = review_page(student_client)
    assert "Put the stages in order" in html and "Check order" in html
    shown = [html.index(f'data-label="{label}"') for label in CORRECT]
    assert shown != sorted(shown), "the stages are not shown in the right order"
    reload = review_page(student_client)
    assert [reload.index(f'data-label="{label}"') for label in CORRECT] == shown, "seeded: the same on a reload"
    response = student_client.post(
        reverse("review_exercise_check", args=[exercise.pk]),
        {"attempt": 1, "order": CORRECT, "version": version},
    )
    assert response.status_code == 302
    log = ReviewLog.objects.filter(user=student, exercise=exercise).latest("reviewed_at")
    assert (log.rating, log.practice) == (Rating.GOOD, False)
    assert "solved at the first check (Good)" in review_page(student_client)


def test_an_exercise_solved_after_tries_in_review_is_hard(student, student_client):
    exercise, version = _review_exercise(student, student_client)
    url = reverse("review_exercise_check", args=[exercise.pk])
    student_client.post(url, {"attempt": 1, "order": wrong(), "version": version})
    html = review_page(student_client)
    assert "Not yet" in html and "Keep" in html and "Move" in html
    assert ReviewLog.objects.filter(user=student, exercise=exercise).count() == 1, "no rating until it is solved"
    student_client.post(url, {"attempt": 1, "order": wrong(), "version": version})  # a double click: ignored
    student_client.post(url, {"attempt": 2, "order": CORRECT, "version": version})
    log = ReviewLog.objects.filter(user=student, exercise=exercise).latest("reviewed_at")
    assert (log.rating, log.practice) == (Rating.HARD, False)


def test_an_exercise_revealed_in_review_is_again_after_its_answer_is_shown(student, student_client):
    exercise, version = _review_exercise(student, student_client)
    reveal = reverse("review_exercise_reveal", args=[exercise.pk])
    assert student_client.post(reveal, {"version": version}).status_code == 409, "check at least once first"
    student_client.post(
        reverse("review_exercise_check", args=[exercise.pk]), {"attempt": 1, "order": wrong(), "version": version}
    )
    student_client.post(reveal, {"version": version})
    html = review_page(student_client)
    assert "b -&gt; d -&gt; c -&gt; f -&gt; a -&gt; e" in html and "Continue" in html
    assert ReviewLog.objects.filter(user=student, exercise=exercise).count() == 1
    student_client.post(reverse("review_exercise_rate", args=[exercise.pk]), {"version": version})
    log = ReviewLog.objects.filter(user=student, exercise=exercise).latest("reviewed_at")
    assert (log.rating, log.practice, log.state_before) == (Rating.AGAIN, False, CardStateKind.LEARNING)


def test_a_fixable_order_in_review_is_shown_next_to_the_form(student, student_client):
    exercise, version = _review_exercise(student, student_client)
    positions = {f"position-{label}": "1" for label in CORRECT}
    response = student_client.post(
        reverse("review_exercise_check", args=[exercise.pk]), {"attempt": 1, "version": version, **positions}
    )
    assert response.status_code == 200 and b"Each position can be used once" in response.content
    assert ReviewLog.objects.filter(user=student, exercise=exercise).count() == 1


def test_htmx_gets_the_review_session_fragment(student, student_client, htmx_headers):
    question = questions_lesson().questions.get()
    answer(student_client, question)
    make_due(student, question=question)
    version = state_of(student, question=question).version
    response = student_client.post(
        reverse("review_question_reveal", args=[question.pk]), {"version": version}, headers=htmx_headers
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="review-session"')
    assert "Answer 1." in html and "<html" not in html
    stale = student_client.post(
        reverse("review_question_rate", args=[question.pk]), {"verdict": "got_it", "version": 99}, headers=htmx_headers
    )
    assert stale.status_code == 409 and b"already rated" in stale.content and b"review-session" in stale.content


def test_undo_of_a_question_rating_in_review_restores_its_state(student, student_client):
    question = questions_lesson().questions.get()
    answer(student_client, question)
    make_due(student, question=question)
    before = state_of(student, question=question)
    student_client.post(reverse("review_question_reveal", args=[question.pk]), {"version": before.version})
    student_client.post(
        reverse("review_question_rate", args=[question.pk]), {"verdict": "missed", "version": before.version}
    )
    log = ReviewLog.objects.filter(user=student, question=question).latest("reviewed_at")
    response = student_client.post(reverse("review_undo", args=[log.pk]), {"next": "review"})
    assert response.status_code == 302
    after = state_of(student, question=question)
    assert (after.due, after.reps, after.state) == (before.due, before.reps, before.state)


def test_the_queue_interleaves_kinds_and_the_caps_count_them_all(student, student_client):
    lesson = questions_lesson(questions=2, ordering=True)
    first, second = lesson.questions.all()
    exercise = lesson.ordering_exercises.get()
    other = factory.make_lesson(slug="cards", questions=0, cards=2, ordering=True, prediction=False)
    factory.ordering_attempt(student, other.ordering_exercises.get(), wrong())  # starts it: its cards are new
    StudentSettings.objects.update_or_create(user=student, defaults={"new_cards_per_day": 3, "reviews_per_day": 2})
    answer(student_client, first)
    answer(student_client, second)
    check(student_client, exercise, CORRECT, 1)
    now = timezone.now()
    study_settings = StudentSettings.objects.for_user(student)
    q = queue.queue_for(student, now=now, study_settings=study_settings)
    assert q.new_limit == 0 and q.new_count == 0, "three first tries used up the three new items of the day"
    # All three due as Review items on an earlier day: they come back, two of them (the reviews cap).
    CardState.objects.filter(user=student).update(state=CardStateKind.REVIEW, due=now - timedelta(days=1))
    q = queue.queue_for(student, now=now, study_settings=study_settings)
    assert q.review_count == 2
    assert {q.head_kind} <= {"question", "exercise"}


def test_the_fsrs_csv_names_each_item_by_its_stable_id(student, student_client):
    lesson = questions_lesson(ordering=True)
    question, exercise = lesson.questions.get(), lesson.ordering_exercises.get()
    answer(student_client, question)
    check(student_client, exercise, CORRECT, 1)
    body = b"".join(student_client.get(reverse("reviews_csv")).streaming_content).decode()
    assert f"\n{question.uid},"[1:] in body and f"{exercise.uid}," in body
    assert "Question 1?" in body and "Put the stages in order" in body


# ---------------------------------------------------------------- settings


def test_switching_a_lessons_questions_out_of_review_hides_them_and_keeps_their_states(student, student_client):
    lesson = questions_lesson(ordering=True)
    question, exercise = lesson.questions.get(), lesson.ordering_exercises.get()
    answer(student_client, question)
    check(student_client, exercise, CORRECT, 1)
    make_due(student, question=question)
    make_due(student, exercise=exercise)
    settings_html = student_client.get(reverse("study_settings")).content.decode()
    assert "Review self-check questions" in settings_html and lesson.title in settings_html

    url = reverse("review_items_settings")
    response = student_client.post(url, {"lesson": [lesson.pk], "exercises": [lesson.pk]})  # questions unticked
    assert response.status_code == 302
    assert list(ReviewOptOut.objects.filter(user=student).values_list("kind", flat=True)) == ["question"]
    html = review_page(student_client)
    assert "Question 1?" not in html and "Put the stages in order" in html
    assert CardState.objects.filter(user=student, question=question).exists(), "nothing is deleted"

    student_client.post(url, {"lesson": [lesson.pk]})  # both off
    assert "Nothing due." in review_page(student_client)
    student_client.post(url, {"lesson": [lesson.pk], "questions": [lesson.pk], "exercises": [lesson.pk]})
    assert not ReviewOptOut.objects.filter(user=student).exists()
    html = review_page(student_client)
    assert "Question 1?" in html or "Put the stages in order" in html


def test_a_broken_switches_form_changes_nothing(student, student_client):
    lesson = questions_lesson()
    response = student_client.post(reverse("review_items_settings"), {"lesson": [str(lesson.pk), "1e9"]})
    assert response.status_code == 400 and not ReviewOptOut.objects.exists()


# ---------------------------------------------------------------- twin flashcards


def test_new_flashcards_of_a_lesson_wait_for_the_study_day_after_its_first_self_check_answer(student, student_client):
    lesson = questions_lesson(cards=2)
    answer(student_client, lesson.questions.get())
    study_settings = StudentSettings.objects.for_user(student)
    now = timezone.now()
    today = queue.queue_for(student, now=now, study_settings=study_settings)
    assert today.new_count == 0 and today.head_card is None
    tomorrow = queue.queue_for(student, now=now + timedelta(days=1), study_settings=study_settings)
    assert tomorrow.new_count == 2
    assert list(queue.new_cards(student, today_start=tomorrow.day_start)) == list(lesson.flashcards.all())


def test_the_twin_rule_holds_only_on_the_day_of_the_first_answer(student):
    lesson = questions_lesson(questions=2, cards=1)
    first, second = lesson.questions.all()
    factory.reveal(student, first, at=timezone.now() - timedelta(days=3))
    factory.reveal(student, second)  # another answer today: the lesson was not first answered today
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert q.new_count == 1


# ---------------------------------------------------------------- query budgets

# session, user, settings, the queue (one statement: counts, done today, new cards, the dates that matter; then the
# head with its item and lesson), the head's reveal or sitting, an exercise's stages, the last rating, ...
# (7 for a card or a question, 8 for an exercise).
REVIEW_PAGE_BUDGET = 8


def _world(student, size):
    """``size`` lessons, each with a question, an exercise and a card in review, all due."""
    client = Client()
    client.force_login(student)
    for n in range(size):
        lesson = factory.make_lesson(slug=f"budget-{size}-{n}", questions=1, cards=1, prediction=False)
        answer(client, lesson.questions.get())
        check(client, lesson.ordering_exercises.get(), CORRECT, 1)
    return client


@pytest.mark.parametrize("kind", ["question", "exercise", "card"])
def test_review_page_queries_do_not_grow_with_items_of_every_kind(
    student, other_student, kind, django_assert_max_num_queries
):
    counts = []
    for user, size in ((student, 2), (other_student, 8)):
        client = _world(user, size)
        now = timezone.now()
        CardState.objects.filter(user=user).update(state=CardStateKind.REVIEW, due=now + timedelta(days=5))
        # The head: one item of the wanted kind due; the others of every kind due too (later in the day order).
        CardState.objects.filter(user=user).exclude(**{f"{kind}__isnull": True}).update(due=now - timedelta(days=2))
        CardState.objects.filter(user=user, **{f"{kind}__isnull": True}).update(due=now - timedelta(days=1))
        if kind == "card":
            for card in Flashcard.objects.filter(lesson__slug__startswith=f"budget-{size}-"):
                CardState.objects.get_or_create(
                    user=user,
                    card=card,
                    defaults={"state": CardStateKind.REVIEW, "due": now - timedelta(days=2), **factory.first_memory()},
                )
        with django_assert_max_num_queries(REVIEW_PAGE_BUDGET) as captured:
            html = review_page(client)
        counts.append(len(captured))
        marker = {"question": "Show answer", "exercise": "Check order", "card": "card-front"}[kind]
        assert marker in html
    assert counts[0] == counts[1]


# session, user, the item with its lesson (and an exercise's stages), the write (settings, locks, the state,
# the log, savepoints, the version of the student's progress row on the lesson: the practice page's cached
# review notes), then the redrawn review session (its own budget above).
REVIEW_WRITE_BUDGET = 24  # measured: reveal 10, rate 17, a wrong check 19, the solving check 24


def test_review_writes_of_each_kind_have_bounded_queries(
    student, other_student, htmx_headers, django_assert_max_num_queries
):
    counts = []
    for user, size in ((student, 2), (other_student, 8)):
        client = _world(user, size)
        now = timezone.now()
        CardState.objects.filter(user=user).update(state=CardStateKind.REVIEW, due=now + timedelta(days=5))
        lesson = Lesson.objects.filter(slug__startswith=f"budget-{size}-").order_by("pk").first()
        question, exercise = lesson.questions.get(), lesson.ordering_exercises.get()
        CardState.objects.filter(user=user, question=question).update(due=now - timedelta(days=2))
        CardState.objects.filter(user=user, exercise=exercise).update(due=now - timedelta(days=1))
        sizes = []
        version = state_of(user, question=question).version
        for url, data in (
            (reverse("review_question_reveal", args=[question.pk]), {"version": version}),
            (reverse("review_question_rate", args=[question.pk]), {"verdict": "got_it", "version": version}),
        ):
            with django_assert_max_num_queries(REVIEW_WRITE_BUDGET) as captured:
                assert client.post(url, data, headers=htmx_headers).status_code == 200
            sizes.append(len(captured))
        version = state_of(user, exercise=exercise).version
        url = reverse("review_exercise_check", args=[exercise.pk])
        for number, order in ((1, wrong()), (2, CORRECT)):
            with django_assert_max_num_queries(REVIEW_WRITE_BUDGET) as captured:
                data = {"attempt": number, "order": order, "version": version}
                assert client.post(url, data, headers=htmx_headers).status_code == 200
            sizes.append(len(captured))
        assert [log.rating for log in ReviewLog.objects.filter(user=user, practice=False).order_by("-pk")[:2]] == [
            Rating.HARD,
            Rating.GOOD,
        ]
        counts.append(sizes)
    assert counts[0] == counts[1]
