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


def test_ease_matches_its_closed_form_on_a_hand_checked_case():
    """Two users like a and b, one likes b and c. With lam = 1: G = X^T X = [[2,2,0],[2,3,1],[0,1,1]]; B's columns
    are -P_j / P_jj of P = (G + I)^-1 with a zero diagonal, and a user's scores are the sum of B's rows of his likes."""
    from evaluation.baselines import ease_ranker

    train = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3", "u3"], "item_id": ["a", "b", "a", "b", "b", "c"]})
    ranker = ease_ranker(train, lam=1.0)
    scores = np.stack([ranker.score(u, np.array(["a", "b", "c", "never-liked"])) for u in ["u1", "u3", "nobody"]])
    inverse = np.linalg.inv(np.array([[3.0, 2, 0], [2, 4, 1], [0, 1, 2]]))
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    np.testing.assert_allclose(scores[0, :3], weights[0] + weights[1])  # u1 likes a and b
    np.testing.assert_allclose(scores[1, :3], weights[1] + weights[2])  # u3 likes b and c
    assert scores[0, 0] > 0 and scores[1, 0] > 0  # a, liked with b, scores for u3
    np.testing.assert_array_equal(scores[2], 0.0)  # no training positives
    np.testing.assert_array_equal(scores[:, 3], 0.0)  # an item nobody liked


def test_item_knn_sums_the_cosines_of_the_users_likes_to_the_item():
    """Columns of X (users u, v, w): a = (1,1,0), b = (1,1,0), c = (0,1,0), d = (0,0,1). u likes a and b: c scores
    cos(a,c) + cos(b,c) = 2 / sqrt(2); d, liked by nobody u shares items with, 0; a, one of u's likes, only through b
    (the diagonal is 0): cos(a,b) = 1."""
    from evaluation.baselines import item_knn_ranker

    scores = item_knn_ranker(_positives()).score("u", np.array(["c", "d", "a", "unknown"]))
    np.testing.assert_allclose(scores, [2 / np.sqrt(2), 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(item_knn_ranker(_positives()).score("nobody", np.array(["a", "c"])), [0.0, 0.0])
