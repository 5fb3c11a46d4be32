import math

import numpy as np

from evaluation.metrics import rank_of_positive, ranking_metrics


def test_rank_counts_ties_against_the_positive():
    assert rank_of_positive(0.9, np.array([0.1, 0.5])) == 1
    assert rank_of_positive(0.5, np.array([0.9, 0.5, 0.1])) == 3
    assert rank_of_positive(1.0, np.ones(100)) == 101


def test_hand_computed_hit_rate_and_ndcg():
    ranks = np.array([1, 3, 6, 11])
    m = ranking_metrics(ranks)
    assert m["cases"] == 4
    assert m["HR@5"] == 0.5 and m["HR@10"] == 0.75
    assert math.isclose(m["NDCG@5"], (1.0 + 1.0 / math.log2(4)) / 4)
    assert math.isclose(m["NDCG@10"], (1.0 + 1.0 / math.log2(4) + 1.0 / math.log2(7)) / 4)
