"""Dates that matter: predicted recall on a date, the plan, items brought forward before the date (and not
after), the instructor's predicted-recall row, and bad input refused without changing anything."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lessons import scheduling
from lessons.models import CardState, CardStateKind, ClassLesson, ReviewLog, StudentExam, StudentSettings
from lessons.models.review import item_filter
from lessons.selectors import review_queue as queue
from tests import budgets, factory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CLOCK = scheduling.StudyClock()  # the site's zone (UTC) and rollover (4 am): the defaults a student has


def today():
    return CLOCK.date_of(timezone.now())


def put(user, item, *, stability, reviewed_days_ago, due_in_days, difficulty=5.0):
    """A Review-state item (any kind) last reviewed ``reviewed_days_ago`` study days ago, due ``due_in_days``
    from today."""
    day = today()
    return CardState.objects.create(
        user=user,
        **item_filter(item),
        state=CardStateKind.REVIEW,
        stability=stability,
        difficulty=difficulty,
        last_review=CLOCK.start_of(day - timedelta(days=reviewed_days_ago)) + timedelta(hours=10),
        due=CLOCK.start_of(day + timedelta(days=due_in_days)),
        reps=3,
        version=1,
    )


def by_hand(stability, days, parameters=scheduling.DEFAULT_PARAMETERS):
    """FSRS-6's forgetting curve: R(t) = (1 + F t / S) ** D, D = -w20, F = 0.9 ** (1 / D) - 1."""
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return (1 + factor * days / stability) ** decay


# ---------------------------------------------------------------- predicted recall


def test_predicted_recall_on_a_date_is_fsrs_retrievability_computed_by_hand(client):
    student = factory.make_user()
    lesson = factory.make_lesson(cards=1)
    state = put(student, lesson.flashcards.get(), stability=10.0, reviewed_days_ago=5, due_in_days=40)
    exam_day = today() + timedelta(days=15)
    memory = scheduling.MemoryState.of(state)

    expected = by_hand(10.0, 20)  # 5 study days so far + 15 to come
    assert scheduling.retrievability_on(memory, exam_day, clock=CLOCK) == pytest.approx(expected)
    # The student's fitted parameters are used when they have them: a faster decay, a different number.
    fitted = list(scheduling.DEFAULT_PARAMETERS)
    fitted[20] = 0.5
    assert scheduling.retrievability_on(memory, exam_day, parameters=fitted, clock=CLOCK) == pytest.approx(
        by_hand(10.0, 20, fitted)
    )

    StudentExam.objects.create(user=student, course=lesson.course, date=exam_day)
    client.force_login(student)
    page = client.get(reverse("exam_plan")).content.decode()
    assert f"Your exam: {lesson.course.title}" in page
    shown = 5 * round(20 * expected)  # shown rounded to the nearest 5%, never as a grade
    assert f"you would recall <strong>about {shown}%</strong> of the 1 item you have studied" in page
    assert "not a mark" in page


def test_with_fitted_parameters_the_page_uses_them(client):
    student = factory.make_user()
    lesson = factory.make_lesson(cards=1)
    put(student, lesson.flashcards.get(), stability=10.0, reviewed_days_ago=5, due_in_days=40)
    fitted = list(scheduling.DEFAULT_PARAMETERS)
    fitted[20] = 0.8
    StudentSettings.objects.create(user=student, fsrs_parameters=fitted)
    StudentExam.objects.create(user=student, course=lesson.course, date=today() + timedelta(days=15))
    client.force_login(student)
    page = client.get(reverse("exam_plan")).content.decode()
    assert f"about {5 * round(20 * by_hand(10.0, 20, fitted))}%</strong> of the 1 item" in page
    assert "parameters fitted to your own reviews" in page


# ---------------------------------------------------------------- the plan


