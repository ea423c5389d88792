"""A seeded small simulated class studying through the real queue and review services reaches the retention
it asked for (the full-size run is ``python -m bench.learning``; see docs/performance.md, "Learning")."""

import pytest

from bench.learning import simulate_class

pytestmark = pytest.mark.django_db


def test_a_small_simulated_class_lands_within_five_points_of_its_desired_retention():
    # Memories close to FSRS's defaults (the full benchmark spreads them further and fits parameters).
    # Half the class studies at 23:00 every day (the same-day loop's case), half at random hours.
    result = simulate_class(students=6, days=40, retention=0.9, cards=16, seed=3, new_per_day=6, spread=0.25)
    figures = result["class_all"]
    # About 330 Review-state ratings: a standard error near 0.016, so 0.05 is three of them.
    assert figures["review_state_reviews"] >= 250, figures
    assert abs(figures["achieved"] - 0.9) <= 0.05, figures
    for pattern in ("regular", "irregular"):
        # Half the ratings each: a wider band, still far from the 0.945 the same-day loop gave.
        assert abs(result[f"{pattern}_all"]["achieved"] - 0.9) <= 0.08, (pattern, result[f"{pattern}_all"])
