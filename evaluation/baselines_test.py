import numpy as np
import pandas as pd

from evaluation.baselines import PopularityRanker, UserKnnRanker


def _positives():
    return pd.DataFrame(
        {"user_id": ["u", "u", "v", "v", "v", "w"], "item_id": ["a", "b", "a", "b", "c", "d"]}
    )


def test_popularity_counts_training_positives():
    assert PopularityRanker(_positives()).score("u", np.array(["a", "c", "zz"])).tolist() == [2.0, 1.0, 0.0]


def test_user_knn_is_the_mean_cosine_to_the_items_likers_without_the_user():
    ranker = UserKnnRanker(_positives())
    # cos(u, v) = 2 / (sqrt(2) * sqrt(3)); cos(u, w) = 0
    cos_uv = 2 / np.sqrt(6)
    scores = ranker.score("u", np.array(["c", "d", "a", "unknown"]))
    np.testing.assert_allclose(scores, [cos_uv, 0.0, cos_uv, 0.0])  # a's likers without u: only v
    shrunk = UserKnnRanker(_positives(), shrinkage=3).score("u", np.array(["c"]))
    np.testing.assert_allclose(shrunk, [cos_uv / 4])
