"""The student's review statistics, shaped for server-rendered SVG charts (no JavaScript).

Days are study days: the student's time zone, starting at their rollover hour.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q

from lessons.models import CardState, CardStateKind, Rating, ReviewLog, StudentSettings
from lessons.selectors import review_queue as queue

HEATMAP_DAYS = 365
FORECAST_DAYS = 30
RETENTION_DAYS = 30
CELL = 13  # heatmap pitch in SVG units: an 11-unit square and a 2-unit gap
HEATMAP_LEFT = 30  # room for the weekday labels
HEATMAP_TOP = 16  # room for the month labels
HEATMAP_LEGEND = 24  # room for the "Less ... More" legend under the grid
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
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
class AxisLabel:
    text: str
    x: int
    y: int


@dataclass
class Bar:
    day: date
    count: int
    x: int
    y: int
    height: int


def reviews_per_day(user, *, since, study_settings):
    """{study date: number of ratings} since ``since`` (undone ratings excluded); one query."""
    rows = (
        ReviewLog.objects.live()
        .filter(user=user, reviewed_at__gte=since)
        .annotate(day=queue.study_day_sql("reviewed_at", study_settings))
        .values("day")
        .annotate(n=Count("reviewed_at"))  # a column of the index (not the id): the index alone answers
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def heatmap(counts, *, today):
    """A year of days in week columns (Monday at the top), like Anki's and GitHub's calendars.

    Returns the cells, the axis labels (month names over the week a month starts in, Mon/Wed/Fri
    on the left), the legend's cells and the drawing's width and height.
    """
    first = today - timedelta(days=HEATMAP_DAYS - 1)
    first -= timedelta(days=first.weekday())
    weeks = (today - first).days // 7 + 1
    cells = []
    day = first
    while day <= today:
        offset = (day - first).days
        x, y = HEATMAP_LEFT + (offset // 7) * CELL, HEATMAP_TOP + (offset % 7) * CELL
        cells.append(HeatCell(day=day, count=counts.get(day, 0), x=x, y=y))
        day += timedelta(days=1)
    labels = [
        AxisLabel(text=name, x=0, y=HEATMAP_TOP + row * CELL + 9) for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))
    ]
    labelled_week = None
    for week in range(weeks):
        monday = first + timedelta(days=7 * week)
        # A month's name sits over its first Monday's column (the first column too, if the month goes on
        # for a while), never closer than three columns to the previous name.
        wanted = monday.day <= 7 or (week == 0 and monday.day <= 21)
        if wanted and (labelled_week is None or week - labelled_week >= 3):
            labels.append(AxisLabel(text=MONTHS[monday.month - 1], x=HEATMAP_LEFT + week * CELL, y=10))
            labelled_week = week
    height = HEATMAP_TOP + 7 * CELL + HEATMAP_LEGEND
    legend_y = HEATMAP_TOP + 7 * CELL + 8
    legend_x = HEATMAP_LEFT + weeks * CELL - 5 * CELL - 32
    legend = [
        HeatCell(day=today, count=count, x=legend_x + i * CELL, y=legend_y) for i, count in enumerate((0, 1, 5, 10, 20))
    ]
    labels.append(AxisLabel(text="Less", x=legend_x - 28, y=legend_y + 9))
    labels.append(AxisLabel(text="More", x=legend_x + 5 * CELL + 3, y=legend_y + 9))
    return {
        "cells": cells,
        "labels": labels,
        "legend": legend,
        "width": HEATMAP_LEFT + weeks * CELL,
        "height": height,
    }


def due_forecast(user, *, today, study_settings):
    """Cards falling due on each of the next 30 study days; overdue cards count for today. One query."""
    zone = study_settings.zone
    end = datetime.combine(today + timedelta(days=FORECAST_DAYS), time(study_settings.rollover_hour), tzinfo=zone)
    rows = (
        CardState.objects.published()
        .filter(user=user, due__lt=end)
        .annotate(day=queue.study_day_sql("due", study_settings))
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
    """Share of ratings of Review-state cards that were not Again, over the last 30 days (one query).

    Practice ratings are left out: the card was not due, so they say nothing about the schedule."""
    totals = (
        ReviewLog.objects.scheduled()
        .filter(user=user, reviewed_at__gte=now - timedelta(days=RETENTION_DAYS), state_before=CardStateKind.REVIEW)
        .aggregate(total=Count("pk"), passed=Count("pk", filter=~Q(rating=Rating.AGAIN)))
    )
    total = totals["total"]
    return {"total": total, "passed": totals["passed"], "share": totals["passed"] / total if total else None}


def cards_by_state(user):
    """How many of the student's cards are in each FSRS state, plus new cards waiting (two queries)."""
    rows = CardState.objects.published().filter(user=user).values("state").annotate(n=Count("pk")).order_by()
    counts = {row["state"]: row["n"] for row in rows}
    result = [("New (not studied yet)", queue.new_cards(user).count())]
    result += [(label, counts.get(value, 0)) for value, label in CardStateKind.choices]
    return result


def review_stats(user, *, now) -> dict:
    """The /progress/ page: heatmap of reviews, due forecast, retention, cards by state."""
    study_settings = StudentSettings.objects.for_user(user)
    zone = study_settings.zone
    today = queue.study_date(now, zone=zone, rollover_hour=study_settings.rollover_hour)
    counts = reviews_per_day(user, since=now - timedelta(days=HEATMAP_DAYS + 7), study_settings=study_settings)
    grid = heatmap(counts, today=today)
    cells = grid["cells"]
    year_counts = [cell for cell in cells if cell.count and cell.day > today - timedelta(days=HEATMAP_DAYS)]
    bars = due_forecast(user, today=today, study_settings=study_settings)
    return {
        "today": today,
        "zone": zone,
        "rollover": time(study_settings.rollover_hour),
        # Between midnight and the rollover hour the study day (and the forecast's first bar) is yesterday's date.
        "before_rollover": today != now.astimezone(zone).date(),
        "cells": cells,
        "heatmap_labels": grid["labels"],
        "heatmap_legend": grid["legend"],
        "heatmap_width": grid["width"],
        "heatmap_height": grid["height"],
        "review_days": year_counts,
        "reviews_in_year": sum(cell.count for cell in year_counts),
        "bars": bars,
        "forecast_total": sum(bar.count for bar in bars),
        "forecast_width": FORECAST_DAYS * BAR_WIDTH,
        "forecast_height": BAR_AREA_HEIGHT + 20,
        "retention": retention(user, now=now),
        "cards_by_state": cards_by_state(user),
    }
