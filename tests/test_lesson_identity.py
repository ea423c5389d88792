"""Stable identities (issue 13): editing or re-importing a lesson never moves, loses or blocks a student's work.

The world: the shipped diffusion lesson (its file carries ids), a class of two students with records on
every kind of item. Each edit of the lesson file (insert, delete, reorder, edit; every kind) is imported,
and every record must still point at the item with the same id, and the class's dashboard and item view
must count the same work. Records are read back by item id, never by position.
"""

import copy

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lessons.lessonfile import dump, export_lesson, import_paths, parse_text
from lessons.models import (
    CardState,
    Flashcard,
    Lesson,
    OrderingAttempt,
    OrderingExercise,
    OrderingItem,
    PredictionSubmission,
    ReviewLog,
    RubricPoint,
    SelfCheckAttempt,
    SelfCheckQuestion,
)
from lessons.selectors.class_report import lesson_report
from lessons.selectors.lesson_progress import progress_for
from lessons.selectors.review_queue import new_cards
from lessons.services import authoring
from tests.factory import DIFFUSION_FILE, card_state, make_class, ordering_attempt, prediction, reveal, review

pytestmark = pytest.mark.django_db


def shipped():
    return yaml.safe_load(DIFFUSION_FILE.read_text(encoding="utf-8"))


def write(tmp_path, data, name="diffusion.yaml"):
    path = tmp_path / name
    path.write_text(dump(data), encoding="utf-8")
    return path


def import_data(tmp_path, data):
    (outcome,) = import_paths([write(tmp_path, data)])
    return outcome.plan


@pytest.fixture
def world(diffusion, make_user, instructor):
    """Two students with records on questions 1 and 3, the ordering, the prediction, cards 1 and 5."""
    ann, bob = make_user("ann"), make_user("bob")
    classroom = make_class(instructor, [diffusion], students=[ann, bob])
    questions = list(diffusion.questions.order_by("position"))
    exercise = diffusion.ordering_exercises.get()
    predict = diffusion.predictions.get()
    points = list(predict.rubric_points.order_by("position"))
    cards = list(diffusion.flashcards.order_by("position"))
    for user, verdict in ((ann, "missed"), (bob, "got_it")):
        reveal(user, questions[0], verdict=verdict)
        reveal(user, questions[2], verdict="partly")
        ordering_attempt(user, exercise, list("bdcfae") if user == bob else list("dbcfae"))
        prediction(user, predict, confidence="high", named=[points[0], points[2]] if user == ann else [points[1]])
        for card in (cards[0], cards[4]):
            review(user, card, 1)
            card_state(user, card, due=timezone.now())
    return classroom, ann, bob


def records_by_uid():
    """Every student record, as (kind, record id) -> the uid of the item it belongs to (plus what it holds)."""
    found = {}
    for a in SelfCheckAttempt.objects.select_related("question"):
        found[("selfcheck", a.pk)] = (a.question.uid, a.verdict)
    for a in OrderingAttempt.objects.select_related("exercise"):
        found[("ordering", a.pk)] = (a.exercise.uid, a.number)
    for s in PredictionSubmission.objects.select_related("exercise").prefetch_related("named_points"):
        found[("prediction", s.pk)] = (s.exercise.uid, tuple(sorted(p.uid for p in s.named_points.all())))
    for c in CardState.objects.select_related("card"):
        found[("cardstate", c.pk)] = (c.card.uid, c.state, c.due)
    for r in ReviewLog.objects.select_related("card"):
        found[("reviewlog", r.pk)] = (r.card.uid, r.rating)
    return found


def attempt_orders_by_stage():
    """Each ordering attempt as the stage ids it put in order: what the student meant, whatever the labels."""
    orders = {}
    for attempt in OrderingAttempt.objects.all():
        uid_of = {item.label: item.uid for item in OrderingItem.objects.filter(exercise=attempt.exercise_id)}
        orders[attempt.pk] = [uid_of[label] for label in attempt.order]
    return orders


