"""lessons.grading: example tables from docs/grading.md and properties over all permutations."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessons import grading

ABCDE = list("ABCDE")
DIFFUSION = list("bdcfae")


@pytest.mark.parametrize(
    ("order", "pairs", "fraction"),
    [
        ("ABCDE", 10, 1.0),
        ("BCDEA", 6, 0.6),  # rotation
        ("ACBDE", 9, 0.9),  # one adjacent swap
        ("EDCBA", 0, 0.0),  # reversed
        ("ADCBE", 7, 0.7),
    ],
)
def test_pairs_examples(order, pairs, fraction):
    assert grading.concordant_pairs(list(order), ABCDE) == pairs
    assert grading.pairs_fraction(list(order), ABCDE) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("order", "keep", "move"),
    [
        ("ABCDE", "ABCDE", ""),
        ("BCDEA", "BCDE", "A"),  # rotation: only A is out of place
        ("ACBDE", "ABDE", "C"),  # one swap: move one of the two
        ("EDCBA", "A", "EDCB"),
        ("ADCBE", "ABE", "DC"),
    ],
)
def test_keep_and_move_examples(order, keep, move):
    result = grading.grade(list(order), ABCDE)
    assert "".join(result.keep) == keep
    assert "".join(result.move) == move


@pytest.mark.parametrize(
    ("order", "correct", "pairs", "keep_length"),
    [
        ("abcdef", "bdcfae", 9, 3),  # the display order of the diffusion lesson
        ("bdcfae", "bdcfae", 15, 6),
        ("bdcfea", "bdcfae", 14, 5),
        ("eafcdb", "bdcfae", 0, 1),
    ],
)
def test_diffusion_examples(order, correct, pairs, keep_length):
    result = grading.grade(list(order), list(correct))
    assert result.pairs_in_order == pairs
    assert result.pairs_total == 15
    assert len(result.keep) == keep_length
    assert result.is_correct == (order == correct)


def test_single_item_is_correct_with_no_pairs():
    result = grading.grade(["a"], ["a"])
    assert (result.is_correct, result.pairs_in_order, result.pairs_total, result.score) == (True, 0, 0, 1.0)


@pytest.mark.parametrize("order", [["a", "b"], ["a", "a", "b"], ["a", "b", "x"], ["a", "b", "c", "c"]])
def test_not_a_permutation_is_refused(order):
    with pytest.raises(ValueError, match="exactly once"):
        grading.grade(order, ["a", "b", "c"])


# ---------------------------------------------------------------- properties

labels = st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=12, unique=True)


@st.composite
def correct_and_order(draw):
    correct = draw(labels)
    return correct, draw(st.permutations(correct))


@given(correct_and_order())
def test_any_permutation_grades_between_0_and_1(case):
    correct, order = case
    result = grading.grade(order, correct)
    assert 0 <= result.pairs_in_order <= result.pairs_total
    assert 0.0 <= result.score <= 1.0
    assert result.is_correct == (order == correct)


@given(labels)
def test_correct_order_grades_1(correct):
    result = grading.grade(list(correct), correct)
    assert result.is_correct
    assert result.score == 1.0
    assert result.move == ()


@given(labels)
def test_reversed_order_has_no_pair_in_order(correct):
    assert grading.concordant_pairs(correct[::-1], correct) == 0


@given(correct_and_order())
def test_keep_is_a_longest_run_in_correct_order(case):
    correct, order = case
    result = grading.grade(order, correct)
    position = {label: i for i, label in enumerate(correct)}
    kept_positions = [position[label] for label in result.keep]
    assert kept_positions == sorted(kept_positions)  # in the right relative order
    assert [label for label in order if label in set(result.keep)] == list(result.keep)  # a subsequence
    assert sorted(result.keep + result.move) == sorted(order)  # keep and move split the items
    # No longer run exists: compare with a quadratic LIS.
    best = [1] * len(order)
    for i in range(len(order)):
        for j in range(i):
            if position[order[j]] < position[order[i]]:
                best[i] = max(best[i], best[j] + 1)
    assert len(result.keep) == max(best)


@given(correct_and_order())
def test_pairs_match_the_quadratic_definition_and_swapping_an_inverted_pair_helps(case):
    correct, order = case
    position = {label: i for i, label in enumerate(correct)}
    n = len(order)
    inverted = [(i, j) for i in range(n) for j in range(i + 1, n) if position[order[i]] > position[order[j]]]
    pairs = grading.concordant_pairs(order, correct)
    assert pairs == grading.pairs_total(n) - len(inverted)
    adjacent = [(i, j) for i, j in inverted if j == i + 1]
    if adjacent:
        i, j = adjacent[0]
        swapped = list(order)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert grading.concordant_pairs(swapped, correct) == pairs + 1
