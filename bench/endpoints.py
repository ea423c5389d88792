"""What the benchmark loads: a table of endpoints, each with the requests it sends.

An endpoint's ``requests(data)`` returns prepared requests; wrk sends them in
rotation (bench/wrk.lua), each thread from its own offset, so a list at least
as long as the run's request count means no request is sent twice. That is how
a POST that changes state (a rating) gets a different due card every time.

To add an endpoint when its feature lands, append an ``Endpoint`` to
``ENDPOINTS``. ``BenchData`` gives what the seed made: the lessons, logged-in
students, their due cards, the classes of 30 and 300 and their instructor.
Sketches for the endpoints still to come (adjust to the real URLs and fields)::

    Endpoint("ordering check", lambda d: [
        Request("POST", f"/ordering/{ex}/check/", s, "order=b&order=d&order=c&order=f&order=a&order=e", htmx=True)
        for s, ex in d.rotate(d.ordering_exercises)], contains="pairs"),
    Endpoint("flashcard rating", lambda d: [
        Request("POST", f"/cards/{card}/rate/", s, f"rating=3&version={version}", htmx=True)
        for s, card, version in d.due_cards()], contains="Again"),
    Endpoint("review page", lambda d: [Request("GET", "/review/", s) for s in d.sessions], contains="Log out"),
    Endpoint("class dashboard (30)", lambda d: [Request("GET", f"/classes/{d.class_30}/", d.instructor_session)]),
    Endpoint("class dashboard (300)", lambda d: [Request("GET", f"/classes/{d.class_300}/", d.instructor_session)]),
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
    now: object
    limit: int = 20000  # at most this many prepared requests per endpoint
    extra: dict = field(default_factory=dict)

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
            return [(session_of[user_id], question_id) for user_id, question_id, _ in cursor.fetchall()]

    def due_cards(self):
        """(session, card id, state version) of cards due now, oldest due first across students."""
        user_ids = [user_id for user_id, _, _ in self.students]
        session_of = {user_id: session for user_id, session, _ in self.students}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id, card_id, version FROM lessons_cardstate "
                "WHERE user_id = ANY(%s) AND due <= %s ORDER BY due LIMIT %s",
                [user_ids, self.now, self.limit],
            )
            return [(session_of[user_id], card_id, version) for user_id, card_id, version in cursor.fetchall()]


@dataclass(frozen=True)
class Endpoint:
    name: str
    requests: Callable[[BenchData], list]
    status: int = 200  # what the preflight request must answer
    contains: str = ""  # text the preflight response must contain (proves we are logged in, etc.)
    target_ratio: float | None = 0.15  # throughput / floor throughput the issue asks for (None: no target)
    p95_target_ms: float | None = None  # p95 at 8 connections (the class dashboards: 250 ms)


def _home(data):
    return [Request("GET", "/", session) for session in data.sessions]


def _practice_page(data):
    return [Request("GET", lesson.get_absolute_url(), session) for session, lesson in data.started_lessons()]


def _selfcheck_reveal(data):
    return [
        Request("POST", f"/questions/{question}/reveal/", session, "answer_text=Noise+is+added+step+by+step", True)
        for session, question in data.unrevealed_questions()
    ]


ENDPOINTS = [
    Endpoint("home", _home, contains="Log out"),
    Endpoint("practice page", _practice_page, contains="Log out"),
    Endpoint("self-check reveal", _selfcheck_reveal, contains="Got it"),
]

FLOOR = Endpoint("floor", lambda data: [Request("GET", "/floor/")], contains="floor", target_ratio=None)