def item_view(classroom, lesson):
    """The item view's figures, by item id."""
    report = lesson_report(classroom, Lesson.objects.with_archived_items().get(pk=lesson.pk))
    figures = {}
    for q in report.questions:
        figures[q.question.uid] = (q.revealed, q.judged, q.missed, q.partly, q.got_it)
    for o in report.orderings:
        figures[o.exercise.uid] = (o.students, o.attempts, o.first_tries, o.first_correct, o.solved)
    for p in report.predictions:
        figures[p.exercise.uid] = p.marked
        for point in p.points:
            figures[point.point.uid] = point.named
    for c in report.cards:
        figures[c.card.uid] = (c.again, c.reviews, c.students)
    return figures


def dashboard(lesson, *users):
    table = progress_for([u.pk for u in users], [lesson])
    return [(table.get(u.pk, lesson).done, table.get(u.pk, lesson).started) for u in users]


# ---------------------------------------------------------------- the edits, one per kind and way


def insert_question(data):
    data["self_check"]["questions"].insert(0, {"question": "A new first question?", "answer": "Yes."})


def insert_card(data):
    data["flashcards"]["cards"].insert(0, {"front": "A new first card", "back": "Its back."})


def insert_stage(data):
    ordering = data["exercises"]["ordering"][0]
    ordering["items"] = {"g": {"text": "A new first stage."}, **ordering["items"]}
    ordering["answer"] = ["g", *ordering["answer"]]


def insert_rubric_point(data):
    data["exercises"]["prediction"][0]["rubric"].insert(0, "a new first point")


def insert_exercises(data):
    ordering = copy.deepcopy(data["exercises"]["ordering"][0])
    ordering["title"] = "Part 0: a new first ordering."
    ordering.pop("id", None)
    ordering["items"] = {label: strip_ids(stage) for label, stage in ordering["items"].items()}
    data["exercises"]["ordering"].insert(0, ordering)
    predict = copy.deepcopy(data["exercises"]["prediction"][0])
    predict["title"] = "Part 0: a new first prediction."
    predict.pop("id", None)
    predict["rubric"] = ["one point"]
    data["exercises"]["prediction"].insert(0, predict)


def reorder_all(data):
    data["self_check"]["questions"].reverse()
    data["flashcards"]["cards"].reverse()
    data["exercises"]["prediction"][0]["rubric"].reverse()
    ordering = data["exercises"]["ordering"][0]
    ordering["items"] = dict(reversed(list(ordering["items"].items())))


def edit_texts(data):
    data["self_check"]["questions"][0]["question"] = "Reworded: what happens going forward?"
    data["self_check"]["questions"][2]["answer"] = "A better answer."
    data["flashcards"]["cards"][0]["front"] = "Reworded front"
    data["flashcards"]["cards"][4]["back"] = "Reworded back"
    data["exercises"]["prediction"][0]["rubric"][0]["text"] = "slow, because it takes many steps"
    data["exercises"]["prediction"][0]["title"] = "Part B, reworded"
    ordering = data["exercises"]["ordering"][0]
    ordering["title"] = "Part A, reworded"
    ordering["items"]["c"]["text"] = "Start from a fresh screen of static (reworded)."


def relabel_stage(data):
    """Stage a becomes z (its id stays): attempts are rewritten to the new label, the answer is the same."""
    ordering = data["exercises"]["ordering"][0]
    ordering["items"] = {("z" if label == "a" else label): stage for label, stage in ordering["items"].items()}
    ordering["answer"] = ["z" if label == "a" else label for label in ordering["answer"]]


def delete_unused(data):
    """Question 2 and card 2: nobody used them."""
    del data["self_check"]["questions"][1]
    del data["flashcards"]["cards"][1]


EDITS = [insert_question, insert_card, insert_stage, insert_rubric_point, insert_exercises, reorder_all]
EDITS += [edit_texts, relabel_stage, delete_unused]


# Without ids an edited text cannot be told from a new item: those two edits need the ids (see the test below).
CASES = [(edit, True) for edit in EDITS] + [(edit, False) for edit in EDITS if edit not in (edit_texts, relabel_stage)]


