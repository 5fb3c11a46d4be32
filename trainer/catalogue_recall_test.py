import numpy as np
import tensorflow as tf

from trainer.catalogue_recall import CatalogueRecall
from transforms import features as F

# 3 users and 5 catalogue items in 2 dimensions; each test spells out the scores it checks by hand
ITEM_VECTORS = np.array([[5.0, 0], [4.0, 0], [3.0, 0], [0, 2.0], [0, 1.0]], np.float32)
USER_VECTORS = np.array([[1.0, 0], [0, 1.0], [1.0, 0.1]], np.float32)


def _recall(targets, cold, likes, k):
    positives = ({F.USER_INDEX: np.array([u for u, _ in targets], np.int64)},
                 np.array([i for _, i in targets], np.int64), np.array(cold))
    callback = CatalogueRecall(
        object(), lambda batch: tf.gather(USER_VECTORS, batch[F.USER_INDEX]),
        lambda batch: tf.gather(ITEM_VECTORS, batch[F.ITEM_INDEX]), positives,
        (np.array([u for u, _ in likes]), np.array([i for _, i in likes])), np.zeros((6, 2), np.int64), 5, k)
    return callback.recall()


def test_recall_counts_targets_in_the_top_k_of_the_items_the_user_did_not_like():
    # user 0 ranks 0 > 1 > 2 > 3 = 4; with 0 liked in training its top 2 is {1, 2}: target 2 is a hit, 3 is not.
    # user 1 ranks 3 > 4 > the rest (0); target 4 is in its top 2. user 2 ranks 0 > 1 > 2 > 3 > 4; 0 and 1 liked:
    # top 2 {2, 3}, so target 3 (cold) is a hit and target 4 (cold) is not.
    all_, cold = _recall([(0, 2), (0, 3), (1, 4), (2, 3), (2, 4)], [False, False, False, True, True],
                         [(0, 0), (2, 0), (2, 1)], k=2)
    assert all_ == 3 / 5 and cold == 1 / 2


def test_recall_without_likes_and_at_k_one():
    assert _recall([(0, 0), (1, 3), (2, 1)], [False, True, False], [], k=1) == (2 / 3, 1.0)
