"""A lesson's item view for a class: which questions it misses, where the ordering goes wrong, what predictions name.

A fixed number of queries whatever the number of students: one aggregate per
kind of item, grouped by item, never one per student or per cell.
"""

from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When

from lessons.models import (
    Classroom,
    Confidence,
    Enrollment,
    Lesson,
    OrderingAttempt,
    PredictionSubmission,
    Rating,
    ReviewLog,
    RubricPoint,
    SelfCheckAttempt,
    Verdict,
)
from lessons.selectors.class_dashboard import CONFIDENT_WRONG_SHARE, class_students, share


@dataclass
class QuestionStats:
    question: object
    revealed: int = 0
    judged: int = 0
    missed: int = 0
    partly: int = 0
    got_it: int = 0

    @property
    def missed_share(self) -> int:
        return share(self.missed, self.judged)


@dataclass
class WrongPair:
    first: str  # the label the student put first
    second: str
    count: int
    of: int
    first_text: str = ""  # the stages' own words, for the item view
    second_text: str = ""

    @property
    def share(self) -> int:
        return share(self.count, self.of)


@dataclass
class OrderingStats:
    exercise: object
    students: int = 0
    attempts: int = 0
    first_tries: int = 0
    first_correct: int = 0
    solved: int = 0
    wrong_pairs: list[WrongPair] = field(default_factory=list)

    def __post_init__(self):
        """Name each stage of a wrong pair by its text as well as its label (the items are prefetched)."""
        texts = {item.label: item.text for item in self.exercise.items.all()}
        for pair in self.wrong_pairs:
            pair.first_text, pair.second_text = texts.get(pair.first, ""), texts.get(pair.second, "")

    @property
    def first_correct_share(self) -> int:
        return share(self.first_correct, self.first_tries)

    @property
    def average_tries(self) -> float:
        return round(self.attempts / self.students, 1) if self.students else 0


@dataclass
class RubricStats:
    point: object
    named: int
    of: int

    @property
    def share(self) -> int:
        return share(self.named, self.of)


@dataclass
class PredictionStats:
    exercise: object
    marked: int = 0
    points: list[RubricStats] = field(default_factory=list)
    confidently_wrong: list[dict] = field(default_factory=list)


@dataclass
class CardStats:
    card: object
    again: int
    reviews: int
    students: int


@dataclass
class LessonReport:
    classroom: Classroom
    lesson: Lesson
    student_count: int
    questions: list[QuestionStats]
    orderings: list[OrderingStats]
    predictions: list[PredictionStats]
    cards: list[CardStats]


def _position_of(label: str, length: int):
    """SQL for the index of ``label`` in the attempt's ``order`` JSON array (NULL when absent)."""
    whens = [When(**{f"order__{i}": label}, then=Value(i)) for i in range(length)]
    return Case(*whens, default=None, output_field=IntegerField())


def wrong_pair_counts(exercises, students) -> dict[int, list[WrongPair]]:
    """On each student's first try: how many put a later stage before an earlier one, per pair (one query).

    For every pair (x, y) with x before y in the correct order, counts first
    tries whose order has y before x; the positions are computed in SQL from
    the stored JSON order.
    """
    exercises = [ex for ex in exercises if len(ex.items.all()) > 1]
    if not exercises:
        return {}
    length = max(len(ex.items.all()) for ex in exercises)
    labels = sorted({item.label for ex in exercises for item in ex.items.all()})
    safe = {label: f"p{i}" for i, label in enumerate(labels)}  # labels are free text; annotation names are not
    positions = {safe[label]: _position_of(label, length) for label in labels}
    aggregates = {}
    pairs = {}
    for ex in exercises:
        aggregates[f"n_{ex.pk}"] = Count("pk", filter=Q(exercise_id=ex.pk))
        correct = ex.correct_labels()
        for i, x in enumerate(correct):
            for y in correct[i + 1 :]:
                name = f"w_{ex.pk}_{safe[x]}_{safe[y]}"
                pairs[name] = (ex.pk, y, x)
                aggregates[name] = Count("pk", filter=Q(exercise_id=ex.pk, **{f"{safe[y]}__lt": F(safe[x])}))
    totals = (
        OrderingAttempt.objects.filter(exercise__in=[ex.pk for ex in exercises], user__in=students, number=1)
        .annotate(**positions)
        .aggregate(**aggregates)
    )
    result = {ex.pk: [] for ex in exercises}
    for name, (exercise_id, first, second) in pairs.items():
        if totals[name]:
            result[exercise_id].append(
                WrongPair(first=first, second=second, count=totals[name], of=totals[f"n_{exercise_id}"])
            )
    for found in result.values():
        found.sort(key=lambda pair: (-pair.count, pair.first, pair.second))
    return result


def _latest_marked(lesson, students):
    """Each student's latest self-marked prediction on the lesson (one subquery)."""
    latest_number = (
        PredictionSubmission.objects.filter(
            user=OuterRef("user"), exercise=OuterRef("exercise"), marked_at__isnull=False
        )
        .order_by("-number")
        .values("number")[:1]
    )
    return PredictionSubmission.objects.filter(
        exercise__lesson=lesson, user__in=students, marked_at__isnull=False, number=Subquery(latest_number)
    )