@pytest.mark.parametrize(
    ("edit", "with_ids"), CASES, ids=[f"{e.__name__}-{'ids' if w else 'hand-written'}" for e, w in CASES]
)
def test_every_record_stays_on_its_item(world, diffusion, tmp_path, edit, with_ids):
    classroom, ann, bob = world
    records, figures = records_by_uid(), item_view(classroom, diffusion)
    progress = dashboard(diffusion, ann, bob)
    orders = attempt_orders_by_stage()
    data = shipped()
    if not with_ids:
        data = strip_ids(data)
    edit(data)
    plan = import_data(tmp_path, data)
    assert plan.count("archived") == 0
    assert records_by_uid() == records
    after = item_view(classroom, diffusion)
    used = {uid for uid, *_ in records.values()}
    assert used <= set(after)
    assert {uid: after[uid] for uid in figures if uid in after} == {
        uid: figure for uid, figure in figures.items() if uid in after
    }
    if edit is not insert_stage:  # a new stage makes earlier attempts' orders shorter than the exercise
        assert attempt_orders_by_stage() == orders
    done_before = [done for done, _ in progress]
    assert [done for done, _ in dashboard(diffusion, ann, bob)] == done_before


def strip_ids(data):
    if isinstance(data, dict):
        stripped = {key: strip_ids(value) for key, value in data.items() if key != "id"}
        if set(stripped) == {"text"}:
            return stripped["text"]  # a stage or rubric point without its id is plain text again
        return stripped
    if isinstance(data, list):
        return [strip_ids(value) for value in data]
    return data


def test_without_ids_an_edited_used_question_is_new_and_the_old_one_archived(world, diffusion, tmp_path):
    records = records_by_uid()
    data = strip_ids(shipped())
    data["self_check"]["questions"][0]["question"] = "Reworded, in a file without ids"
    plan = import_data(tmp_path, data)
    assert sorted(c.action for c in plan.changes) == ["added", "archived"]
    assert records_by_uid() == records  # the records stay on the (archived) question they were made on


def test_moving_changes_only_the_position_and_reports_it(world, diffusion, tmp_path):
    data = shipped()
    first = data["self_check"]["questions"].pop(0)
    data["self_check"]["questions"].append(first)
    plan = import_data(tmp_path, data)
    assert [(c.action, c.uid) for c in plan.changes] == [("moved", first["id"])]
    question = SelfCheckQuestion.objects.get(lesson=diffusion, uid=first["id"])
    assert question.position == 6 and question.attempts.count() == 2


def test_an_edit_marks_the_lesson_updated_since_completion_and_keeps_the_schedule(world, diffusion, tmp_path):
    _classroom, ann, _bob = world
    state = CardState.objects.get(user=ann, card__position=1, card__lesson=diffusion)
    before = Lesson.objects.get(pk=diffusion.pk).updated_at
    data = shipped()
    data["flashcards"]["cards"][0]["back"] = "A clearer back."
    plan = import_data(tmp_path, data)
    assert [(c.action, c.fields[0][0], c.students) for c in plan.changes] == [("changed", "back", 2)]
    state.refresh_from_db()
    assert state.card.back == "A clearer back." and state.due == CardState.objects.get(pk=state.pk).due
    assert Lesson.objects.get(pk=diffusion.pk).updated_at > before


# ---------------------------------------------------------------- removal archives


