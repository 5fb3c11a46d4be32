"""Per-item tables the prompt stage needs, and the pseudo-pinnacle similarity of Eq. 5.

``collect_item_tables`` makes one streaming pass over the transformed training examples and keeps, per item
index, the pinnacle candidates and negative-feedback users computed by Transform (transforms/pinnacle.py),
the item's feature bag and its cold flag.
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


def collect_item_tables(dataset: tf.data.Dataset, n_items: int) -> ItemTables:
    """``dataset`` yields (features, label) batches holding ITEM_INDEX, PINNACLE_CANDIDATES, NEGATIVE_USERS,
    ITEM_FEATURE_INDICES and IS_COLD; ``n_items`` counts vocabulary + OOV rows."""
    k = F.PINNACLE_K
    tables = ItemTables(
        np.zeros((n_items, k + 1), np.int64), np.zeros((n_items, k), np.int64),
        np.zeros((n_items, F.MAX_ITEM_TOKENS), np.int64), np.ones(n_items, np.int64),
    )
    for features, _ in dataset.as_numpy_iterator():
        rows = features[F.ITEM_INDEX]
        tables.pinnacle[rows] = features[F.PINNACLE_CANDIDATES]
        tables.negatives[rows] = features[F.NEGATIVE_USERS]
        tables.features[rows] = features[F.ITEM_FEATURE_INDICES]
        tables.is_cold[rows] = features[F.IS_COLD]
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
