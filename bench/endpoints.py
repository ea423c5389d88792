"""What the benchmark loads: a table of endpoints, each with the requests it sends.

An endpoint's ``requests(data)`` returns prepared requests; wrk sends them in
rotation (bench/wrk.lua), each thread from its own offset, so a list at least
as long as the run's request count means no request is sent twice. That is how
a POST that changes state (a rating) gets a different due card every time.

To add an endpoint when its feature lands, append an ``Endpoint`` to
``ENDPOINTS``. ``BenchData`` gives what the seed made: the lessons, logged-in
students, their due cards, the classes of 30 and 300 and their instructor.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import cycle, islice

from django.db import connection


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    session: str = ""  # a session key: sent with the CSRF cookie and header
    body: str = ""  # application/x-www-form-urlencoded
    htmx: bool = False  # sends HX-Request: true

    def line(self):
        """One line of the file wrk.lua reads: tab-separated fields."""
        fields = [self.method, self.path, self.session, "1" if self.htmx else "", self.body]
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError(f"tab or newline in a request field: {self}")
        return "\t".join(fields)


@dataclass
class BenchData:
    """What the seed made, with sessions for a sample of students (filled in by the runner)."""

    lessons: list  # Lesson objects, in course order
    students: list  # (user_id, session_key, lessons started), one per logged-in student
    instructor_session: str
    class_30: int
    class_300: int
    class_1000: int
    now: object
    limit: int = 20000  # at most this many prepared requests per endpoint
    extra: dict = field(default_factory=dict)

    def note(self, text):
        """A line the runner prints after preparing the requests (what the seed had left to send)."""
        self.extra.setdefault("notes", []).append(text)

    @property
    def sessions(self):
        return [session for _, session, _ in self.students]

    def rotate(self, items):
        """``limit`` (session, item) pairs: every student in turn, each with the next item."""
        return list(islice(zip(cycle(self.sessions), cycle(items)), self.limit))

    def started_lessons(self):
        """(session, lesson) pairs over the lessons each student has started (their records show)."""
        pairs = []
        for position in range(max(started for _, _, started in self.students)):
            pairs += [(s, self.lessons[position]) for _, s, started in self.students if position < started]
        return list(islice(cycle(pairs), self.limit))

    def unrevealed_questions(self):
        """(session, question id) pairs of questions the student has not revealed yet, then revealed ones."""
        user_ids = [user_id for user_id, _, _ in self.students]
        session_of = {user_id: session for user_id, session, _ in self.students}
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT u.id, q.id, a.id IS NULL AS fresh FROM unnest(%s::bigint[]) AS u(id)
                CROSS JOIN lessons_selfcheckquestion q JOIN lessons_lesson l ON l.id = q.lesson_id
                LEFT JOIN lessons_selfcheckattempt a ON a.user_id = u.id AND a.question_id = q.id
                WHERE l.slug LIKE 'bench-lesson-%%'
                ORDER BY fresh DESC, l.position, q.position, u.id
                LIMIT %s
                """,
                [user_ids, self.limit],
            )
            rows = cursor.fetchall()
        fresh = sum(1 for *_, is_fresh in rows if is_fresh)
        self.note(
            f"self-check reveal: {fresh:,} questions not yet revealed by the sampled students; the requests after "
            "them re-send revealed ones (a cheaper refusal): reseed (--reseed) before runs you compare"
        )
        return [(session_of[user_id], question_id) for user_id, question_id, _ in rows]

    def due_cards(self):
        """(session, card id, state version) of cards due now, oldest due first across students.

        Each card is marked as turned over (a FlashcardReveal after its last review), as it is when
        a student presses a rating button, so every rating request does the whole scheduling write.
        """
        user_ids = [user_id for user_id, _, _ in self.students]
        session_of = {user_id: session for user_id, session, _ in self.students}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id, card_id, version FROM lessons_cardstate "
                "WHERE user_id = ANY(%s) AND due <= %s AND card_id IS NOT NULL ORDER BY due LIMIT %s",
                [user_ids, self.now, self.limit],
            )
            rows = cursor.fetchall()
            cursor.execute(
                """
                INSERT INTO lessons_flashcardreveal (user_id, card_id, revealed_at, answer_text, tries)
                SELECT s.user_id, s.card_id, %s, '', 0 FROM lessons_cardstate s
                WHERE s.user_id = ANY(%s) AND s.due <= %s AND s.card_id IS NOT NULL
                ON CONFLICT (user_id, card_id) DO UPDATE SET revealed_at = EXCLUDED.revealed_at
                """,
                [self.now, user_ids, self.now],
            )
        self.note(f"flashcard rating: {len(rows):,} cards due for the sampled students (each rated once, then cycled)")
        return [(session_of[user_id], card_id, version) for user_id, card_id, version in rows]

    def ordering_tries(self):
        """(session, exercise id, next attempt number): each pair once, so every check stores a new attempt."""
        user_ids = [user_id for user_id, _, _ in self.students]
        session_of = {user_id: session for user_id, session, _ in self.students}
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT u.id, e.id, COALESCE(MAX(a.number), 0) + 1 FROM unnest(%s::bigint[]) AS u(id)
                CROSS JOIN lessons_orderingexercise e JOIN lessons_lesson l ON l.id = e.lesson_id
                LEFT JOIN lessons_orderingattempt a ON a.user_id = u.id AND a.exercise_id = e.id
                WHERE l.slug LIKE 'bench-lesson-%%'
                GROUP BY u.id, e.id, l.position ORDER BY l.position, u.id LIMIT %s
                """,
                [user_ids, self.limit],
            )
            return [(session_of[user_id], exercise_id, number) for user_id, exercise_id, number in cursor.fetchall()]


@dataclass(frozen=True)
class Endpoint:
    name: str
    requests: Callable[[BenchData], list]
    status: int = 200  # what the preflight request must answer
    contains: str = ""  # text the preflight response must contain (proves we are logged in, etc.)
    # Throughput / the floor's that issue 16 asks for (None: no target): pages 0.08 (its goal 0.15, what a
    # synthetic two-query logged-in page reaches), fragments that write 0.05 (goal 0.10).
    target_ratio: float | None = 0.08
    p95_target_ms: float | None = None  # p95 at 8 connections (the class dashboards: 250 ms)
    class_size: int = 0  # a class dashboard: its students (the report gives the cost per student)
    app: str = "quizsite.wsgi:application"  # the WSGI app that serves it (gunicorn, the site's settings)


def _home(data):
    return [Request("GET", "/", session) for session in data.sessions]


def _practice_page(data):
    return [Request("GET", lesson.get_absolute_url(), session) for session, lesson in data.started_lessons()]


def _selfcheck_reveal(data):
    return [
        Request("POST", f"/questions/{question}/reveal/", session, "answer_text=Noise+is+added+step+by+step", True)
        for session, question in data.unrevealed_questions()
    ]


# A wrong order (one adjacent swap), so the feedback names the stages to move.
WRONG_ORDER = "&".join(f"order={label}" for label in ["b", "c", "d", "f", "a", "e"])


def _ordering_check(data):
    return [
        Request("POST", f"/ordering/{exercise}/check/", session, f"{WRONG_ORDER}&attempt={number}&moved=1", True)
        for session, exercise, number in data.ordering_tries()
    ]


def _flashcard_rating(data):
    return [
        Request("POST", f"/flashcards/{card}/rate/", session, f"rating=3&version={version}&next=review", True)
        for session, card, version in data.due_cards()
    ]


def _review_page(data):
    return [Request("GET", "/review/", session) for session in data.sessions]


def _dashboard(size):
    def requests(data):
        class_id = {30: data.class_30, 300: data.class_300, 1000: data.class_1000}[size]
        return [Request("GET", f"/classes/{class_id}/", data.instructor_session)]

    return requests


# What no logged-in page can beat on this stack: the site's settings and middleware, the session and its user
# (two queries) and a line of template (bench/account_floor.py). Every page's share of it is in the report.
ACCOUNT_FLOOR = Endpoint(
    "logged-in floor",
    lambda data: [Request("GET", "/account-floor/", session) for session in data.sessions],
    contains="Logged-in floor for",
    target_ratio=None,
    app="bench.account_floor_wsgi:application",
)

ENDPOINTS = [
    ACCOUNT_FLOOR,
    Endpoint("home", _home, contains="Log out"),
    Endpoint("practice page", _practice_page, contains="Log out"),
    Endpoint("self-check reveal", _selfcheck_reveal, contains="Got it", target_ratio=0.05),
    Endpoint("ordering check", _ordering_check, contains="pairs in order", target_ratio=0.05),
    Endpoint("flashcard rating", _flashcard_rating, contains="left", target_ratio=0.05),
    Endpoint("review page", _review_page, contains="Log out"),
    Endpoint(
        "class dashboard (30)", _dashboard(30), contains="Log out", p95_target_ms=250, target_ratio=None, class_size=30
    ),
    Endpoint(
        "class dashboard (300)",
        _dashboard(300),
        contains="Log out",
        p95_target_ms=250,
        target_ratio=None,
        class_size=300,
    ),
    # A lecture: its first section of 100 students; the target is a cost per student as flat as 30 to 300.
    Endpoint("class dashboard (1000)", _dashboard(1000), contains="Log out", target_ratio=None, class_size=1000),
]

FLOOR = Endpoint("floor", lambda data: [Request("GET", "/floor/")], contains="floor", target_ratio=None)