def test_removing_used_items_archives_them_off_page_queue_and_totals(world, diffusion, tmp_path, client):
    classroom, ann, bob = world
    records, figures = records_by_uid(), item_view(classroom, diffusion)
    data = shipped()
    removed_question = data["self_check"]["questions"].pop(0)
    removed_card = data["flashcards"]["cards"].pop(0)
    removed_point = data["exercises"]["prediction"][0]["rubric"].pop(0)
    plan = import_data(tmp_path, data)
    archived = {(c.kind, c.uid, c.students) for c in plan.changes if c.action == "archived"}
    assert archived == {
        ("question", removed_question["id"], 2),
        ("flashcard", removed_card["id"], 2),
        ("rubric point", removed_point["id"], 1),
    }
    # Every record is kept, on the same item; the item view still counts it, labelled archived.
    assert records_by_uid() == records
    assert item_view(classroom, diffusion) == figures
    client.force_login(classroom.instructors.get())
    page = client.get(reverse("class_lesson_items", args=[classroom.pk, diffusion.pk])).content.decode()
    assert "(archived)" in page
    # Off the practice page and the queue; out of the totals.
    client.force_login(ann)
    practice = client.get(reverse("lesson_detail", args=["diffusion"])).content.decode()
    assert removed_question["question"][:40] not in practice and removed_card["front"] not in practice
    later = timezone.now() + timezone.timedelta(days=1)
    due = CardState.objects.published().due_for(ann, now=later, day_end=later)
    assert due.filter(card__lesson=diffusion).count() == 1  # of her two due cards, one is archived
    assert not new_cards(ann).filter(uid=removed_card["id"]).exists()
    from lessons.selectors.review_stats import cards_by_state

    assert dict(cards_by_state(ann))["Review"] == 1  # of her two rated cards, one is archived
    totals = progress_for([ann.pk], [diffusion]).get(ann.pk, diffusion)
    assert totals.total == 5 + 1 + 1 + 1  # five live questions, the ordering, the prediction, the cards
    # A forged POST on an archived item is a 404, and nothing is recorded.
    question = SelfCheckQuestion.objects.get(lesson=diffusion, uid=removed_question["id"])
    count = SelfCheckAttempt.objects.count()
    response = client.post(reverse("selfcheck_reveal", args=[question.pk]), {"answer": "x"})
    assert response.status_code == 404 and SelfCheckAttempt.objects.count() == count
    # Re-importing the shipped file (which still has the ids) restores them, records intact.
    (outcome,) = import_paths([DIFFUSION_FILE])
    assert {(c.kind, c.uid) for c in outcome.changes if c.action == "restored"} == {
        ("question", removed_question["id"]),
        ("flashcard", removed_card["id"]),
        ("rubric point", removed_point["id"]),
    }
    assert records_by_uid() == records
    assert not SelfCheckQuestion.objects.archived().exists()


def test_archive_and_restore_through_the_service_keep_every_record(world, diffusion):
    records = records_by_uid()
    card = Flashcard.objects.get(lesson=diffusion, position=1)
    authoring.item_archive(item=card)
    card.refresh_from_db()
    assert card.archived_at is not None and card.position >= 1_000_000
    assert records_by_uid() == records
    authoring.item_restore(item=card)
    card.refresh_from_db()
    assert card.archived_at is None and card.position == 11
    assert records_by_uid() == records


def test_removing_a_stage_archives_it_and_a_new_stage_may_take_its_label(world, diffusion, tmp_path):
    data = shipped()
    ordering = data["exercises"]["ordering"][0]
    removed = ordering["items"].pop("e")
    ordering["answer"].remove("e")
    import_data(tmp_path, data)
    stage = OrderingItem.objects.get(uid=removed["id"])
    assert stage.archived_at is not None
    assert OrderingExercise.objects.get(uid=ordering["id"]).correct_labels() == list("bdcfa")
    ordering["items"]["e"] = {"text": "A different stage e."}
    ordering["answer"].append("e")
    import_data(tmp_path, data)
    stage.refresh_from_db()
    assert stage.archived_at is not None and stage.label == "e~1"
    assert OrderingExercise.objects.get(uid=ordering["id"]).correct_labels() == list("bdcfae")


# ---------------------------------------------------------------- round trip, ids, dry run


def test_round_trip_export_import_is_a_no_op(diffusion):
    exported = dump(export_lesson(diffusion))
    assert exported == DIFFUSION_FILE.read_text(encoding="utf-8")
    (outcome,) = import_paths([DIFFUSION_FILE])
    assert not outcome.plan.has_changes


def test_a_file_without_ids_gets_them_and_the_export_carries_them(tmp_path):
    text = dump(strip_ids(shipped())).replace("slug: diffusion", "slug: plain")
    text = text.replace("position: 1\n", "")
    assert "id:" not in text
    path = tmp_path / "plain.yaml"
    path.write_text(text, encoding="utf-8")
    import_paths([path])
    lesson = Lesson.objects.get(slug="plain")
    exported = dump(export_lesson(lesson))
    uids = [q.uid for q in lesson.questions.all()] + [c.uid for c in lesson.flashcards.all()]
    uids += list(OrderingItem.objects.filter(exercise__lesson=lesson).values_list("uid", flat=True))
    uids += list(RubricPoint.objects.filter(exercise__lesson=lesson).values_list("uid", flat=True))
    assert all(f"id: {uid}\n" in exported for uid in uids)
    # Importing the plain file again matches by text: nothing changes.
    (outcome,) = import_paths([path])
    assert not outcome.plan.has_changes


