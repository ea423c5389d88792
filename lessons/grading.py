"""Grading an ordering exercise: pure functions, no database.

``order`` is what the student submitted and ``correct`` the right order, both as
lists of the same distinct labels. We report three things (see docs/grading.md):

- exact match, the only thing that counts as solved;
- the share of item pairs in the right relative order (Kendall; Moodle's
  "relative to all previous and next items"), said as "13 of 15 pairs in order";
- one longest run of items already in the right relative order (a longest
  increasing subsequence of their correct positions): "keep" these, "move" the rest.
"""

from bisect import bisect_left
from dataclasses import dataclass


@dataclass(frozen=True)
class Grade:
    is_correct: bool
    pairs_in_order: int
    pairs_total: int
    keep: tuple[str, ...]
    move: tuple[str, ...]

    @property
    def score(self) -> float:
        """Share of pairs in order, 0-1; a list of one item (no pairs) scores 1."""
        return self.pairs_in_order / self.pairs_total if self.pairs_total else 1.0


def _ranks(order: list[str], correct: list[str]) -> list[int]:
    """The correct position of each submitted item; ValueError unless ``order`` is a permutation of ``correct``."""
    if len(set(correct)) != len(correct):
        raise ValueError("the correct order repeats a label")
    if len(order) != len(correct) or set(order) != set(correct):
        raise ValueError("the submitted order must hold each label exactly once")
    position = {label: index for index, label in enumerate(correct)}
    return [position[label] for label in order]


def pairs_total(n: int) -> int:
    """How many pairs n items make: n(n-1)/2."""
    return n * (n - 1) // 2


def concordant_pairs(order: list[str], correct: list[str]) -> int:
    """How many pairs of items are in the same relative order in ``order`` as in ``correct``."""
    ranks = _ranks(order, correct)
    return sum(1 for i, earlier in enumerate(ranks) for later in ranks[i + 1 :] if earlier < later)


def pairs_fraction(order: list[str], correct: list[str]) -> float:
    """Concordant pairs over all pairs (Kendall's share), 0-1."""
    total = pairs_total(len(correct))
    return concordant_pairs(order, correct) / total if total else 1.0


def longest_ordered_run(order: list[str], correct: list[str]) -> list[str]:
    """One longest subsequence of ``order`` already in the correct relative order (an LIS, O(n log n)).

    Of several equally long runs this returns the one that ends on the earliest correct
    positions, so the choice is deterministic.
    """
    ranks = _ranks(order, correct)
    tails: list[int] = []  # tails[k]: smallest rank ending a run of length k+1
    tail_index: list[int] = []  # index in ``order`` of that tail
    previous: list[int] = [-1] * len(ranks)
    for index, rank in enumerate(ranks):
        k = bisect_left(tails, rank)
        if k == len(tails):
            tails.append(rank)
            tail_index.append(index)
        else:
            tails[k] = rank
            tail_index[k] = index
        previous[index] = tail_index[k - 1] if k else -1
    run: list[str] = []
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        run.append(order[index])
        index = previous[index]
    return run[::-1]


def grade(order: list[str], correct: list[str]) -> Grade:
    """Grade a submitted order against the correct one."""
    keep = longest_ordered_run(order, correct)
    kept = set(keep)
    return Grade(
        is_correct=list(order) == list(correct),
        pairs_in_order=concordant_pairs(order, correct),
        pairs_total=pairs_total(len(correct)),
        keep=tuple(keep),
        move=tuple(label for label in order if label not in kept),
    )
