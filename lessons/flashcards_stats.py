"""The student's review statistics, shaped for server-rendered SVG charts (no JavaScript).

Days are study days: the student's time zone, starting at their rollover hour.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate

from lessons import flashcards_queue as queue
from lessons.models import CardState, CardStateKind, Rating, ReviewLog

HEATMAP_DAYS = 365
FORECAST_DAYS = 30
RETENTION_DAYS = 30
CELL = 13  # heatmap pitch in SVG units: an 11-unit square and a 2-unit gap
BAR_WIDTH = 20
BAR_AREA_HEIGHT = 120


@dataclass
class HeatCell:
    day: date
    count: int
    x: int
    y: int

    @property
    def level(self):
        """0 for no reviews, then 1-4 by volume (the CSS colours the levels)."""
        if self.count == 0:
            return 0
        if self.count < 5:
            return 1
        if self.count < 10:
            return 2
        if self.count < 20:
            return 3
        return 4


@dataclass
class Bar:
    day: date
    count: int
    x: int
    y: int
    height: int


def _study_day(field, study_settings):
    """SQL: the study date of a datetime column (shift by the rollover hour, then the local date)."""
    shifted = ExpressionWrapper(F(field) - timedelta(hours=study_settings.rollover_hour), output_field=DateTimeField())
    return TruncDate(shifted, tzinfo=queue.zone_of(study_settings))


def reviews_per_day(user, *, since, study_settings):
    """{study date: number of ratings} since ``since`` (undone ratings excluded); one query."""
    rows = (
        ReviewLog.objects.filter(user=user, reviewed_at__gte=since, undone_at__isnull=True)
        .annotate(day=_study_day("reviewed_at", study_settings))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def heatmap(counts, *, today):
    """A year of days in week columns (Monday at the top), like Anki's and GitHub's calendars."""
    first = today - timedelta(days=HEATMAP_DAYS - 1)
    first -= timedelta(days=first.weekday())
    cells = []
    day = first
    while day <= today:
        offset = (day - first).days
        cells.append(HeatCell(day=day, count=counts.get(day, 0), x=(offset // 7) * CELL, y=(offset % 7) * CELL))
        day += timedelta(days=1)
    width = (((today - first).days // 7) + 1) * CELL
    return cells, width


def due_forecast(user, *, today, study_settings):
    """Cards falling due on each of the next 30 study days; overdue cards count for today. One query."""
    zone = queue.zone_of(study_settings)
    end = datetime.combine(today + timedelta(days=FORECAST_DAYS), time(study_settings.rollover_hour), tzinfo=zone)
    rows = (
        CardState.objects.filter(user=user, due__lt=end, card__lesson__published=True)
        .annotate(day=_study_day("due", study_settings))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = [0] * FORECAST_DAYS
    for row in rows:
        index = max(0, (row["day"] - today).days)
        if index < FORECAST_DAYS:
            counts[index] += row["n"]
    peak = max(counts) or 1
    bars = []
    for index, count in enumerate(counts):
        height = round(BAR_AREA_HEIGHT * count / peak)
        bars.append(
            Bar(
                day=today + timedelta(days=index),
                count=count,
                x=index * BAR_WIDTH,
                y=BAR_AREA_HEIGHT - height,
                height=height,
            )
        )
    return bars


def retention(user, *, now):
    """Share of ratings of Review-state cards that were not Again, over the last 30 days (one query)."""
    totals = ReviewLog.objects.filter(
        user=user,
        reviewed_at__gte=now - timedelta(days=RETENTION_DAYS),
        undone_at__isnull=True,
        state_before=CardStateKind.REVIEW,
    ).aggregate(total=Count("pk"), passed=Count("pk", filter=~Q(rating=Rating.AGAIN)))
    total = totals["total"]
    return {"total": total, "passed": totals["passed"], "share": totals["passed"] / total if total else None}


def cards_by_state(user):
    """How many of the student's cards are in each FSRS state, plus new cards waiting (two queries)."""
    rows = (
        CardState.objects.filter(user=user, card__lesson__published=True)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["state"]: row["n"] for row in rows}
    result = [("New (not studied yet)", queue.new_cards(user).count())]
    result += [(label, counts.get(value, 0)) for value, label in CardStateKind.choices]
    return result


def progress_context(user, *, now):
    study_settings = queue.settings_for(user)
    zone = queue.zone_of(study_settings)
    today = queue.study_date(now, zone=zone, rollover_hour=study_settings.rollover_hour)
    counts = reviews_per_day(user, since=now - timedelta(days=HEATMAP_DAYS + 7), study_settings=study_settings)
    cells, heatmap_width = heatmap(counts, today=today)
    year_counts = [cell for cell in cells if cell.count and cell.day > today - timedelta(days=HEATMAP_DAYS)]
    bars = due_forecast(user, today=today, study_settings=study_settings)
    return {
        "today": today,
        "zone": zone,
        "cells": cells,
        "heatmap_width": heatmap_width,
        "heatmap_height": 7 * CELL,
        "review_days": year_counts,
        "reviews_in_year": sum(cell.count for cell in year_counts),
        "bars": bars,
        "forecast_total": sum(bar.count for bar in bars),
        "forecast_width": FORECAST_DAYS * BAR_WIDTH,
        "forecast_height": BAR_AREA_HEIGHT + 20,
        "retention": retention(user, now=now),
        "cards_by_state": cards_by_state(user),
    }
