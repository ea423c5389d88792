"""A simulated class learning through the real review services, and the optimizer's fit time.

``python -m bench.learning`` (see docs/performance.md, "Learning"). Each simulated student has a
"true" memory: FSRS-6 with parameters drawn around the defaults, one set per student. They study
once a day, at a regular time (the same local hour every day, late in the evening: the case the
study-day fix is for) or at irregular times, through ``queue_for`` (what /review/ shows next),
``review_reveal`` and ``review_record`` (what its buttons post). A card is recalled with the
probability its true retrievability gives at that moment (real elapsed time), and rated Again when
forgotten, else Hard, Good or Easy. Achieved retention is the share of non-Again ratings of
Review-state cards, as on /progress/ and in Anki's "true retention".

Then every student's parameters are fitted from their history (``parameters_fit``), and they go
on studying the same way: the second half is measured with the parameters they were given.
"""

import argparse
import json
import math
import os
import random
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs_rs_python as fsrs_rs

DEFAULT = list(fsrs_rs.DEFAULT_PARAMETERS)
ZONES = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles"]
# How a student who remembers rates (Hard, Good, Easy), and a new card's first rating.
RECALLED = [(2, 0.10), (3, 0.80), (4, 0.10)]
FIRST = [(1, 0.25), (2, 0.10), (3, 0.55), (4, 0.10)]


def true_parameters(rng, spread=1.0):
    """One student's memory: FSRS-6 defaults, each weight scaled by a factor up to e^+-0.3 (the four
    initial stabilities e^+-0.6), times ``spread``."""
    params = list(DEFAULT)
    for i in range(len(params)):
        width = (0.6 if i < 4 else 0.3) * spread
        params[i] = params[i] * math.exp(rng.uniform(-width, width))
    return fsrs_rs.check_and_fill_parameters(params)


class TrueMemory:
    """The simulated brain: FSRS-6 memory states under the student's own (hidden) parameters."""

    def __init__(self, params):
        self.params = params
        self.model = fsrs_rs.FSRS(params)
        decay = -params[20]
        self.decay = decay
        self.factor = 0.9 ** (1 / decay) - 1

    def retrievability(self, stability, days):
        return (1 + self.factor * days / stability) ** self.decay

    def after(self, memory, days, rating):
        # FSRS counts whole days. The true memory takes real time to the nearest day: flooring it
        # (as fsrs counts 24-hour periods) would make a card studied 23h50 later a same-day review
        # with almost no gain in stability, a memory worse than FSRS's own model of it.
        states = self.model.next_states(memory, 0.9, max(0, round(days)))
        return {1: states.again, 2: states.hard, 3: states.good, 4: states.easy}[rating].memory


def draw(rng, choices):
    roll, total = rng.random(), 0.0
    for value, weight in choices:
        total += weight
        if roll < total:
            return value
    return choices[-1][0]


@dataclass
class CardMind:
    memory: object = None
    last: datetime | None = None

    def rate(self, truth, now, rng):
        """The rating a student with this true memory gives now, and their memory after it."""
        if self.memory is None:
            rating = draw(rng, FIRST)
            self.memory = truth.after(None, 0, rating)
        else:
            days = (now - self.last).total_seconds() / 86400
            recalled = rng.random() < truth.retrievability(self.memory.stability, days)
            rating = draw(rng, RECALLED) if recalled else 1
            self.memory = truth.after(self.memory, days, rating)
        self.last = now
        return rating


# ---------------------------------------------------------------- pure histories for the optimizer


