"""The small layers and functions the paper's PROMO (trainer/promo_model.py) is built from, one per step of §4.1-4.2.

    Pos_i, Neg_i at scoring time (§4.1.1)         PinnacleLists            (lists of Eq. 4, the scored user left out)
    pseudo-pinnacle donor (Eq. 5)                 PseudoPinnacleDonors     (trainer/item_tables.pinnacle_similarity)
    (1/k) sum S_i^pos, mean prompt output         slot_mean                (the means of Eq. 10)
    e_i^final = [h_i ; MLP(h_i, ., .)] (Eq. 10)   final_item_embedding     (the MLP: fusion_mlp)
The prompt network (Eq. 6-7) is trainer/prompt_network.PersonalizedPromptNetwork; the losses (Eq. 8-9, 11-13) are
in trainer/promo_losses.py; Eq. 4 itself (the value that ranks an item's users) is transforms/pinnacle_value.py,
the ranking transforms/pinnacle.py.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from tensorflow import keras

from trainer.item_tables import pinnacle_similarity
from transforms import features as F


def slot_mean(values: tf.Tensor, mask: Optional[tf.Tensor] = None) -> tf.Tensor:
    """The mean over a list's slots, [B, K, D] -> [B, D]: (1/|real slots|) sum over slots with ``mask`` (0 when a
    row has none), or the plain mean over all K when there is no mask. Eq. 10's (1/k) sum S_i^pos and its mean of
    the prompt network's outputs."""
    if mask is None:
        return tf.reduce_mean(values, axis=1)
    mask = tf.cast(mask, values.dtype)[..., tf.newaxis]
    return tf.math.divide_no_nan(tf.reduce_sum(values * mask, axis=1), tf.reduce_sum(mask, axis=1))


class PseudoPinnacleDonors(keras.layers.Layer):
    """Eq. 5: an item's pseudo-pinnacle donor, the popular (warm) item b maximising
    v_{b,a} = h_a . h_b / (|h_a|^2 + |h_b|^2 - h_a . h_b) on the frozen base's item vectors h.

    Every table row's donor is computed once, from its training features (``item_vectors_of``: the base's item
    tower on (ITEM_INDEX, ITEM_FEATURE_INDICES); rows after ``oov_row`` are items a refresh added, which the base
    sees as its OOV item). Call with ``(item_rows [B], item_vectors [B, d])``: the precomputed donors, and Eq. 5 on
    the served vectors for unknown items (the OOV row), whose features the table cannot know."""

    def __init__(self, item_vectors_of: Callable, features: np.ndarray, is_cold: np.ndarray, oov_row: int, chunk: int = 8192, **kwargs):
        super().__init__(**kwargs)
        self.oov_row = oov_row
        warm_rows = np.flatnonzero(is_cold[:oov_row] == 0)
        if warm_rows.size == 0:
            warm_rows = np.array([oov_row])
        warm_vectors = item_vectors_of(tf.constant(warm_rows, tf.int64), tf.constant(features[warm_rows]))
        self.warm_rows = tf.Variable(warm_rows.astype(np.int64), trainable=False, name="warm_rows")
        self.warm_vectors = tf.Variable(warm_vectors, trainable=False, name="warm_vectors")
        index = np.minimum(np.arange(features.shape[0]), oov_row)
        donors = [
            self.most_similar_warm(item_vectors_of(tf.constant(index[s:s + chunk]), tf.constant(features[s:s + chunk]))).numpy()
            for s in range(0, len(index), chunk)
        ]
        self.donor_table = tf.Variable(np.concatenate(donors).astype(np.int64), trainable=False, name="donor_table")

    def most_similar_warm(self, item_vectors: tf.Tensor) -> tf.Tensor:
        """The row of the warm item most similar by Eq. 5 to each of ``item_vectors`` [B, d]."""
        return tf.gather(self.warm_rows, tf.argmax(pinnacle_similarity(item_vectors, self.warm_vectors), axis=1))

    def call(self, item_rows: tf.Tensor, item_vectors: tf.Tensor) -> tf.Tensor:
        donors = tf.gather(self.donor_table, item_rows)
        unknown = tf.equal(item_rows, self.oov_row)
        return tf.cond(tf.reduce_any(unknown), lambda: tf.where(unknown, self.most_similar_warm(item_vectors), donors), lambda: donors)


class PinnacleLists(keras.layers.Layer):
    """§4.1.1: an item's pinnacle list Pos_i and negative-feedback list Neg_i as one scored user sees them.

    ``pinnacle`` [items, k + 1]: each item's top users by Eq. 4's value (Transform's analyzer, transforms/pinnacle.py),
    ``negatives`` [items, k]: its sampled users without positive feedback; entries are user index + 1, 0 = none.
    Call with ``(item_rows [B], donors [B], users_plus_one [B])`` for Pos_i: the item's own list without the scored
    user (the next-ranked user takes the slot: no leakage), then, while fewer than k remain, its Eq. 5 donor's list
    (pseudo-pinnacle); returns the [B, k] users and their mask (a real user in the slot)."""

    def __init__(self, pinnacle: np.ndarray, negatives: np.ndarray, k: int = F.PINNACLE_K, **kwargs):
        super().__init__(**kwargs)
        self.k = k
        self.pinnacle_table = tf.Variable(pinnacle, trainable=False, name="pinnacle_table")
        self.negative_table = tf.Variable(negatives, trainable=False, name="negative_table")

    def call(self, item_rows: tf.Tensor, donors: tf.Tensor, users_plus_one: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
        candidates = tf.concat([tf.gather(self.pinnacle_table, item_rows), tf.gather(self.pinnacle_table, donors)], axis=1)
        keep = (candidates > 0) & (candidates != users_plus_one[:, tf.newaxis])
        position = tf.cumsum(tf.cast(keep, tf.int32), axis=1) - 1  # the slot of each kept candidate, in order
        slot = tf.where(keep & (position < self.k), position, self.k)  # slot k: dropped
        users = tf.reduce_sum(tf.one_hot(slot, self.k, dtype=candidates.dtype) * candidates[:, :, tf.newaxis], axis=1)
        return users, users > 0

    def negatives(self, item_rows: tf.Tensor, users_plus_one: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
        """Neg_i [B, k] (user index + 1) and its mask: the item's own negative users other than the scored one."""
        users = tf.gather(self.negative_table, item_rows)
        return users, (users > 0) & (users != users_plus_one[:, tf.newaxis])


def fusion_mlp(hidden: int, output_dim: int) -> keras.Sequential:
    """Eq. 10's MLP: a ReLU layer, then a linear layer that starts at zero (training starts from the base's scores)."""
    return keras.Sequential(
        [keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(output_dim, kernel_initializer="zeros")],
        name="fusion_mlp",
    )


def final_item_embedding(mlp: keras.layers.Layer, item_vector: tf.Tensor, prompt_parts: Sequence[tf.Tensor]) -> tf.Tensor:
    """Eq. 10 with §4.3's concatenation fusion: e_i^final = [h_i ; MLP(h_i, prompt_parts...)], the parts being
    (1/k) sum S_i^pos and the mean prompt output e_i^{p_l} (PROMO), or what a variant has instead. Its inner
    product with the user side [e_u ; e_u] (or [e_u ; E(u)]) is e_u . h_i + e_u . MLP: the base's score plus the
    prompt's."""
    return tf.concat([item_vector, mlp(tf.concat([item_vector, *prompt_parts], axis=1))], axis=1)