def test_the_plan_counts_the_reviews_that_keep_every_item_above_the_retention(client):
    student = factory.make_user()
    lesson = factory.make_lesson(cards=3)
    safe, due_soon, at_risk = lesson.flashcards.all()
    day = today()
    exam_day = day + timedelta(days=5)
    # Reviewed yesterday with a long stability: kept above 90% past the exam, no review needed.
    put(student, safe, stability=60.0, reviewed_days_ago=1, due_in_days=59)
    # Due in two days, before the exam: its schedule asks for one review, which keeps it to the day.
    put(student, due_soon, stability=8.0, reviewed_days_ago=6, due_in_days=2)
    # Due after the exam but predicted under 90% on the day (fuzz pushed its date): brought forward once.
    put(student, at_risk, stability=4.0, reviewed_days_ago=2, due_in_days=9)
    StudentExam.objects.create(user=student, course=lesson.course, date=exam_day)

    assert by_hand(60.0, 6) >= 0.9
    assert by_hand(4.0, 7) < 0.9  # at risk on the day without another review
    projections = [
        scheduling.project(memory=scheduling.MemoryState.of(s), today=day, day=exam_day, clock=CLOCK)
        for s in CardState.objects.filter(user=student).order_by("card__position")
    ]
    assert [(p.reviews, p.advanced) for p in projections] == [(0, False), (1, False), (1, True)]
    assert all(p.retrievability >= 0.9 for p in projections)

    client.force_login(student)
    page = client.get(reverse("exam_plan")).content.decode()
    # 2 reviews over 5 days, today included: about 1 a day.
    assert "Plan: about 1 review a day</strong>" in page
    assert "(2 until then, of which 1 brought forward" in page
    assert "5 days left, today included" in page


def test_a_new_item_is_in_the_plan_with_its_learning_steps(client):
    student = factory.make_user()
    lesson = factory.make_lesson(cards=2)
    StudentExam.objects.create(user=student, course=lesson.course, date=today() + timedelta(days=30))
    per_new = scheduling.project(
        memory=scheduling.MemoryState(), today=today(), day=today() + timedelta(days=30), clock=CLOCK
    ).reviews
    assert per_new >= 3  # first rating, a learning step, then reviews until the day
    client.force_login(student)
    page = client.get(reverse("exam_plan")).content.decode()
    assert "2 new flashcards not studied yet" in page
    assert f"({2 * per_new} until then" in page


# ---------------------------------------------------------------- brought forward before the date, not after


def at_risk_world(exam_in_days, username="student"):
    student = factory.make_user(username)
    lesson = factory.make_lesson(cards=2)
    risky, later = lesson.flashcards.all()
    # Stability 4: kept above 90% for 4 days after a review; the exam is 3 days away, so a review today is
    # enough, and without one the item would be at about 85% on the day.
    state = put(student, risky, stability=4.0, reviewed_days_ago=3, due_in_days=exam_in_days + 2)
    put(student, later, stability=50.0, reviewed_days_ago=1, due_in_days=50)  # safe
    StudentExam.objects.create(user=student, course=lesson.course, date=today() + timedelta(days=exam_in_days))
    StudentSettings.objects.create(user=student, new_cards_per_day=0)
    return student, state


def test_an_item_at_risk_is_brought_forward_before_the_date_after_due_reviews():
    student, state = at_risk_world(3)
    study_settings = StudentSettings.objects.for_user(student)
    q = queue.queue_for(student, now=timezone.now(), study_settings=study_settings)
    assert (q.review_count, q.advanced_count) == (0, 1)
    assert q.head_state == state and q.head_advanced.day == today() + timedelta(days=3)
    # A due review comes first.
    other = factory.make_card(state.card.lesson)
    put(student, other, stability=3.0, reviewed_days_ago=3, due_in_days=0)
    q = queue.queue_for(student, now=timezone.now(), study_settings=study_settings)
    assert (q.review_count, q.advanced_count) == (1, 1) and q.head_state.card == other


def test_not_brought_forward_too_early_nor_beyond_the_daily_cap():
    student, _ = at_risk_world(20)  # a review today would not last 20 days: it waits for its window
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert q.advanced_count == 0
    student, _ = at_risk_world(3, "capped")
    StudentSettings.objects.filter(user=student).update(reviews_per_day=0)
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert q.advanced_count == 0


@pytest.mark.parametrize("exam_offset", [0, -1])
def test_on_and_after_the_date_scheduling_is_back_to_normal(exam_offset):
    student, _ = at_risk_world(3)
    StudentExam.objects.filter(user=student).update(date=today() + timedelta(days=exam_offset))
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert (q.advanced_count, q.head_card) == (0, None)


def test_a_class_expected_by_date_brings_items_forward_too():
    student, state = at_risk_world(3)
    StudentExam.objects.filter(user=student).delete()
    factory.make_class(factory.make_instructor(), [state.card.lesson], students=[student],
                       expected_by=today() + timedelta(days=3))  # fmt: skip
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert q.advanced_count == 1


