"""The settings page's view of the student's schedule: their latest fit and the workload it predicts."""

from lessons import scheduling
from lessons.models import ParameterFit

WORKLOAD_DAYS = 100


def schedule_summary(user, study_settings) -> dict:
    """The latest optimizer run and the reviews a day FSRS's simulator expects at the student's retention
    (over ``WORKLOAD_DAYS`` days of their new-card limit; about 25 ms). One query."""
    fit = ParameterFit.objects.filter(user=user).first()
    new_per_day = max(1, study_settings.new_cards_per_day)
    workload = scheduling.estimated_workload(
        study_settings.fsrs_parameters,
        desired_retention=study_settings.desired_retention,
        new_cards_per_day=new_per_day,
        days=WORKLOAD_DAYS,
    )
    return {
        "fit": fit,
        "fitted": study_settings.fsrs_parameters is not None,
        "workload": round(workload),
        "workload_days": WORKLOAD_DAYS,
        "workload_new": new_per_day,
        "min_reviews": scheduling.MIN_TRAINING_ITEMS,
    }
