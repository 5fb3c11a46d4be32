"""Per-item tables the prompt stage needs, and the pseudo-pinnacle similarity of Eq. 5.

``ItemTables`` keeps, per item index, the pinnacle candidates and negative-feedback users computed by Transform
(transforms/pinnacle.py), the item's feature bag and its cold flag, filled from the transformed training examples:
in the PromoTrainer's one pass over them (trainer/memory_input.py), or by ``collect_item_tables`` from a dataset.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from transforms import features as F


@dataclasses.dataclass
class ItemTables:
    pinnacle: np.ndarray  # [n_items, k + 1] user index + 1, 0 = none
    negatives: np.ndarray  # [n_items, k]
    features: np.ndarray  # [n_items, MAX_ITEM_TOKENS]
    is_cold: np.ndarray  # [n_items] 1 = cold (the OOV row and items never seen in training are cold)

    @classmethod
    def empty(cls, n_items: int) -> "ItemTables":
        """Tables of ``n_items`` rows (vocabulary + OOV) that no example has filled: no lists, no features, cold."""
        k = F.PINNACLE_K
        return cls(np.zeros((n_items, k + 1), np.int64), np.zeros((n_items, k), np.int64),
                   np.zeros((n_items, F.MAX_ITEM_TOKENS), np.int64), np.ones(n_items, np.int64))

    def keep(self, features) -> None:
        """Writes one numpy batch of examples (TABLE_FEATURES) into the tables at their item index (a later example
        wins; Transform gives every example of an item the same values)."""
        rows = features[F.ITEM_INDEX]
        self.pinnacle[rows] = features[F.PINNACLE_CANDIDATES]
        self.negatives[rows] = features[F.NEGATIVE_USERS]
        self.features[rows] = features[F.ITEM_FEATURE_INDICES]
        self.is_cold[rows] = features[F.IS_COLD]


# What ItemTables.keep reads from each example
TABLE_FEATURES = (F.ITEM_INDEX, F.PINNACLE_CANDIDATES, F.NEGATIVE_USERS, F.ITEM_FEATURE_INDICES, F.IS_COLD)


def collect_item_tables(dataset: tf.data.Dataset, n_items: int) -> ItemTables:
    """``dataset`` yields (features, label) batches holding TABLE_FEATURES; ``n_items`` counts vocabulary + OOV rows."""
    tables = ItemTables.empty(n_items)
    for features, _ in dataset.as_numpy_iterator():
        tables.keep(features)
    return tables


def added_item_rows(new_item_ids, first_row: int):
    """The lookup raw item id -> table row of the items a refresh added (trainer/refresh.py), whose rows follow the
    base vocabulary's from ``first_row`` on; None when none was added. Used by :func:`table_rows`."""
    if not len(new_item_ids):
        return None
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(list(new_item_ids)), tf.range(first_row, first_row + len(new_item_ids), dtype=tf.int64)
        ),
        default_value=-1,
    )


def table_rows(added, item_ids: tf.Tensor, item_index: tf.Tensor) -> tf.Tensor:
    """ITEM_ROW of raw ``item_ids`` [B] whose Transform index is ``item_index``: the added row of an item a refresh
    added (``added``, from :func:`added_item_rows`), else ``item_index``."""
    if added is None:
        return item_index
    row = added.lookup(item_ids)
    return tf.where(row >= 0, row, item_index)


def pinnacle_similarity(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Eq. 5 between every row of ``a`` [N, d] and every row of ``b`` [M, d]: h_a.h_b / (|h_a|^2 + |h_b|^2 - h_a.h_b)."""
    dots = tf.matmul(a, b, transpose_b=True)
    squares_a = tf.reduce_sum(tf.square(a), axis=1, keepdims=True)
    squares_b = tf.reduce_sum(tf.square(b), axis=1)[tf.newaxis, :]
    return tf.math.divide_no_nan(dots, squares_a + squares_b - dots)
