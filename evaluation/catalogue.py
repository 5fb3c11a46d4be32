"""Whole-catalogue recall@K of a model's own top-K lists, and the paired comparison that gates a new model on it.

What a deployment shows is ``recommend``'s top K of the whole catalogue (trainer/retrieval.py), the user's
training likes excluded. For held-out positives Q (each a (user, item) pair):

    recall@K = (1 / |Q|) * sum over (u, i) in Q of 1[i in top_K(u)]                                   (recall_hits)

top_K(u): the user's served list with every training like of u removed, cut at K (:func:`first_unseen`). Another
held-out item of the same user in the list is a hit for its own pair, not a competitor: this is the micro-averaged
recall of the served lists, not the ``full`` view's HR@K of evaluation/protocol.py (there each positive competes
only with items its user never touched), which it approaches.

A new model is no worse than a baseline when, over the same pairs, with d = candidate hit - baseline hit per pair,

    mean(d) >= -z * sd(d) / sqrt(|Q|)                                                              (no_worse)

the paired difference's standard error (two models scored on the same pairs: much smaller than either recall's own
binomial error), so the tolerance follows from the data instead of a constant; identical models give d = 0 and
pass. Why our own: TFMA computes metrics of per-example predictions, and this metric needs each user's ranking of
the whole catalogue (1.6M rows per ML-100K evaluation); the model's own top-K gives it in one call per user batch.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Iterable, List, Sequence, Set, Tuple

import numpy as np


def first_unseen(recommended: Sequence[str], seen: Set[str], k: int) -> List[str]:
    """The first ``k`` items of ``recommended`` (a served list, best first) that are not in ``seen`` and not the
    blank ids a list ends with when the catalogue runs out (fewer when the list runs out)."""
    kept = [item for item in recommended if item and item not in seen]
    return kept[:k]


def recall_hits(top: Dict[str, Sequence[str]], pairs: Iterable[Tuple[str, str]]) -> np.ndarray:
    """1.0 per (user, item) pair whose item is in ``top[user]`` (the user's cut list), else 0.0: their mean is
    recall@K (module docstring); a user without a list has no hits."""
    return np.array([float(item in top.get(user, ())) for user, item in pairs], dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A candidate's and a baseline's recall on the same pairs, and whether the candidate is no worse (no_worse)."""

    candidate: float
    baseline: float
    tolerance: float  # z times the paired difference's standard error
    ok: bool


def no_worse(candidate_hits: np.ndarray, baseline_hits: np.ndarray, z: float) -> Comparison:
    """The paired test of the module docstring on per-pair hits of two models (same pairs, same order)."""
    candidate_hits, baseline_hits = np.asarray(candidate_hits, np.float64), np.asarray(baseline_hits, np.float64)
    if candidate_hits.shape != baseline_hits.shape:
        raise ValueError(f"hits of {candidate_hits.shape} and {baseline_hits.shape} pairs: the models must score the same pairs")
    n = candidate_hits.size
    if n == 0:
        return Comparison(float("nan"), float("nan"), 0.0, True)  # nothing to compare on: no evidence against
    difference = candidate_hits - baseline_hits
    error = float(difference.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    tolerance = z * error
    return Comparison(float(candidate_hits.mean()), float(baseline_hits.mean()), tolerance, bool(difference.mean() >= -tolerance))