def lesson_report(classroom: Classroom, lesson: Lesson) -> LessonReport:
    """Per-item results of the class on one lesson (``lesson`` from ``Lesson.objects.with_archived_items()``).

    Archived items are listed too, after the live ones and labelled: the class's records on them are kept.
    """
    students = class_students(classroom)
    student_count = Enrollment.objects.filter(classroom=classroom).count()

    question_rows = {
        row["question_id"]: row
        for row in SelfCheckAttempt.objects.filter(question__lesson=lesson, user__in=students)
        .order_by()
        .values("question_id")
        .annotate(
            revealed=Count("pk"),
            judged=Count("pk", filter=~Q(verdict="")),
            missed=Count("pk", filter=Q(verdict=Verdict.MISSED)),
            partly=Count("pk", filter=Q(verdict=Verdict.PARTLY)),
            got_it=Count("pk", filter=Q(verdict=Verdict.GOT_IT)),
        )
    }
    questions = []
    for question in lesson.questions.all():
        row = question_rows.get(question.pk, {})
        questions.append(
            QuestionStats(
                question=question, **{k: row.get(k, 0) for k in ("revealed", "judged", "missed", "partly", "got_it")}
            )
        )

    exercises = list(lesson.ordering_exercises.all())
    orderings = []
    if exercises:
        ordering_rows = {
            row["exercise_id"]: row
            for row in OrderingAttempt.objects.filter(exercise__lesson=lesson, user__in=students)
            .order_by()
            .values("exercise_id")
            .annotate(
                students=Count("user", distinct=True),
                attempts=Count("pk"),
                first_tries=Count("pk", filter=Q(number=1)),
                first_correct=Count("pk", filter=Q(number=1, is_correct=True)),
                solved=Count("user", distinct=True, filter=Q(is_correct=True)),
            )
        }
        pairs = wrong_pair_counts(exercises, students)
        for ex in exercises:
            row = ordering_rows.get(ex.pk, {})
            orderings.append(
                OrderingStats(
                    exercise=ex,
                    wrong_pairs=pairs.get(ex.pk, [])[:3],
                    **{k: row.get(k, 0) for k in ("students", "attempts", "first_tries", "first_correct", "solved")},
                )
            )

    predictions = []
    prediction_exercises = list(lesson.predictions.all())
    if prediction_exercises:
        latest = _latest_marked(lesson, students)
        marked = {
            row["exercise_id"]: row["n"]
            for row in latest.order_by().values("exercise_id").annotate(n=Count("pk")).values("exercise_id", "n")
        }
        named = dict(
            RubricPoint.objects.filter(exercise__lesson=lesson)
            .order_by()
            .annotate(named=Count("submissions", filter=Q(submissions__in=latest.values("pk"))))
            .values_list("pk", "named")
        )
        confident = (
            latest.filter(confidence=Confidence.HIGH)
            .annotate(named=Count("named_points"))
            .order_by("user__username")
            .values("exercise_id", "user__username", "user__first_name", "named")
        )
        by_exercise = {}
        for row in confident:
            by_exercise.setdefault(row["exercise_id"], []).append(row)
        for ex in prediction_exercises:
            points = list(ex.rubric_points.all())
            of = marked.get(ex.pk, 0)
            predictions.append(
                PredictionStats(
                    exercise=ex,
                    marked=of,
                    points=[RubricStats(point=p, named=named.get(p.pk, 0), of=of) for p in points],
                    confidently_wrong=[
                        {
                            "username": row["user__username"],
                            "name": row["user__first_name"],
                            "named": row["named"],
                            "of": len(points),
                        }
                        for row in by_exercise.get(ex.pk, [])
                        if points and row["named"] < CONFIDENT_WRONG_SHARE * len(points)
                    ],
                )
            )

    cards = []
    flashcards = {card.pk: card for card in lesson.flashcards.all()}
    if flashcards:
        # The card ids as a list and counts of ``rating`` (not the id): reviewlog_user_card_live answers alone.
        card_rows = (
            ReviewLog.objects.live()
            .filter(card__in=list(flashcards), user__in=students)
            .order_by()
            .values("card_id")
            .annotate(
                again=Count("rating", filter=Q(rating=Rating.AGAIN)),
                reviews=Count("rating"),
                students=Count("user", distinct=True),
            )
            .filter(again__gt=0)
            .order_by("-again", "card_id")[:5]
        )
        cards = [
            CardStats(
                card=flashcards[row["card_id"]], again=row["again"], reviews=row["reviews"], students=row["students"]
            )
            for row in card_rows
        ]

    return LessonReport(
        classroom=classroom,
        lesson=lesson,
        student_count=student_count,
        questions=questions,
        orderings=orderings,
        predictions=predictions,
        cards=cards,
    )