def test_write_ids_rewrites_the_file_so_that_reimporting_changes_nothing(tmp_path, capsys):
    original = dump(strip_ids(shipped()))
    original = "# A course kept in git: this comment stays.\n" + original
    path = tmp_path / "diffusion.yaml"
    path.write_text(original, encoding="utf-8")
    call_command("import_lessons", "--write-ids", str(path))
    out = capsys.readouterr().out
    assert "diffusion: created" in out and "wrote 28 id(s)" in out
    written = path.read_text(encoding="utf-8")
    assert written.startswith("# A course kept in git: this comment stays.\n")
    spec = parse_text(written)
    lesson = Lesson.objects.get(slug="diffusion")
    assert spec["id"] == lesson.uid
    assert [q["id"] for q in spec["self_check"]["questions"]] == list(
        lesson.questions.order_by("position").values_list("uid", flat=True)
    )
    call_command("import_lessons", "-v", "2", str(path))
    assert capsys.readouterr().out.strip() == "diffusion: unchanged"
    # A second --write-ids has nothing to write.
    call_command("import_lessons", "--write-ids", str(path))
    assert path.read_text(encoding="utf-8") == written


def test_dry_run_prints_the_plan_and_writes_nothing(world, diffusion, tmp_path, capsys, django_assert_max_num_queries):
    data = shipped()
    data["self_check"]["questions"][0]["answer"] = "A new answer."
    removed = data["flashcards"]["cards"].pop(0)
    data["flashcards"]["cards"].append({"front": "Brand new", "back": "card"})
    path = write(tmp_path, data)
    records = records_by_uid()
    before = dump(export_lesson(diffusion))
    call_command("import_lessons", "--dry-run", str(path))
    out = capsys.readouterr().out
    assert "diffusion: 1 added, 1 changed, 1 archived" in out
    assert "answer: " in out and "-> 'A new answer.'" in out
    assert f"archived flashcard {removed['id']}" in out and "(2 students' records)" in out
    assert "Dry run: nothing was written." in out
    assert dump(export_lesson(Lesson.objects.get(pk=diffusion.pk))) == before
    assert records_by_uid() == records
    assert not Flashcard.objects.archived().exists()


def test_write_ids_and_dry_run_cannot_be_combined(tmp_path):
    with pytest.raises(Exception, match="cannot be combined"):
        call_command("import_lessons", "--dry-run", "--write-ids", str(DIFFUSION_FILE))


# ---------------------------------------------------------------- the admin's confirmation page


def test_upload_confirmation_shows_the_plan_writes_nothing_and_apply_writes_it(world, diffusion, client):
    classroom, _ann, _bob = world
    client.force_login(classroom.instructors.get())
    data = shipped()
    data["self_check"]["questions"][0]["question"] = "Reworded first question?"
    removed = data["flashcards"]["cards"].pop(0)
    text = dump(data)
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:lessons_lesson_upload")
    before = dump(export_lesson(diffusion))
    page = client.post(url, {"lesson_file": SimpleUploadedFile("diffusion.yaml", text.encode())})
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 changed, 1 archived" in html and "Reworded first question?" in html and removed["id"] in html
    assert "<td>2</td>" in html  # students whose records it touches
    assert dump(export_lesson(Lesson.objects.get(pk=diffusion.pk))) == before
    form = page.context["apply_form"]
    fields = {name: form.initial[name] for name in ("text", "source", "fingerprint")}
    # Someone else changes the lesson meanwhile: Apply writes nothing and shows the new plan.
    SelfCheckQuestion.objects.filter(lesson=diffusion, position=2).update(answer="Changed meanwhile")
    stale = client.post(url, {**fields, "apply": "Apply"})
    assert stale.status_code == 200 and "changed since this plan was made" in stale.content.decode()
    assert not Flashcard.objects.archived().exists()
    fields["fingerprint"] = stale.context["apply_form"].initial["fingerprint"]
    applied = client.post(url, {**fields, "apply": "Apply"})
    assert applied.status_code == 302
    assert Flashcard.objects.get(uid=removed["id"], lesson=diffusion).archived_at is not None
    assert SelfCheckQuestion.objects.get(lesson=diffusion, position=1).question == "Reworded first question?"
    # A forged fingerprint or a missing field changes nothing.
    assert client.post(url, {"text": text, "apply": "Apply"}).status_code == 400
