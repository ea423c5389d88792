"""The Today page: what should I do now? Cards to review, the lesson to continue and what is left in it,
each course as a map of lessons with their state, and an optional daily goal with a gentle streak."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch

from lessons.models import Course, Lesson, StudentSettings
from lessons.selectors import review_queue as queue
from lessons.selectors.lesson_progress import lessons_progress
from lessons.selectors.review_stats import reviews_per_day

WEEK = 7


@dataclass(frozen=True)
class StudyDay:
    day: object
    reviews: int
    met: bool  # reviewed at all, or reached the goal when there is one


@dataclass(frozen=True)
class Goal:
    target: int  # 0: no goal
    today: int  # reviews so far today
    days: list  # the last seven study days, oldest first, today last

    @property
    def percent(self) -> int:
        return min(100, 100 * self.today // self.target) if self.target else 0

    @property
    def met_today(self) -> bool:
        return bool(self.target) and self.today >= self.target

    @property
    def days_met(self) -> int:
        return sum(day.met for day in self.days)


def today_page(user, *, now) -> dict:
    """Everything the Today page shows, in a fixed number of queries."""
    courses = Course.objects.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.published()))
    courses = [course for course in courses if course.lessons.all()]
    lessons = [lesson for course in courses for lesson in course.lessons.all()]
    progress = lessons_progress(user, lessons)
    study_settings = StudentSettings.objects.for_user(user)
    today = queue.study_date(now, zone=study_settings.zone, rollover_hour=study_settings.rollover_hour)
    counts = reviews_per_day(user, since=now - timedelta(days=WEEK + 1), study_settings=study_settings)
    target = study_settings.daily_goal
    days = [
        StudyDay(day=day, reviews=counts.get(day, 0), met=counts.get(day, 0) >= max(target, 1))
        for day in (today - timedelta(days=offset) for offset in range(WEEK - 1, -1, -1))
    ]
    left = None
    current = progress["continue_progress"]
    if current is not None:
        left = current.total - current.done
    review = queue.queue_for(user, now=now, study_settings=study_settings, with_head=False)
    started = any(p.started for p in progress["lesson_progress"].values())
    return {
        "courses": courses,
        **progress,
        "left_in_continue": left,
        "review": review,
        "goal": Goal(target=target, today=counts.get(today, 0), days=days),
        # "Welcome back" once there is anything of theirs: reviews, a started lesson, cards waiting.
        "has_history": bool(counts) or started or bool(review.left),
    }
