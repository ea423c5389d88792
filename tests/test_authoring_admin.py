"""Authoring in the admin: lists, the lesson page with its inlines, exercises, deletes, publishing, preview."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import (
    CardState,
    Flashcard,
    FlashcardReveal,
    Lesson,
    LessonCompletion,
    OrderingAttempt,
    OrderingExercise,
    OrderingItem,
    OrderingReveal,
    PredictionDraft,
    PredictionExercise,
    PredictionSubmission,
    ReviewLog,
    RubricPoint,
    SelfCheckAttempt,
    SelfCheckQuestion,
)

from .budgets import PRACTICE_PAGE

STUDENT_RECORD_MODELS = [
    SelfCheckAttempt,
    OrderingAttempt,
    OrderingReveal,
    PredictionSubmission,
    PredictionDraft,
    CardState,
    ReviewLog,
    FlashcardReveal,
    LessonCompletion,
]


@pytest.fixture
def admin_client(instructor):
    client = Client()
    client.force_login(instructor)
    return client


def change_url(lesson):
    return reverse("admin:lessons_lesson_change", args=[lesson.pk])


def form_data(response):
    """The POST a browser would send for an admin change page as rendered: main form, inlines, management forms."""
    data = {}
    context = response.context

    def add(form):
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            data[bound.html_name] = value

    add(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            add(form)
    return data


def check_constraints_now():
    """Deferred constraints are checked at commit; a test runs inside one transaction, so force the check.

    Django does it per database: on Postgres ``SET CONSTRAINTS ALL IMMEDIATE`` then ``DEFERRED``, on SQLite
    ``PRAGMA foreign_key_check``; both raise ``IntegrityError`` on a violation.
    """
    connection.check_constraints()


def student_record_count():
    return sum(model.objects.count() for model in STUDENT_RECORD_MODELS)


def prefix_of(response, model):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"no inline for {model}")


# ---------------------------------------------------------------- who may enter


@pytest.mark.django_db
def test_instructor_sees_the_lesson_list_with_counts(admin_client, lesson):
    response = admin_client.get(reverse("admin:lessons_lesson_changelist"))
    assert response.status_code == 200
    row = response.content.decode()
    assert lesson.title in row
    cl = response.context["cl"]
    (lesson,) = cl.result_list
    assert (lesson.question_count, lesson.ordering_count, lesson.prediction_count, lesson.flashcard_count) == (
        6,
        1,
        1,
        10,
    )
    assert f'href="{lesson.get_absolute_url()}"' in row  # "View on site"
    assert "Upload lesson file" in row


@pytest.mark.django_db
def test_changelist_search_and_filters(admin_client, diffusion, make_lesson):
    make_lesson("other", published=False)
    url = reverse("admin:lessons_lesson_changelist")
    assert [lesson.slug for lesson in admin_client.get(url, {"q": "denoising"}).context["cl"].result_list] == [
        "diffusion"
    ]
    unpublished = admin_client.get(url, {"published__exact": "0"}).context["cl"].result_list
    assert [lesson.slug for lesson in unpublished] == ["other"]
    by_course = admin_client.get(url, {"course__id__exact": diffusion.course_id}).context["cl"].result_list
    assert [lesson.slug for lesson in by_course] == ["diffusion"]
    # An unpublished lesson offers the preview instead of a dead "View on site" link.
    page = admin_client.get(url).content.decode()
    assert reverse("admin:lessons_lesson_preview", args=[Lesson.objects.get(slug="other").pk]) in page


@pytest.mark.django_db
def test_instructor_sees_everything_of_a_lesson_on_its_page(admin_client, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    response = admin_client.get(change_url(diffusion))
    assert response.status_code == 200
    page = response.content.decode()
    assert "What happens in the forward direction of diffusion" in page
    assert "Part A: put the stages in order." in page
    assert "6 items; correct order b d c f a e" in page
    assert "3 rubric point(s)" in page
    assert "Preview as student" in page and "Download lesson file" in page and "Paste flashcards" in page
    assert page.count('class="button markdown-preview"') > 20  # every Markdown field has its Preview button


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/lessons/lesson/",
        "/admin/lessons/course/",
        "/admin/lessons/lesson/upload/",
        "/admin/lessons/lesson/markdown-preview/",
    ],
)
def test_student_cannot_reach_the_admin(student_client, url):
    response = student_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_student_cannot_reach_lesson_admin_pages(student_client, diffusion):
    for name in ("change", "preview", "download", "paste_flashcards", "delete"):
        response = student_client.get(reverse(f"admin:lessons_lesson_{name}", args=[diffusion.pk]))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/admin/login/")
    response = student_client.post(reverse("admin:lessons_lesson_paste_flashcards", args=[diffusion.pk]))
    assert response.status_code == 302
    assert Flashcard.objects.filter(lesson=diffusion).count() == 10


@pytest.mark.django_db
def test_staff_without_instructor_permissions_cannot_edit(make_user, lesson):
    staff = make_user("staffonly")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    assert client.get(change_url(lesson)).status_code == 403
    assert client.get(reverse("admin:lessons_lesson_preview", args=[lesson.pk])).status_code == 403
    assert client.get(reverse("admin:lessons_lesson_upload")).status_code == 403


# ---------------------------------------------------------------- the lesson page


@pytest.mark.django_db
def test_reordering_questions_and_editing_a_card_is_saved_and_logged(admin_client, diffusion, instructor):
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    questions, cards = prefix_of(page, SelfCheckQuestion), prefix_of(page, Flashcard)
    first, second = diffusion.questions.all()[:2]
    # What dragging does: swap the first two position numbers.
    data[f"{questions}-0-position"], data[f"{questions}-1-position"] = "2", "1"
    data[f"{cards}-0-front"] = "Edited: what does the forward direction do?"
    data["_continue"] = "Save and continue editing"
    response = admin_client.post(change_url(diffusion), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    check_constraints_now()
    assert list(diffusion.questions.order_by("position").values_list("pk", flat=True)[:2]) == [second.pk, first.pk]
    assert Flashcard.objects.get(lesson=diffusion, position=1).front == "Edited: what does the forward direction do?"
    entry = LogEntry.objects.get(object_id=str(diffusion.pk), action_flag=CHANGE)
    assert entry.user == instructor
    assert "Changed" in entry.get_change_message()
    # The student's page follows the new order.
    student_page = Client()
    student_page.force_login(instructor)
    html = student_page.get(diffusion.get_absolute_url()).content.decode()
    assert html.index(second.question[:40]) < html.index(first.question[:40])


@pytest.mark.django_db
def test_duplicate_positions_are_a_form_error_not_a_500(admin_client, diffusion):
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    questions = prefix_of(page, SelfCheckQuestion)
    data[f"{questions}-0-position"] = "2"
    response = admin_client.post(change_url(diffusion), data)
    assert response.status_code == 200
    assert "Another self check question already has 2" in response.content.decode()
    assert list(diffusion.questions.values_list("position", flat=True)) == [1, 2, 3, 4, 5, 6]


@pytest.mark.django_db
def test_new_question_goes_after_the_others(admin_client, diffusion):
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    questions = prefix_of(page, SelfCheckQuestion)
    extra = int(data[f"{questions}-INITIAL_FORMS"])
    data[f"{questions}-{extra}-question"] = "A seventh question?"
    data[f"{questions}-{extra}-answer"] = "A seventh answer."
    response = admin_client.post(change_url(diffusion), data)
    assert response.status_code == 302
    check_constraints_now()
    assert diffusion.questions.order_by("position").last().question == "A seventh question?"
    assert diffusion.questions.order_by("position").last().position == 7


@pytest.mark.django_db
def test_deleting_an_item_with_student_data_archives_it_then_restore_and_purge(
    admin_client, diffusion, student, other_student
):
    question = diffusion.questions.first()
    for user in (student, other_student):
        SelfCheckAttempt.objects.create(user=user, question=question, revealed_at=timezone.now())
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    questions = prefix_of(page, SelfCheckQuestion)
    data[f"{questions}-0-DELETE"] = "on"
    response = admin_client.post(change_url(diffusion), data, follow=True)
    assert any("Archived" in str(m) for m in response.context["messages"])
    question.refresh_from_db()
    assert question.archived_at is not None
    assert SelfCheckAttempt.objects.filter(question=question).count() == 2
    assert SelfCheckQuestion.objects.live().filter(lesson=diffusion).count() == 5
    # The lesson page lists live rows only; the archived page lists the question with its records.
    assert question.question not in admin_client.get(change_url(diffusion)).content.decode()
    archived_url = reverse("admin:lessons_lesson_archived", args=[diffusion.pk])
    archived = admin_client.get(archived_url).content.decode()
    assert question.uid in archived and ">2<" in archived

    restore_url = reverse("admin:lessons_lesson_restore", args=[diffusion.pk, "question", question.pk])
    assert admin_client.get(restore_url).status_code == 405
    assert admin_client.post(restore_url).status_code == 302
    question.refresh_from_db()
    assert question.archived_at is None and question.position == 7
    check_constraints_now()

    # Purge: only an archived item, only with the count the page showed.
    purge_url = reverse("admin:lessons_lesson_purge", args=[diffusion.pk, "question", question.pk])
    assert admin_client.get(purge_url).status_code == 404
    question.archived_at = timezone.now()
    question.save()
    confirm = admin_client.get(purge_url).content.decode()
    assert "2 student records" in confirm
    stale = admin_client.post(purge_url, {"expected_records": 1}, follow=True)
    assert "Nothing deleted" in stale.content.decode()
    assert SelfCheckQuestion.objects.filter(pk=question.pk).exists()
    assert admin_client.post(purge_url, {"expected_records": 2}).status_code == 302
    assert not SelfCheckQuestion.objects.filter(pk=question.pk).exists()
    assert SelfCheckAttempt.objects.count() == 0


@pytest.mark.django_db
def test_removing_an_unused_item_needs_no_confirmation(admin_client, diffusion):
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    cards = prefix_of(page, Flashcard)
    data[f"{cards}-9-DELETE"] = "on"
    assert admin_client.post(change_url(diffusion), data).status_code == 302
    assert Flashcard.objects.filter(lesson=diffusion).count() == 9


@pytest.mark.django_db
def test_new_exercise_without_items_is_flagged(admin_client, diffusion):
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    orderings = prefix_of(page, OrderingExercise)
    n = int(data[f"{orderings}-TOTAL_FORMS"])
    data[f"{orderings}-TOTAL_FORMS"] = n + 1
    data[f"{orderings}-{n}-title"] = "Part C: another order"
    data[f"{orderings}-{n}-prompt"] = "Order these."
    response = admin_client.post(change_url(diffusion), data, follow=True)
    assert "needs at least two items" in response.content.decode()
    assert OrderingExercise.objects.filter(lesson=diffusion).count() == 2


# ---------------------------------------------------------------- ordering exercise page


def ordering_page(admin_client, exercise):
    url = reverse("admin:lessons_orderingexercise_change", args=[exercise.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    return url, page, form_data(page), prefix_of(page, OrderingItem)


@pytest.mark.django_db
def test_ordering_items_reorder_and_correct_order_are_saved(admin_client, lesson):
    exercise = lesson.ordering_exercises.get()
    url, page, data, items = ordering_page(admin_client, exercise)
    assert "(b) → (d) → (c) → (f) → (a) → (e)" in page.content.decode()
    # Display order: swap the first two (a, b). Correct order: a first, then the old order of the rest.
    data[f"{items}-0-display_position"], data[f"{items}-1-display_position"] = "2", "1"
    new_correct = ["a", "b", "d", "c", "f", "e"]
    for i in range(6):
        data[f"{items}-{i}-correct_position"] = str(new_correct.index(data[f"{items}-{i}-label"]) + 1)
    response = admin_client.post(url, data)
    assert response.status_code == 302
    check_constraints_now()
    exercise.refresh_from_db()
    assert [item.label for item in exercise.display_items()] == ["b", "a", "c", "d", "e", "f"]
    assert exercise.correct_labels() == new_correct


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"0-correct_position": "1"}, "used twice: 1"),
        ({"1-correct_position": "9"}, "out of range: 9"),
        ({"1-label": "a"}, "Label “a” is used by another item"),
        ({"1-display_position": "1"}, "Another ordering item already has 1"),
        ({"1-label": ""}, "This field is required"),
        ({"1-correct_position": "x"}, "Enter a whole number"),
    ],
)
def test_invalid_ordering_answers_are_form_errors(admin_client, lesson, change, message):
    exercise = lesson.ordering_exercises.get()
    before = list(exercise.items.values_list("label", "display_position", "correct_position"))
    url, _, data, items = ordering_page(admin_client, exercise)
    for key, value in change.items():
        data[f"{items}-{key}"] = value
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(exercise.items.values_list("label", "display_position", "correct_position")) == before


@pytest.mark.django_db
def test_an_ordering_exercise_keeps_at_least_two_items(admin_client, lesson):
    exercise = lesson.ordering_exercises.get()
    url, _, data, items = ordering_page(admin_client, exercise)
    for i in range(5):
        data[f"{items}-{i}-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "needs at least two items" in response.content.decode()
    assert exercise.items.count() == 6


@pytest.mark.django_db
def test_removing_a_stage_of_an_attempted_exercise_archives_it(admin_client, lesson, student):
    exercise = lesson.ordering_exercises.get()
    OrderingAttempt.objects.create(
        user=student,
        exercise=exercise,
        number=1,
        order=list("bdcfae"),
        pairs_in_order=15,
        pairs_total=15,
        score=1,
        is_correct=True,
        created_at=timezone.now(),
    )
    url, _, data, items = ordering_page(admin_client, exercise)
    e_form = next(i for i in range(6) if data[f"{items}-{i}-label"] == "e")
    data[f"{items}-{e_form}-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    check_constraints_now()
    assert exercise.items.count() == 6
    assert exercise.items.live().count() == 5
    assert OrderingExercise.objects.get(pk=exercise.pk).correct_labels() == list("bdcfa")
    # A new stage may not take the archived stage's label.
    url, _, data, items = ordering_page(admin_client, exercise)
    n = int(data[f"{items}-TOTAL_FORMS"])
    data.update({f"{items}-TOTAL_FORMS": n + 1, f"{items}-{n}-label": "e", f"{items}-{n}-text": "New stage"})
    data[f"{items}-{n}-correct_position"] = 6
    refused = admin_client.post(url, data)
    assert refused.status_code == 200 and "belongs to an archived stage" in refused.content.decode()


@pytest.mark.django_db
def test_prediction_rubric_points_reorder_and_need_one(admin_client, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    exercise = diffusion.predictions.get()
    url = reverse("admin:lessons_predictionexercise_change", args=[exercise.pk])
    page = admin_client.get(url)
    data = form_data(page)
    points = prefix_of(page, RubricPoint)
    data[f"{points}-0-position"], data[f"{points}-2-position"] = "3", "1"
    assert admin_client.post(url, data).status_code == 302
    check_constraints_now()
    assert [p.text for p in exercise.rubric_points.order_by("position")][0].startswith("confident errors")
    for i in range(3):
        data[f"{points}-{i}-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert "needs at least one rubric point" in response.content.decode()
    assert RubricPoint.objects.filter(exercise=exercise).count() == 3


# ---------------------------------------------------------------- deleting, publishing


@pytest.fixture
def lesson_with_student_data(lesson, student):
    now = timezone.now()
    SelfCheckAttempt.objects.create(user=student, question=lesson.questions.first(), revealed_at=now)
    OrderingReveal.objects.create(user=student, exercise=lesson.ordering_exercises.get(), revealed_at=now)
    PredictionDraft.objects.create(user=student, exercise=lesson.predictions.get(), text="slow")
    return lesson


@pytest.mark.django_db
def test_delete_confirmation_states_the_student_record_count(admin_client, lesson_with_student_data):
    lesson = lesson_with_student_data
    response = admin_client.get(reverse("admin:lessons_lesson_delete", args=[lesson.pk]))
    assert response.status_code == 200
    assert "This deletes 3 student records" in response.content.decode()
    exercise = lesson.ordering_exercises.get()
    response = admin_client.get(reverse("admin:lessons_orderingexercise_delete", args=[exercise.pk]))
    assert "This deletes 1 student record" in response.content.decode()
    assert Lesson.objects.filter(pk=lesson.pk).exists()


@pytest.mark.django_db
def test_bulk_delete_confirmation_states_the_count(admin_client, lesson_with_student_data):
    lesson = lesson_with_student_data
    response = admin_client.post(
        reverse("admin:lessons_lesson_changelist"), {"action": "delete_selected", "_selected_action": [lesson.pk]}
    )
    assert response.status_code == 200
    assert "This deletes 3 student records" in response.content.decode()
    assert Lesson.objects.filter(pk=lesson.pk).exists()


@pytest.mark.django_db
def test_records_an_instructor_may_not_delete_block_the_delete_with_the_count(
    admin_client, lesson_with_student_data, student
):
    lesson = lesson_with_student_data
    LessonCompletion.objects.create(user=student, lesson=lesson, completed_at=timezone.now())
    url = reverse("admin:lessons_lesson_delete", args=[lesson.pk])
    html = admin_client.get(url).content.decode()
    assert "Students have 4 records here" in html and "unpublish the lesson instead" in html
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Lesson.objects.filter(pk=lesson.pk).exists() and LessonCompletion.objects.count() == 1


@pytest.mark.django_db
def test_delete_pages_count_student_records_in_the_same_queries_at_two_sizes(admin_client, lesson, make_user):
    from django.test.utils import CaptureQueriesContext

    from tests.factory import ordering_attempt, review

    exercise = lesson.ordering_exercises.get()
    urls = [
        reverse("admin:lessons_lesson_delete", args=[lesson.pk]),
        reverse("admin:lessons_orderingexercise_delete", args=[exercise.pk]),
    ]
    counts, total = [], 0
    for size, prefix in ((3, "small"), (20, "big")):
        for i in range(size):
            student = make_user(f"{prefix}-{i}")
            for question in lesson.questions.all():
                SelfCheckAttempt.objects.create(user=student, question=question, revealed_at=timezone.now())
            ordering_attempt(student, exercise, exercise.correct_labels())
            review(student, lesson.flashcards.first(), 3)
        total += size
        with CaptureQueriesContext(connection) as ctx:
            html = admin_client.get(urls[0]).content.decode()
            exercise_html = admin_client.get(urls[1]).content.decode()
        counts.append(len(ctx))
        assert f"Self check attempts: {6 * total} (student records)" in html
        assert f"Ordering attempts: {total} (student records)" in exercise_html
        assert "Self check attempt: " not in html  # counted, not listed one by one
        assert "Self check question: " in html and "Flashcard: " in html  # the content is still listed
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_delete_of_unused_lesson_says_so(admin_client, make_lesson):
    lesson = make_lesson("unused")
    response = admin_client.get(reverse("admin:lessons_lesson_delete", args=[lesson.pk]))
    assert "No student has used this yet" in response.content.decode()


@pytest.mark.django_db
def test_publish_and_unpublish_actions(admin_client, lesson, student_client):
    changelist = reverse("admin:lessons_lesson_changelist")
    response = admin_client.post(changelist, {"action": "unpublish", "_selected_action": [lesson.pk]}, follow=True)
    assert "Unpublished 1 lesson(s)." in response.content.decode()
    assert student_client.get(lesson.get_absolute_url()).status_code == 404
    assert LogEntry.objects.filter(object_id=str(lesson.pk), action_flag=CHANGE).count() == 1
    admin_client.post(changelist, {"action": "publish", "_selected_action": [lesson.pk]})
    assert student_client.get(lesson.get_absolute_url()).status_code == 200


# ---------------------------------------------------------------- preview as student


@pytest.mark.django_db
def test_preview_of_an_unpublished_lesson_records_nothing(admin_client, diffusion, student_client):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    Lesson.objects.filter(pk=diffusion.pk).update(published=False)
    assert student_client.get(diffusion.get_absolute_url()).status_code == 404
    before = student_record_count()
    response = admin_client.get(reverse("admin:lessons_lesson_preview", args=[diffusion.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: nothing you do here is recorded." in html
    assert '<fieldset disabled aria-label="Lesson preview"' in html
    assert "What happens in the forward direction of diffusion" in html
    # Every control of the lesson sits inside the disabled fieldset.
    content = html.split('<fieldset disabled aria-label="Lesson preview"', 1)[1]
    assert content.count("<button") >= 6
    before_fieldset = html.split('<fieldset disabled aria-label="Lesson preview"', 1)[0].split("<main", 1)[1]
    assert "<textarea" not in before_fieldset and "Show answer" not in before_fieldset
    assert student_record_count() == before
    # The real endpoints refuse the unpublished lesson's questions, so a forged submit records nothing either.
    question = diffusion.questions.first()
    assert admin_client.post(reverse("selfcheck_reveal", args=[question.pk])).status_code == 404
    assert student_record_count() == before


# ---------------------------------------------------------------- Markdown preview


@pytest.mark.django_db
def test_markdown_preview_button_renders_the_posted_field(admin_client, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    page = admin_client.get(change_url(diffusion))
    data = form_data(page)
    data["self_check_intro"] = "Some **bold** text <script>alert(1)</script>"
    data["_markdown_preview:self_check_intro"] = "Preview"
    response = admin_client.post(reverse("admin:lessons_lesson_markdown_preview"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert Lesson.objects.get(pk=diffusion.pk).self_check_intro.startswith("Six short questions")


@pytest.mark.django_db
def test_markdown_preview_page_works_on_its_own(admin_client):
    url = reverse("admin:lessons_lesson_markdown_preview")
    assert "Nothing to preview yet" in admin_client.get(url).content.decode()
    html = admin_client.post(url, {"text": "- one\n- two"}).content.decode()
    assert "<li>one</li>" in html


# ---------------------------------------------------------------- query counts


def _add_exercises(lesson, size):
    for n in range(1, size + 1):
        exercise = OrderingExercise.objects.create(lesson=lesson, position=n, title=f"Order {n}", prompt="Order.")
        OrderingItem.objects.bulk_create(
            OrderingItem(exercise=exercise, label=chr(97 + i), text=f"Item {i}", display_position=i, correct_position=i)
            for i in range(1, 4)
        )
        prediction = PredictionExercise.objects.create(
            lesson=lesson, position=n, title=f"Predict {n}", prompt="?", model_answer="!"
        )
        RubricPoint.objects.create(exercise=prediction, position=1, text="a point")


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 15])
def test_changelist_query_count_does_not_grow(admin_client, make_lesson, django_assert_max_num_queries, size):
    for i in range(size):
        _add_exercises(make_lesson(f"lesson-{i}", size=3), 1)
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:lessons_lesson_changelist"))
    assert len(response.context["cl"].result_list) == size
    with django_assert_max_num_queries(7):
        assert admin_client.get(reverse("admin:lessons_course_changelist")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 25])
def test_change_page_query_count_does_not_grow(admin_client, make_lesson, django_assert_max_num_queries, size):
    lesson = make_lesson("big", size=size)
    _add_exercises(lesson, size)
    with django_assert_max_num_queries(13):
        response = admin_client.get(change_url(lesson))
    assert response.status_code == 200
    exercise = lesson.ordering_exercises.first()
    with django_assert_max_num_queries(9):
        assert admin_client.get(reverse("admin:lessons_orderingexercise_change", args=[exercise.pk])).status_code == 200
    prediction = lesson.predictions.first()
    with django_assert_max_num_queries(8):
        url = reverse("admin:lessons_predictionexercise_change", args=[prediction.pk])
        assert admin_client.get(url).status_code == 200
    # The preview is the practice page plus the admin's permission check (user and group permissions).
    with django_assert_max_num_queries(PRACTICE_PAGE + 2):
        assert admin_client.get(reverse("admin:lessons_lesson_preview", args=[lesson.pk])).status_code == 200


def test_preview_shows_a_fresh_student_not_the_instructors_own_practice(admin_client, admin_user, diffusion):
    """Uses the shipped diffusion lesson: it checks that lesson's own text."""
    from lessons.services.selfcheck import selfcheck_reveal

    question = diffusion.questions.first()
    selfcheck_reveal(user=admin_user, question=question, answer_text="the instructor's own try")
    html = admin_client.get(reverse("admin:lessons_lesson_preview", args=[diffusion.pk])).content.decode()
    assert "the instructor's own try" not in html
    assert "You take a real image and add a little random noise" not in html  # the answer is still hidden
    assert html.count("Show answer") >= diffusion.questions.count()
