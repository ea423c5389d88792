"""The student's own statistics (/progress/) and their review history as CSV."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lessons.selectors.exports import review_history_rows
from lessons.selectors.review_stats import review_stats

from .htmx import csv_response


@require_GET
def progress(request):
    return render(request, "lessons/progress.html", review_stats(request.user, now=timezone.now()))


@require_GET
def reviews_csv(request):
    return csv_response(review_history_rows(request.user), "review-history.csv")
