"""Hit rate and NDCG at K with one relevant item per case (paper §5.2, Eq. 14-15)."""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np


def rank_of_positive(positive_score: float, negative_scores: np.ndarray) -> int:
    """1-based rank of the positive among itself and the negatives; ties count against it (a constant model
    ranks the positive last, not first)."""
    return 1 + int(np.sum(negative_scores >= positive_score))


def ranking_metrics(ranks: np.ndarray, cutoffs: Sequence[int] = (5, 10)) -> Dict[str, float]:
    """HR@K = share of cases with rank <= K (Eq. 14); NDCG@K = mean of 1/log2(rank + 1) for rank <= K, the
    single relevant item's DCG over an ideal DCG of 1 (Eq. 15)."""
    ranks = np.asarray(ranks, dtype=np.float64)
    result = {"cases": int(ranks.size)}
    for k in cutoffs:
        hit = ranks <= k
        result[f"HR@{k}"] = float(hit.mean()) if ranks.size else float("nan")
        result[f"NDCG@{k}"] = float(np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0).mean()) if ranks.size else float("nan")
    return result
