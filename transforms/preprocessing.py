"""The Transform ``preprocessing_fn``: ids to vocabulary indices, token bags, history and the cold flag.

Analyzers see only the training split, so vocabularies and the cold/warm flag come from training data;
eval/test examples are transformed with them (an item first seen there is out of vocabulary and cold).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import tensorflow as tf
import tensorflow_transform as tft

from transforms import features as F
from transforms.pinnacle import pinnacle_tables
from transforms.pinnacle_value import pinnacle_value

DEFAULT_COLD_THRESHOLD = 20


def dense_strings(tensor) -> tf.Tensor:
    """A raw string feature as a [B] tensor: dense [B, 1] squeezed, or sparse [B, 0..1] with '' for absent."""
    if isinstance(tensor, tf.SparseTensor):
        tensor = tf.sparse.to_dense(tf.sparse.reset_shape(tensor, [tensor.dense_shape[0], 1]), "")
    return tf.reshape(tensor, [-1])


def right_aligned(ragged: tf.RaggedTensor, width: int) -> tf.Tensor:
    """[B, width]: each row's values at the end, 0 before them (the last HISTORY_LENGTH columns are then the most
    recent items, whatever the width)."""
    return tf.reverse(ragged[:, ::-1].to_tensor(default_value=0, shape=[None, width]), axis=[1])


def _bag_indices(bag: tf.Tensor, vocab_name: str, length: int) -> tf.Tensor:
    """Space-separated tokens -> [B, length] vocabulary indices + 1 (0 pads; OOV tokens share one index)."""
    tokens = tf.strings.split(bag)
    indices = tft.compute_and_apply_vocabulary(tokens, num_oov_buckets=F.OOV_BUCKETS, vocab_filename=vocab_name)
    return (indices + 1).to_tensor(default_value=0, shape=[None, length])


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Optional[Dict[str, Any]] = None) -> Dict[str, tf.Tensor]:
    """``custom_config``: ``cold_threshold`` (int, default 20: paper §5.1's value for ML-100K); ``alpha`` and
    ``beta`` (Eq. 4 weights of CR and IR, default 1 and 1); ``seed`` (negative-feedback sampling, default 0);
    ``whole_history`` (default False: HISTORY_INDICES holds the last HISTORY_LENGTH history items; True: the last
    MAX_HISTORY, for the base's whole-history bag).
    """
    config = custom_config or {}
    cold_threshold = int(config.get("cold_threshold", DEFAULT_COLD_THRESHOLD))
    alpha, beta = float(config.get("alpha", 1.0)), float(config.get("beta", 1.0))
    user_id = dense_strings(inputs[F.USER_ID])
    item_id = dense_strings(inputs[F.ITEM_ID])
    label = tf.reshape(inputs[F.LABEL], [-1])

    item_vocab = tft.vocabulary(item_id, vocab_filename=F.ITEM_VOCAB)
    width = F.MAX_HISTORY if config.get("whole_history") else F.HISTORY_LENGTH
    history = tf.strings.split(dense_strings(inputs[F.HISTORY]))[:, -width:]  # the most recent items, oldest first
    history_indices = tft.apply_vocabulary(history, item_vocab, num_oov_buckets=F.OOV_BUCKETS) + 1

    # Warm = more than cold_threshold positive training interactions (paper §5.1); every other item is cold.
    positive_items = tf.boolean_mask(item_id, tf.equal(label, 1))
    warm_vocab = tft.vocabulary(positive_items, frequency_threshold=cold_threshold + 1, vocab_filename=F.WARM_ITEM_VOCAB)
    is_warm = tft.apply_vocabulary(item_id, warm_vocab, default_value=-1) >= 0

    user_index = tft.compute_and_apply_vocabulary(user_id, num_oov_buckets=F.OOV_BUCKETS, vocab_filename=F.USER_VOCAB)
    item_index = tft.apply_vocabulary(item_id, item_vocab, num_oov_buckets=F.OOV_BUCKETS)
    value = pinnacle_value(tf.reshape(inputs[F.CR], [-1]), tf.reshape(inputs[F.IR], [-1]), alpha, beta)  # Eq. 4
    pinnacle, negatives = pinnacle_tables(item_index, user_index, value, label, F.PINNACLE_K, int(config.get("seed", 0)))
    table_row = tf.minimum(item_index, tf.shape(pinnacle, out_type=tf.int64)[0] - 1)  # unseen items -> empty row

    return {
        F.USER_INDEX: user_index,
        F.ITEM_INDEX: item_index,
        F.PINNACLE_CANDIDATES: tf.gather(pinnacle, table_row),
        F.NEGATIVE_USERS: tf.gather(negatives, table_row),
        F.USER_FEATURE_INDICES: _bag_indices(dense_strings(inputs[F.USER_FEATURES]), F.USER_TOKEN_VOCAB, F.MAX_USER_TOKENS),
        F.ITEM_FEATURE_INDICES: _bag_indices(dense_strings(inputs[F.ITEM_FEATURES]), F.ITEM_TOKEN_VOCAB, F.MAX_ITEM_TOKENS),
        # Wider than the window, right-aligned so that its last HISTORY_LENGTH columns are the window; as wide,
        # padded at the end as it always was (the same tensors: a moved padding changes float sums, so training).
        F.HISTORY_INDICES: right_aligned(history_indices, width) if width > F.HISTORY_LENGTH
        else history_indices.to_tensor(default_value=0, shape=[None, width]),
        F.IS_COLD: 1 - tf.cast(is_warm, tf.int64),
        F.LABEL_FLOAT: tf.cast(label, tf.float32),
    }
