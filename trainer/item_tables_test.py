import numpy as np
import tensorflow as tf

from trainer.item_tables import ItemTables, collect_item_tables, pinnacle_similarity
from transforms import features as F


def test_similarity_is_eq5_and_one_for_identical_vectors():
    a = tf.constant([[1.0, 0.0], [1.0, 1.0]])
    b = tf.constant([[1.0, 0.0], [2.0, 0.0]])
    sim = pinnacle_similarity(a, b).numpy()
    np.testing.assert_allclose(sim[0, 0], 1.0)
    np.testing.assert_allclose(sim[0, 1], 2.0 / (1.0 + 4.0 - 2.0))
    np.testing.assert_allclose(sim[1, 1], 2.0 / (2.0 + 4.0 - 2.0))


def test_collect_item_tables_places_rows_by_item_index():
    k = F.PINNACLE_K
    batch = {
        F.ITEM_INDEX: np.array([2, 0]),
        F.PINNACLE_CANDIDATES: np.array([[5] * (k + 1), [7] * (k + 1)]),
        F.NEGATIVE_USERS: np.array([[1] * k, [3] * k]),
        F.ITEM_FEATURE_INDICES: np.ones((2, F.MAX_ITEM_TOKENS), np.int64),
        F.IS_COLD: np.array([0, 1]),
    }
    dataset = tf.data.Dataset.from_tensors((batch, np.zeros(2, np.float32)))
    tables = collect_item_tables(dataset, n_items=4)
    assert tables.pinnacle[2, 0] == 5 and tables.pinnacle[0, 0] == 7 and not tables.pinnacle[1].any()
    assert tables.negatives[0, 0] == 3
    assert tables.is_cold.tolist() == [1, 1, 0, 1]  # unseen rows (1, 3) are cold


def test_empty_tables_hold_no_lists_no_features_and_every_row_cold():
    tables = ItemTables.empty(3)
    assert tables.pinnacle.shape == (3, F.PINNACLE_K + 1) and tables.negatives.shape == (3, F.PINNACLE_K)
    assert not tables.pinnacle.any() and not tables.features.any() and tables.is_cold.tolist() == [1, 1, 1]