def generate_histories(params, *, cards, days, seed, retention=0.9):
    """Review histories of ``cards`` cards studied daily for ``days`` days by a student whose true memory
    is ``params``, scheduled by FSRS's defaults (no database). ``[[(reviewed_at, rating), ...], ...]``."""
    from lessons import scheduling

    rng = random.Random(seed)
    truth = TrueMemory(params)
    clock = scheduling.StudyClock(zone=UTC, rollover_hour=4)
    start = datetime(2025, 1, 6, 20, 0, tzinfo=UTC)
    histories = []
    for card_id in range(cards):
        mind, memory, history = CardMind(), scheduling.MemoryState(), []
        now = start + timedelta(days=card_id * days // (2 * cards), minutes=rng.randrange(60))
        end = start + timedelta(days=days)
        while now < end:
            rating = mind.rate(truth, now, rng)
            history.append((now, rating))
            memory = scheduling.review(
                user_id=1,
                card_id=card_id,
                memory=memory,
                rating=rating,
                now=now,
                desired_retention=retention,
                clock=clock,
            ).after
            due = memory.due
            now = max(due, now + timedelta(minutes=1))
            if memory.state == 2:  # Review: studied at about 20:00 on its day
                now = now.replace(hour=20, minute=rng.randrange(60))
        histories.append(history)
    return histories


def fit_time(reviews, *, seed=7):
    """Seconds fsrs-rs takes to fit parameters to a generated history of about ``reviews`` reviews."""
    from lessons import scheduling

    rng = random.Random(seed)
    items, histories_reviews = [], 0
    clock = scheduling.StudyClock(zone=UTC, rollover_hour=4)
    student = 0
    while histories_reviews < reviews:
        histories = generate_histories(true_parameters(rng), cards=50, days=120, seed=seed + student)
        student += 1
        histories_reviews += sum(len(h) for h in histories)
        items += scheduling.training_items(histories, clock)
    started = time.perf_counter()
    scheduling.fit_parameters(items)
    return {"reviews": histories_reviews, "items": len(items), "seconds": round(time.perf_counter() - started, 2)}


def _session_start(zone, day, *, regular, rng):
    """When a student in ``zone`` sits down ``day`` days after 3 March 2025 (the simulations' first day): at
    23:00 local every evening when ``regular`` (the card "due tomorrow" comes back after 5 hours), else at a
    random time from 6:00."""
    local_day = datetime(2025, 3, 3, tzinfo=zone) + timedelta(days=day)
    if regular:
        return local_day.replace(hour=23, minute=0)
    return local_day.replace(hour=rng.randrange(6, 24), minute=rng.randrange(60))


def scheduler_only_retention(*, students, cards, days, retention, regular, spread=1.0, seed=1):
    """Achieved retention of many students under ``lessons.scheduling`` alone (no database, no queue): the
    same true memories, study times and zones as ``simulate_class``, cheap enough for 100 students a row.
    Each card is studied on the study day it falls due, at the student's time of day."""
    from lessons import scheduling

    draws = random.Random(seed)
    passed = total = 0
    for student in range(students):
        truth = TrueMemory(true_parameters(draws, spread))
        rng = random.Random(seed * 1000 + student)
        zone = ZoneInfo(ZONES[student % len(ZONES)])
        clock = scheduling.StudyClock(zone=zone, rollover_hour=4)
        first = datetime(2025, 3, 3, tzinfo=zone)

        for card in range(cards):
            mind, memory = CardMind(), scheduling.MemoryState()
            now = _session_start(zone, card * days // (2 * cards), regular=regular, rng=rng)
            while now < first + timedelta(days=days):
                rating = mind.rate(truth, now, rng)
                if memory.state == 2:
                    total += 1
                    passed += rating != 1
                memory = scheduling.review(
                    user_id=student,
                    card_id=card,
                    memory=memory,
                    rating=rating,
                    now=now,
                    clock=clock,
                    desired_retention=retention,
                ).after
                if memory.state == 2:
                    now = max(
                        _session_start(zone, (clock.date_of(memory.due) - first.date()).days, regular=regular, rng=rng),
                        memory.due,
                    )
                else:
                    now = max(memory.due, now + timedelta(seconds=30))
    return {"achieved": round(passed / total, 4), "review_state_reviews": total}


def held_out_fit(*, students, cards=200, days=120, spread=1.0, seed=5):
    """Per-student fits judged on reviews they were not fitted on: each student's cards are split in two
    halves; parameters are fitted to one half (when it has Anki's 400 training items) and the log loss of
    the defaults and of the fit are compared on the other half."""
    from lessons import scheduling

    draws = random.Random(seed)
    rows = []
    for student in range(students):
        truth = true_parameters(draws, spread)
        histories = generate_histories(truth, cards=cards, days=days, seed=seed * 1000 + student)
        clock = scheduling.StudyClock(zone=UTC, rollover_hour=4)
        seen, unseen = scheduling.two_folds(histories)
        train = scheduling.training_items(seen, clock)
        test = scheduling.training_items(unseen, clock)
        if len(train) < scheduling.MIN_TRAINING_ITEMS:
            continue
        fitted = scheduling.fit_parameters(train)
        rows.append((scheduling.evaluate(None, test), scheduling.evaluate(fitted, test), len(train)))
    if not rows:
        return {"students": 0}
    return {
        "students": len(rows),
        "spread": spread,
        "training_items": round(statistics.mean(r[2] for r in rows)),
        "log_loss_defaults": round(statistics.mean(r[0].log_loss for r in rows), 4),
        "log_loss_fitted": round(statistics.mean(r[1].log_loss for r in rows), 4),
        "rmse_defaults": round(statistics.mean(r[0].rmse for r in rows), 4),
        "rmse_fitted": round(statistics.mean(r[1].rmse for r in rows), 4),
        "lower_log_loss": sum(1 for r in rows if r[1].log_loss < r[0].log_loss),
    }


# ---------------------------------------------------------------- a class through the real services


@dataclass
class Student:
    user: object
    truth: TrueMemory
    zone: ZoneInfo
    regular: bool
    minds: dict = field(default_factory=dict)


def study_session(student, now, rng, *, settings):
    """One sitting: take what /review/ offers until it is empty (10 s a card)."""
    from lessons.selectors import review_queue
    from lessons.services import review as services

    done = 0
    while done < 400:
        q = review_queue.queue_for(student.user, now=now, study_settings=settings)
        if q.head_card is None:
            break
        card = q.head_card
        mind = student.minds.setdefault(card.pk, CardMind())
        services.review_reveal(user=student.user, card=card, shown_at=now, revealed_at=now + timedelta(seconds=6))
        rating = mind.rate(student.truth, now + timedelta(seconds=6), rng)
        services.review_record(
            user=student.user,
            card=card,
            rating=rating,
            version=q.head_state.version if q.head_state else 0,
            reviewed_at=now + timedelta(seconds=9),
            advance=True,  # as /review/ rates: an item brought forward for an exam date is reviewed
            study_settings=settings,
        )
        now += timedelta(seconds=10)
        done += 1
    return done


def measure(user_ids, since, until):
    """Achieved retention on Review-state cards, reviews, and reviews a day, between two moments."""
    from django.db.models import Count, Q

    from lessons.models import CardStateKind, ReviewLog

    rows = (
        ReviewLog.objects.scheduled()
        .filter(user_id__in=user_ids, reviewed_at__gte=since, reviewed_at__lt=until)
        .aggregate(
            total=Count("pk"),
            review=Count("pk", filter=Q(state_before=CardStateKind.REVIEW)),
            passed=Count("pk", filter=Q(state_before=CardStateKind.REVIEW) & ~Q(rating=1)),
        )
    )
    return rows


def _simulated_class(tag, *, cards, students, retention, new_per_day, rng, spread):
    """A published lesson of ``cards`` flashcards, assigned by a class (no expected-by date, so its new cards are
    in the queue) of ``students`` students, each with study settings in one of ``ZONES`` and a true memory drawn
    from ``rng``; even-numbered students study at a regular time. Returns the lesson and the ``Student``s."""
    from django.contrib.auth import get_user_model

    from lessons.models import ClassLesson, Classroom, Course, Enrollment, Flashcard, Lesson, StudentSettings

    course, _ = Course.objects.get_or_create(slug=f"{tag}-course", defaults={"title": f"Simulated {tag}"})
    lesson = Lesson.objects.create(course=course, slug=f"{tag}-lesson", title=f"Simulated {tag}", published=True)
    Flashcard.objects.bulk_create(
        [Flashcard(lesson=lesson, position=i, front=f"Q{i}", back=f"A{i}") for i in range(cards)]
    )
    classroom = Classroom.objects.create(name=f"Class {tag}")
    ClassLesson.objects.create(classroom=classroom, lesson=lesson)
    users = get_user_model()
    class_ = []
    for i in range(students):
        user = users.objects.create_user(username=f"{tag}-{i}")
        zone = ZoneInfo(ZONES[i % len(ZONES)])
        StudentSettings.objects.create(
            user=user, desired_retention=retention, time_zone=zone.key, new_cards_per_day=new_per_day
        )
        Enrollment.objects.create(classroom=classroom, student=user)
        class_.append(Student(user, TrueMemory(true_parameters(rng, spread)), zone, regular=i % 2 == 0))
    return lesson, class_


def simulate_class(*, students, days, retention, cards, seed, fit_after=None, new_per_day=10, spread=1.0, tag=""):
    """Run a class through the services; returns the figures per study pattern and phase."""

    from lessons.models import StudentSettings
    from lessons.services import optimizer

    rng = random.Random(seed)
    tag = f"sim{seed}r{int(retention * 100)}{tag}"
    lesson, class_ = _simulated_class(
        tag, cards=cards, students=students, retention=retention, new_per_day=new_per_day, rng=rng, spread=spread
    )
    fitted = {}
    for day in range(days):
        if fit_after is not None and day == fit_after:
            for student in class_:
                at = _session_start(student.zone, day, regular=student.regular, rng=rng) - timedelta(hours=2)
                try:
                    fit = optimizer.parameters_fit(user=student.user, now=at)
                    fitted[student.user.pk] = fit
                except Exception as error:  # noqa: BLE001 - a refusal (too few reviews) is a result here
                    fitted[student.user.pk] = error
        for student in class_:
            settings = StudentSettings.objects.for_user(student.user)
            study_session(
                student, _session_start(student.zone, day, regular=student.regular, rng=rng), rng, settings=settings
            )
    start = datetime(2025, 3, 3, tzinfo=UTC) - timedelta(days=1)
    split = start + timedelta(days=(fit_after if fit_after is not None else days // 2) + 1)
    end = start + timedelta(days=days + 2)
    result = {"retention": retention, "students": students, "days": days, "cards": cards}
    for pattern, regular in (("regular", True), ("irregular", False), ("class", None)):
        ids = [s.user.pk for s in class_ if regular is None or s.regular == regular]
        for phase, since, until in (("first", start, split), ("second", split, end), ("all", start, end)):
            rows = measure(ids, since, until)
            result[f"{pattern}_{phase}"] = {
                "achieved": round(rows["passed"] / rows["review"], 4) if rows["review"] else None,
                "review_state_reviews": rows["review"],
                "reviews_per_card": round(rows["total"] / (len(ids) * cards), 2),
                "reviews_per_day": round(rows["total"] / (len(ids) * max(1, (until - since).days)), 2),
            }
    kept = [f for f in fitted.values() if not isinstance(f, Exception)]
    result["fits"] = {
        "fitted": len(kept),
        "refused": len(fitted) - len(kept),
        "kept": sum(1 for f in kept if f.kept),
        "log_loss_before": round(statistics.mean(f.log_loss_before for f in kept), 4) if kept else None,
        "log_loss_after": round(statistics.mean(f.log_loss_after for f in kept), 4) if kept else None,
        "rmse_before": round(statistics.mean(f.rmse_before for f in kept), 4) if kept else None,
        "rmse_after": round(statistics.mean(f.rmse_after for f in kept), 4) if kept else None,
    }
    return result


# ---------------------------------------------------------------- an exam date 30 days ahead (issue 18)


def _true_recall(student, moment):
    """The true retrievability of each of the student's cards at ``moment`` (0 for a card never studied)."""
    recalls = []
    for mind in student.minds.values():
        if mind.memory is not None:
            days = (moment - mind.last).total_seconds() / 86400
            recalls.append(student.truth.retrievability(mind.memory.stability, days))
    return recalls


def simulate_exam(*, students, cards, before, lead=30, retention, seed, plan, new_per_day=10, spread=1.0):
    """A class that studies ``before`` days, then has an exam ``lead`` days ahead; with ``plan`` each student
    sets it as their exam date (/plan/: items at risk are brought forward in /review/), without it they
    study as usual. Same seed, same students and the same days until the plans differ. Returns the mean true
    recall of all their cards at 10:00 local on the exam day, and the reviews of the ``lead`` days before it."""

    from lessons import scheduling
    from lessons.models import (
        CardState,
        ReviewLog,
        StudentExam,
        StudentSettings,
    )

    rng = random.Random(seed)
    tag = f"exam{seed}r{int(retention * 100)}{'plan' if plan else 'none'}{uuid.uuid4().hex[:6]}"
    lesson, class_ = _simulated_class(
        tag, cards=cards, students=students, retention=retention, new_per_day=new_per_day, rng=rng, spread=spread
    )
    # One generator per student: where the plan changes one student's queue, the others' draws stay the same.
    rngs = [random.Random(f"{seed}:{i}") for i in range(students)]
    exam_day = (datetime(2025, 3, 3) + timedelta(days=before + lead)).date()
    for day in range(before + lead):
        if plan and day == before:
            StudentExam.objects.bulk_create(
                [StudentExam(user=s.user, course_id=lesson.course_id, date=exam_day) for s in class_]
            )
        for student, own in zip(class_, rngs, strict=True):
            settings = StudentSettings.objects.for_user(student.user)
            study_session(
                student, _session_start(student.zone, day, regular=student.regular, rng=own), own, settings=settings
            )
    recall, reviews, early, cards_below, forecast = [], [], 0, 0, []
    clock_of = {s.user.pk: StudentSettings.objects.for_user(s.user) for s in class_}
    for student in class_:
        moment = datetime.combine(exam_day, datetime.min.time(), tzinfo=student.zone).replace(hour=10)
        true = _true_recall(student, moment)
        recall.append(sum(true) / cards)
        cards_below += sum(1 for r in true if r < retention) + (cards - len(true))
        # What /plan/ would have shown the evening before: FSRS's forecast from the student's own states.
        clock = scheduling.StudyClock.of(clock_of[student.user.pk])
        predicted = [
            scheduling.retrievability_on(scheduling.MemoryState.of(state), exam_day, clock=clock) or 0.0
            for state in CardState.objects.filter(user=student.user)
        ]
        forecast.append(sum(predicted) / cards)
        since = datetime.combine(exam_day - timedelta(days=lead), datetime.min.time(), tzinfo=student.zone)
        logs = ReviewLog.objects.scheduled().filter(user=student.user, reviewed_at__gte=since, reviewed_at__lt=moment)
        reviews.append(logs.count())
        # Reviewed before the study day it was due on: brought forward (nothing else rates a card early here).
        early += sum(
            1
            for due, at in logs.filter(state_before=2).values_list("due_before", "reviewed_at")
            if clock.date_of(due) > clock.date_of(at)
        )
    below = sum(1 for r in recall if r < retention)
    return {
        "plan": plan,
        "retention": retention,
        "students": students,
        "cards": cards,
        "days_before": before,
        "lead": lead,
        "recall_on_the_day": round(statistics.mean(recall), 4),
        "recall_lowest": round(min(recall), 4),
        "students_below": below,
        "cards_below_desired": round(cards_below / (cards * students), 4),
        "forecast_on_the_day": round(statistics.mean(forecast), 4),
        "reviews_in_the_lead": sum(reviews),
        "brought_forward": early,
        "reviews_per_student_day": round(sum(reviews) / (students * lead), 2),
    }


# Prose kept with the exam table (edit it when a new run tells a different story).
EXAM_NOTES = """
What the exam run shows (run of 2026-12-06, 8 students an arm, 20 cards, 30 days of study before the date):

- **The target is met**: with the plan, recall on the exam day (true memory) is 0.952 for a desired 0.90
  and 0.877 for 0.80, for 1.00 and 0.96 times the reviews of the students without it (the issue's bar:
  at or above desired, for at most 1.5 times).
- **But the plan is not what gets them there.** Without it the same students reach 0.948 and 0.877. FSRS
  sets each due date on the day a card's predicted recall falls to the desired retention, so a card its
  schedule does not bring back before the exam is, by the model, still above desired on the day. Only
  cards whose interval fuzz or rounding pushed past that day are at risk: the plan brought forward 8 (0.90)
  and 3 (0.80) reviews of 160 cards in 30 days. The rows differ by less than the run's noise (a student's
  random draws diverge after their first brought-forward review).
- **The forecast is honest on average, not per card.** FSRS's forecast of the class's mean recall on the
  day (what /plan/ shows, from the students' states and default parameters) is within 0.003 of the true
  mean; yet 12-14% of cards are below 0.90 on the day in truth (5-8% below 0.80), because each simulated
  student's true memory is spread around the defaults. Fitted parameters narrow that; bringing cards
  forward by the model cannot. Hence /plan/ shows "about" a percentage rounded to 5, never a grade.
- The plan would matter more for a student who studies irregularly or for an exam target above the
  everyday desired retention (RemNote's exam scheduler asks for one); neither is built or measured here.
"""


def exam_markdown(rows, command=""):
    """The exam-date sub-section of the Learning section."""
    lines = [
        "",
        "### An exam date 30 days ahead, with and without the plan",
        "",
        *([f"Reproduce: `{command}` (written into this section, docs/learning.json's `exam`).", ""] if command else []),
        "The same students (same seed, same true memories, same days) study one lesson through /review/ for "
        "`before` days; then, with the plan, each sets an exam date 30 days ahead on /plan/ and /review/ "
        "brings their items at risk forward (`simulate_exam`); without it they go on as usual. Recall on the "
        "day is drawn from true memory: the mean true retrievability of all their cards at 10:00 on the exam "
        "day; reviews are the scheduled ratings of the 30 days before it.",
        "",
        "| desired | plan | recall on the day (mean, true) | FSRS's forecast of it | lowest student "
        "| students below desired | cards below desired | reviews | of which brought forward "
        "| reviews per student-day | cost |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_key = {(r["retention"], r["plan"]): r for r in rows}
    for row in rows:
        base = by_key.get((row["retention"], False))
        cost = f"{row['reviews_in_the_lead'] / base['reviews_in_the_lead']:.2f}x" if base and row["plan"] else "1x"
        lines.append(
            f"| {row['retention']:.2f} | {'with' if row['plan'] else 'without'} | {row['recall_on_the_day']} | "
            f"{row['forecast_on_the_day']} | {row['recall_lowest']} | {row['students_below']} of {row['students']} "
            f"| {row['cards_below_desired']:.1%} | {row['reviews_in_the_lead']:,} "
            f"| {row['brought_forward']} | {row['reviews_per_student_day']} | {cost} |"
        )
    return [*lines, EXAM_NOTES.rstrip()]


SECTION = "## Learning"

# Prose kept with the generated tables (edit it when a new run tells a different story).
NOTES = """
### Choosing the optimizer

| | `fsrs-rs-python` 0.9.3 (chosen) | `fsrs[optimizer]` 6.3.2 |
| --- | --- | --- |
| what it is | fsrs-rs, the Rust FSRS that Anki itself runs, as a Python wheel | py-fsrs's PyTorch port of the optimizer |
| install | one 0.58 MB wheel (1.5 MB installed), no dependencies | `pip install --dry-run` resolves torch 2.14.1, triton 3.8, 17 `nvidia-*` CUDA packages, numpy, pandas, sympy, networkx: several GB; not installed here |
| fit time, 1,030 reviews | 0.03 s | not measured (not installed) |
| fit time, 100,315 reviews | 2.4-2.7 s | not measured |
| evaluation | `evaluate` gives log loss and RMSE (bins), the figures Anki's "Evaluate" shows | hand-written |

fsrs-rs is what Anki users' parameters come from, so a student's fit here is the one Anki would
give on the same history; it fits 100,000 reviews in under 3 s on one shared core, which makes a
nightly run over every student due for it cheap, and it adds no GPU stack to the image.
Thresholds: a student is fitted on their own history from 400 training items (reviews on a later
study day than the card's previous one), the bar Anki uses (`compute_params` in
`rslib/src/scheduler/fsrs/params.rs`); a class's pooled history past the same bar stands in for
students below it. New parameters are kept only if they lower the log loss on the student's own
history (Anki keeps them only if they lower RMSE; we report both).

### What the simulation shows (run of 2026-12-06)

- **The earlier undershoot was the simulator's.** The first runs of this benchmark landed at
  0.82-0.85 for a desired 0.90. The cause was the simulated "true" memory, not the scheduler: it
  handed fsrs-rs the elapsed time floored to whole 24-hour periods, so a card studied 23h50 after
  its last review counted as a same-day review and barely gained stability, a memory worse than
  FSRS's own model of it. The true memory now counts real time to the nearest day (its
  retrievability, which decides recall, was and is computed from the exact elapsed time).
- **Study-day time.** Students who study at 23:00 every day (the case in the issue: a "1d" card
  offered again 5 hours later, a same-day review for FSRS, 0.945 retention for 0.90 at about
  twice the reviews) now land where the irregular students do. In the class through the
  services, over all 60 days: 0.877-0.880 (regular) and 0.885-0.888 (irregular) for 0.90;
  0.771-0.778 and 0.795-0.807 for 0.80. Class-wide: 0.881-0.884 and 0.782-0.792.
- **Within the target, with a small bias of the scheduler's own.** The scheduler alone, with
  100 students a row (6,000 Review-state ratings at 0.90), lands at -0.011 to -0.015 for 0.90 and
  0.000 to -0.014 for 0.80, for both study patterns and whether true memories are FSRS's defaults
  (spread 0) or varied (spread 1): inside the issue's +-0.02. The bias comes mostly from cards
  whose stability after a lapse is under a day: no Review interval is shorter than a day, so
  they come back a little late, as in Anki. The class rows differ from these by up to 0.015 (25
  students a pattern; a student's own memory moves their figure), which is why the regular
  pattern there reads -0.020 to -0.029.
- **Fitted parameters.** With 16 cards a student, nobody had 400 training items by day 30, so
  each got the class's pooled fit, kept for 20 of 50 (0.90) and 29 of 50 (0.80): those whose own
  log loss it lowered. The second phase moved by less than its noise (400-900 Review-state ratings
  a row). Judged on reviews they were not fitted on (the last table), per-student fits need more
  history than Anki's 400-item bar before they help: at about 500 items a fit beat the defaults
  for 4 of 20 students with memories near the defaults (13 of 19 with memories far from them), at
  about 2,000 for 13 and 19 of 20, at about 7,800 for 18 and 20 of 20. So a student's own fit is
  now kept only when it also wins a two-fold check (fitted to half their cards, it must lower the
  log loss on the other half, both ways round), not only on the history it was fitted on
  (`lessons/services/optimizer.py`).
"""


def _row(result, key):
    figures = result.get(key) or {}
    achieved = figures.get("achieved")
    miss = "" if achieved is None else f"{achieved - result['retention']:+.3f}"
    return (
        f"| {result['retention']:.2f} | {result['parameters']} | {key.replace('_', ', ')} | "
        f"{achieved if achieved is not None else '-'} | {miss} | {figures.get('review_state_reviews', 0)} | "
        f"{figures.get('reviews_per_card', '-')} | {figures.get('reviews_per_day', '-')} |"
    )


def markdown(report, command):
    """The "Learning" section of docs/performance.md, from the report."""
    lines = [
        SECTION,
        "",
        f"Reproduce: `{command}` (bench/learning.py; figures in docs/learning.json).",
        "",
        "### Optimizer fit time (fsrs-rs through fsrs-rs-python, one core of a shared machine)",
        "",
        "| reviews | training items | seconds |",
        "| ---: | ---: | ---: |",
    ]
    lines += [f"| {f['reviews']:,} | {f['items']:,} | {f['seconds']} |" for f in report["fit_times"]]
    lines += [
        "",
        "### A simulated class through the review services",
        "",
        'Achieved retention is the share of non-Again ratings of Review-state cards; "miss" is achieved minus '
        'desired. "first" is before the fit day, "second" after it (the fitted class runs on fitted '
        "parameters from then on; the default class, same seed, same students, stays on FSRS's defaults).",
        "",
        "| desired | parameters | pattern, phase | achieved | miss | Review-state reviews | reviews per card "
        "| reviews per student-day |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in report["classes"]:
        for pattern in ("regular", "irregular", "class"):
            for phase in ("first", "second", "all"):
                lines.append(_row(result, f"{pattern}_{phase}"))
    if report.get("scheduler_only"):
        lines += [
            "",
            "### The scheduler alone, 100 students a row",
            "",
            "The same true memories, zones and study times through `lessons.scheduling` without the database "
            "(`scheduler_only_retention`): enough reviews per row to see the scheduler's own bias. Spread 0: "
            "every true memory is FSRS's defaults; 1: as in the class above.",
            "",
            "| desired | pattern | spread | achieved | miss | Review-state reviews |",
            "| ---: | --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['retention']:.2f} | {r['pattern']} | {r['spread']} | {r['achieved']} | "
            f"{r['achieved'] - r['retention']:+.3f} | {r['review_state_reviews']:,} |"
            for r in report["scheduler_only"]
        ]
    if report.get("held_out_fit"):
        lines += [
            "",
            "### Per-student fits on reviews they were not fitted on",
            "",
            "Each student's cards split in two: parameters fitted to one half, log loss and RMSE of the "
            "defaults and of the fit on the other half (`held_out_fit`, mean over students).",
            "",
            "| memories spread | training items | log loss, defaults | log loss, fitted | RMSE, defaults "
            "| RMSE, fitted | students the fit helped |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['spread']} | {r['training_items']:,} | {r['log_loss_defaults']} | {r['log_loss_fitted']} | "
            f"{r['rmse_defaults']} | {r['rmse_fitted']} | {r['lower_log_loss']} of {r['students']} |"
            for r in report["held_out_fit"]
        ]
    if report.get("exam"):
        lines += exam_markdown(report["exam"], report.get("exam_command", ""))
    lines += ["", "Fits (per class run):", ""]
    for result in report["classes"]:
        if result["parameters"] == "fitted":
            lines.append(f"- desired {result['retention']:.2f}: {json.dumps(result['fits'])}")
    return "\n".join(lines) + "\n" + NOTES


def write_section(path, text):
    """Replace (or append) the Learning section of docs/performance.md."""
    try:
        with open(path) as existing:
            content = existing.read()
    except FileNotFoundError:
        content = ""
    if SECTION in content:
        start = content.index(SECTION)
        rest = content[start + len(SECTION) :]
        end = rest.find("\n## ")
        content = content[:start] + text + ("" if end < 0 else rest[end + 1 :])
    else:
        content = content.rstrip() + "\n\n" + text
    with open(path, "w") as out:
        out.write(content)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--fit-after", type=int, default=60)
    parser.add_argument("--cards", type=int, default=40)
    parser.add_argument("--retention", type=float, nargs="+", default=[0.9, 0.8])
    parser.add_argument("--fit-times", type=int, nargs="*", default=[1_000, 100_000])
    parser.add_argument("--new-per-day", type=int, default=10)
    parser.add_argument("--variants", nargs="+", default=["fitted", "default"], choices=["fitted", "default"])
    parser.add_argument("--scheduler-only-students", type=int, default=100, help="0: skip that table.")
    parser.add_argument("--held-out-cards", type=int, nargs="*", default=[200, 800, 3000])
    parser.add_argument("--exam-students", type=int, default=10, help="Per arm (with, without the plan); 0: skip.")
    parser.add_argument("--exam-before", type=int, default=30, help="Days of study before the exam date is set.")
    parser.add_argument("--only-exam", action="store_true", help="Run the exam-date table alone (keep the rest).")
    parser.add_argument("--out", default="docs/learning.json")
    parser.add_argument("--markdown", default="docs/performance.md", help="Where to write the Learning section.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizsite.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.only_exam:
        return exam_only(args, argv)
    report = {"fit_times": [], "classes": [], "scheduler_only": [], "held_out_fit": []}
    for retention in args.retention if args.scheduler_only_students else []:
        for regular in (True, False):
            for spread in (0.0, 1.0):
                row = scheduler_only_retention(
                    students=args.scheduler_only_students,
                    cards=args.cards,
                    days=args.days,
                    retention=retention,
                    regular=regular,
                    spread=spread,
                )
                report["scheduler_only"].append(
                    {**row, "retention": retention, "pattern": "regular" if regular else "irregular", "spread": spread}
                )
    for cards in args.held_out_cards:
        for spread in (1.0, 2.0):
            report["held_out_fit"].append(held_out_fit(students=20, cards=cards, spread=spread))
    for reviews in args.fit_times:
        report["fit_times"].append(fit_time(reviews))
        print(report["fit_times"][-1], file=sys.stderr)
    # Each retention twice with the same seed: the same students and, up to the fit, the same days;
    # after it, one class runs on fitted parameters and the other stays on the defaults.
    # Fitted classes first: on a slow machine the report is written after each class.
    variants = {"fitted": args.fit_after, "default": None}
    for fit_after in [variants[name] for name in args.variants]:
        for retention in args.retention:
            started = time.perf_counter()
            result = simulate_class(
                students=args.students,
                days=args.days,
                retention=retention,
                cards=args.cards,
                seed=11,
                fit_after=fit_after,
                new_per_day=args.new_per_day,
                tag="fit" if fit_after else "default",
            )
            result["parameters"] = "fitted" if fit_after else "default"
            result["seconds"] = round(time.perf_counter() - started)
            report["classes"].append(result)
            print(json.dumps(result), file=sys.stderr)
            with open(args.out, "w") as out:
                json.dump(report, out, indent=1)
    report["exam"] = exam_rows(args)
    report["exam_command"] = "python -m bench.learning " + " ".join(argv or sys.argv[1:])
    connection.close()
    with open(args.out, "w") as out:
        json.dump(report, out, indent=1)
    if args.markdown:
        write_section(args.markdown, markdown(report, "python -m bench.learning " + " ".join(argv or sys.argv[1:])))
    return 0


def exam_rows(args):
    rows = []
    for retention in args.retention if args.exam_students else []:
        for plan in (False, True):
            started = time.perf_counter()
            row = simulate_exam(
                students=args.exam_students,
                cards=args.cards,
                before=args.exam_before,
                retention=retention,
                seed=17,
                plan=plan,
                new_per_day=args.new_per_day,
            )
            row["seconds"] = round(time.perf_counter() - started)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    return rows


def exam_only(args, argv=None):
    """Rerun the exam-date table alone: the rest of docs/learning.json and of the Learning section is kept."""
    try:
        with open(args.out) as existing:
            report = json.load(existing)
    except FileNotFoundError:
        report = {"fit_times": [], "classes": [], "scheduler_only": [], "held_out_fit": []}
    report["exam"] = exam_rows(args)
    report["exam_command"] = "python -m bench.learning " + " ".join(argv or sys.argv[1:])
    with open(args.out, "w") as out:
        json.dump(report, out, indent=1)
    if args.markdown:
        # Keep the command the rest of the section was produced by.
        try:
            with open(args.markdown) as existing:
                found = re.search(r"Reproduce: `([^`]*)`", existing.read().split(SECTION, 1)[-1])
        except FileNotFoundError:
            found = None
        write_section(args.markdown, markdown(report, found.group(1) if found else "python -m bench.learning"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