def test_rating_a_brought_forward_item_in_review_is_a_real_review(client):
    student, state = at_risk_world(3)
    client.force_login(student)
    page = client.get(reverse("review")).content.decode()
    assert "Brought forward" in page and "1 brought forward" in page
    client.post(reverse("flashcard_reveal", args=[state.card_id]), {"next": "review"})
    page = client.get(reverse("review")).content.decode()
    assert ">Good<" in page or "Good" in page
    client.post(reverse("flashcard_rate", args=[state.card_id]), {"rating": 3, "version": 1, "next": "review"})
    log = ReviewLog.objects.get(user=student, card=state.card)
    assert log.practice is False and log.state_before == CardStateKind.REVIEW
    state.refresh_from_db()
    assert state.reps == 4 and state.stability > 4.0
    # Kept above the retention on the day now, so nothing more is brought forward.
    exam_day = today() + timedelta(days=3)
    assert scheduling.retrievability_on(scheduling.MemoryState.of(state), exam_day, clock=CLOCK) >= 0.9
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert q.advanced_count == 0


def test_a_self_check_question_is_brought_forward_and_reviewed_like_a_card(client):
    student = factory.make_user()
    lesson = factory.make_lesson(questions=1, cards=0, ordering=False, prediction=False)
    question = lesson.questions.get()
    state = put(student, question, stability=4.0, reviewed_days_ago=3, due_in_days=5)
    StudentExam.objects.create(user=student, course=lesson.course, date=today() + timedelta(days=3))
    q = queue.queue_for(student, now=timezone.now(), study_settings=StudentSettings.objects.for_user(student))
    assert (q.advanced_count, q.head_kind, q.head_state) == (1, "question", state)
    client.force_login(student)
    page = client.get(reverse("review")).content.decode()
    assert "1 brought forward" in page and "<strong>Brought forward</strong> for" in page
    client.post(reverse("review_question_reveal", args=[question.pk]), {"answer_text": "mine", "version": 1})
    client.post(reverse("review_question_rate", args=[question.pk]), {"verdict": "got_it", "version": 1})
    log = ReviewLog.objects.get(user=student, question=question)
    assert (log.practice, log.state_before) == (False, CardStateKind.REVIEW)
    state.refresh_from_db()
    assert state.reps == 4 and state.stability > 4.0


def test_rating_it_on_the_lesson_page_is_practice(client):
    student, state = at_risk_world(3)
    client.force_login(student)
    client.post(reverse("flashcard_reveal", args=[state.card_id]), {"next": "lesson"})
    client.post(reverse("flashcard_rate", args=[state.card_id]), {"rating": 3, "version": 1, "next": "lesson"})
    assert ReviewLog.objects.get(user=student, card=state.card).practice is True
    state.refresh_from_db()
    assert state.reps == 3


# ---------------------------------------------------------------- setting and removing an exam date


def test_setting_an_exam_date_and_moving_it(client):
    student = factory.make_user()
    lesson = factory.make_lesson()
    client.force_login(student)
    day = today() + timedelta(days=30)
    response = client.post(reverse("exam_plan"), {"course": lesson.course.pk, "date": day.isoformat()}, follow=True)
    assert f"Your exam in {lesson.course.title} is set for" in response.content.decode()
    assert StudentExam.objects.get(user=student).date == day
    client.post(reverse("exam_plan"), {"course": lesson.course.pk, "date": (day + timedelta(days=1)).isoformat()})
    assert list(StudentExam.objects.filter(user=student).values_list("date", flat=True)) == [day + timedelta(days=1)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "past"}, "Choose a date after today"),
        ({"date": "today"}, "Choose a date after today"),
        ({"date": "not a date"}, "Enter the date as year-month-day"),
        ({"course": 2_000_000_000}, "Choose one of the courses in the list."),
        ({"course": "unpublished"}, "Choose one of the courses in the list."),
    ],
)
def test_bad_exam_input_gets_a_clear_message_and_changes_nothing(client, data, message):
    student = factory.make_user()
    lesson = factory.make_lesson()
    hidden = factory.make_lesson(published=False, course=factory.make_course())
    client.force_login(student)
    dates = {"past": today() - timedelta(days=1), "today": today()}
    post = {"course": lesson.course.pk, "date": (today() + timedelta(days=9)).isoformat()}
    if "date" in data:
        post["date"] = dates[data["date"]].isoformat() if data["date"] in dates else data["date"]
    if "course" in data:
        post["course"] = hidden.course.pk if data["course"] == "unpublished" else data["course"]
    response = client.post(reverse("exam_plan"), post)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StudentExam.objects.exists()


