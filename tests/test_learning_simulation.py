"""A seeded small simulated class studying through the real queue and review services reaches the retention
it asked for (the full-size run is ``python -m bench.learning``; see docs/performance.md, "Learning")."""

import pytest

from bench.learning import simulate_class

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(
    reason="issue 15 stays open: after the study-day change the simulated class undershoots its desired "
    "retention (0.82-0.85 for 0.90 in the full run); it lands within 0.05 on some runs, not on all",
    strict=False,
)
def test_a_small_simulated_class_lands_within_five_points_of_its_desired_retention():
    # Memories close to FSRS's defaults (the full benchmark spreads them further and fits parameters).
    result = simulate_class(students=4, days=30, retention=0.9, cards=16, seed=3, new_per_day=6, spread=0.25)
    for pattern in ("regular", "irregular"):
        figures = result[f"{pattern}_all"]
        assert figures["review_state_reviews"] >= 80, figures  # enough to measure
        assert abs(figures["achieved"] - 0.9) <= 0.05, (pattern, figures)
