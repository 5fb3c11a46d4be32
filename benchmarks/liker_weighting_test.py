"""The weighted liker centroid of benchmarks/liker_weighting.py on a hand-checked case."""
import numpy as np

from benchmarks.liker_weighting import folded_users, weighted_centroids


def test_weighted_centroid_by_hand():
    z = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])  # three users' liker-space vectors
    users, items = np.array([0, 1, 2, 0]), np.array([0, 0, 1, 1])  # item 0: users 0, 1; item 1: users 2, 0; item 2: none
    equal = weighted_centroids(z, users, items, np.ones(4), 3)
    np.testing.assert_allclose(equal, [[0.5, 1.0], [2.0, 1.5], [0.0, 0.0]])
    weighted = weighted_centroids(z, users, items, np.array([3.0, 1.0, 1.0, 0.0]), 3)  # user 0 counts 3x on item 0, 0x on item 1
    np.testing.assert_allclose(weighted, [[0.75, 0.5], [3.0, 3.0], [0.0, 0.0]])


def test_fold_in_reads_the_last_likes_or_all_of_them():
    q = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])  # row j + 1 is item j
    histories, columns = {"u": ["a", "b", "c"], "v": []}, {"a": 0, "b": 1, "c": 2}
    last_two = folded_users(q, histories, ["u", "v"], columns, 2)
    np.testing.assert_allclose(last_two, [[2.0 / np.sqrt(2), 3.0 / np.sqrt(2)], [0.0, 0.0]])
    every = folded_users(q, histories, ["u", "v"], columns, 0)
    np.testing.assert_allclose(every, [[3.0 / np.sqrt(3), 3.0 / np.sqrt(3)], [0.0, 0.0]])