def test_another_students_exam_date_cannot_be_removed(client):
    owner, other = factory.make_user("owner"), factory.make_user("other")
    lesson = factory.make_lesson()
    exam = StudentExam.objects.create(user=owner, course=lesson.course, date=today() + timedelta(days=9))
    client.force_login(other)
    response = client.post(reverse("exam_delete", args=[exam.pk]))
    assert response.status_code == 404
    assert "There is no such exam date of yours." in response.content.decode()
    assert StudentExam.objects.filter(pk=exam.pk).exists()
    assert f"Your exam: {lesson.course.title}" not in client.get(reverse("exam_plan")).content.decode()
    client.force_login(owner)
    assert client.post(reverse("exam_delete", args=[exam.pk])).status_code == 302
    assert not StudentExam.objects.exists()


# ---------------------------------------------------------------- the instructor's dashboard


def scripted_class(size):
    """A class whose lesson is expected in 10 days: half the students well kept (stability 100), half not
    (stability 5), and one who never studied it."""
    teacher = factory.make_instructor(f"teacher{size}")
    lesson = factory.make_lesson(cards=2, course=factory.make_course())
    students = [factory.make_user(f"s{size}_{i:02}") for i in range(size)]
    classroom = factory.make_class(teacher, [lesson], students=students, expected_by=today() + timedelta(days=10))
    for i, student in enumerate(students[:-1]):
        for card in lesson.flashcards.all():
            put(student, card, stability=100.0 if i % 2 == 0 else 5.0, reviewed_days_ago=2, due_in_days=90)
    return teacher, classroom, students


def test_the_dashboard_shows_the_class_predicted_recall_and_who_is_below(client):
    teacher, classroom, students = scripted_class(5)  # s0, s2 kept; s1, s3 not; s4 never studied
    client.force_login(teacher)
    page = client.get(reverse("class_dashboard", args=[classroom.pk])).content.decode()
    high, low = by_hand(100.0, 12), by_hand(5.0, 12)
    expected = 5 * round(20 * (high + low) / 2)
    day = (today() + timedelta(days=10)).strftime("%-d %b")
    assert f"about {expected}% on {day} (4 studied it)" in page
    below = page.split("Below their target:")[1].split("</small>")[0]
    assert ">s5_01<" in below and ">s5_03<" in below
    assert "s5_00" not in below and "s5_04" not in below


def test_no_forecast_once_the_date_has_passed(client):
    teacher, classroom, _ = scripted_class(3)
    ClassLesson.objects.filter(classroom=classroom).update(expected_by=today() - timedelta(days=1))
    client.force_login(teacher)
    assert (
        "Predicted recall on the expected-by date"
        not in client.get(reverse("class_dashboard", args=[classroom.pk])).content.decode()
    )


@pytest.mark.parametrize("size", [3, 12])
def test_dashboard_and_plan_query_counts_do_not_grow(client, django_assert_max_num_queries, size):
    teacher, classroom, students = scripted_class(size)
    client.force_login(teacher)
    with django_assert_max_num_queries(DASHBOARD_WITH_FORECAST):
        assert client.get(reverse("class_dashboard", args=[classroom.pk])).status_code == 200
    student = students[0]
    lesson = classroom.lessons.get()
    for n in range(size):
        card = factory.make_card(lesson)
        put(student, card, stability=3.0 + n, reviewed_days_ago=2, due_in_days=30)
    StudentExam.objects.create(user=student, course=lesson.course, date=today() + timedelta(days=20))
    client.force_login(student)
    with django_assert_max_num_queries(PLAN_PAGE):
        assert client.get(reverse("exam_plan")).status_code == 200
    with django_assert_max_num_queries(REVIEW_WITH_DATES):
        assert client.get(reverse("review")).status_code == 200


# The dashboard's budget plus the forecast's two queries (the students' settings, their states of the lessons).
DASHBOARD_WITH_FORECAST = 13
# session, user, settings, messages; exam dates, class dates, states, new items; the header's queue with its
# dates and the items brought forward.
PLAN_PAGE = 11
# /review/ with a date that matters: the queue's statement (its dates included) and its candidates to bring forward,
# plus the page's own.
REVIEW_WITH_DATES = 6 + budgets.EXAM_DATES


def test_the_exam_simulation_runs_through_the_real_services():
    """A tiny run of ``bench.learning.simulate_exam`` (the full one is in docs/performance.md, "Learning")."""
    from bench.learning import simulate_exam

    rows = [
        simulate_exam(students=2, cards=6, before=4, lead=6, retention=0.9, seed=5, plan=plan, new_per_day=6)
        for plan in (False, True)
    ]
    for row in rows:
        assert row["reviews_in_the_lead"] > 0 and 0.5 < row["recall_on_the_day"] <= 1.0, row
    assert rows[0]["brought_forward"] == 0  # nothing is brought forward without an exam date
    assert StudentExam.objects.filter(date__isnull=False).count() == 2  # the planning students' dates
