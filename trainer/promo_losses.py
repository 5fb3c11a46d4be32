"""PROMO's losses (paper §4.2), one function per equation.

- ``recommendation_loss``: L_rec, the base's binary cross-entropy (Eq. 3).
- ``pfpe_rows`` and ``pfpe_loss``: the per-sample pinnacle feedback prompt-enhanced loss, Eq. 8-9, and the batch
  examples it is computed for.
- ``pape_loss``: the intra-batch popularity-aware prompt-enhanced loss, Eq. 11-12.
- ``promo_loss``: Eq. 13, L = L_rec + lambda1 * L_pfpe + lambda2 * L_pape.
"""
from __future__ import annotations

import tensorflow as tf


def recommendation_loss(logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """L_rec (Eq. 3): mean binary cross-entropy of the logits y_ui against the labels, -[y log s(y_ui) + (1 - y) log(1 - s(y_ui))]."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.reshape(labels, [-1]), logits=logits))


def pfpe_rows(item_rows: tf.Tensor, limit: int) -> tf.Tensor:
    """Batch positions L_pfpe (a per-item loss, Eq. 8-9) is computed at: the first example of each distinct item in
    ``item_rows`` [B], in order of appearance, at most ``limit`` of them (0 = all)."""
    distinct, position = tf.unique(item_rows)
    first = tf.math.unsorted_segment_min(tf.range(tf.shape(item_rows)[0]), position, tf.shape(distinct)[0])
    return first[:limit] if limit > 0 else first


def pfpe_loss(h_pos: tf.Tensor, h_neg: tf.Tensor, pos_mask: tf.Tensor, neg_mask: tf.Tensor, reduction: str = "mean") -> tf.Tensor:
    """Eq. 8-9: softplus(-Delta_i), Delta_i = sum over pinnacle x, negative y of ||h_x - h_y||_1.

    ``h_pos``/``h_neg``: [B, K, D] prompt-network outputs for each example's item's pinnacle and
    negative-feedback users; masks [B, K] are 1 where a slot holds a real user. Averaged over the examples
    that have at least one (pinnacle, negative) pair; 0 when none has.
    ``reduction="sum"`` is Eq. 8 literally; with k = 10 and 32 dimensions Delta_i is in the hundreds at once
    and softplus(-Delta_i) is 0 with no gradient. ``"mean"`` (default) divides Delta_i by the number of pairs
    and dimensions, i.e. the mean absolute difference, which keeps the loss informative.
    """
    distances = tf.reduce_sum(tf.abs(h_pos[:, :, tf.newaxis, :] - h_neg[:, tf.newaxis, :, :]), axis=-1)  # [B, K, K]
    pair_mask = tf.cast(pos_mask, distances.dtype)[:, :, tf.newaxis] * tf.cast(neg_mask, distances.dtype)[:, tf.newaxis, :]
    delta = tf.reduce_sum(distances * pair_mask, axis=[1, 2])
    pairs = tf.reduce_sum(pair_mask, axis=[1, 2])
    if reduction == "mean":
        delta = tf.math.divide_no_nan(delta, pairs * tf.cast(tf.shape(h_pos)[-1], delta.dtype))
    elif reduction != "sum":
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    has_pairs = tf.cast(pairs > 0, delta.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(tf.nn.softplus(-delta) * has_pairs), tf.reduce_sum(has_pairs))


def pape_loss(scores: tf.Tensor, labels: tf.Tensor, is_cold: tf.Tensor, reduction: str = "mean") -> tf.Tensor:
    """Eq. 11-12: softplus(-Delta_batch), Delta_batch over (cold positive, warm negative) pairs of the batch.

    ``reduction="sum"`` is the paper's literal Delta_batch = sum of score differences over all pairs;
    ``"mean"`` divides that sum by the number of pairs, which keeps the loss's scale independent of batch
    composition. 0 when the batch has no such pair.
    """
    scores = tf.reshape(scores, [-1])
    labels = tf.reshape(tf.cast(labels, tf.bool) if labels.dtype == tf.bool else tf.equal(labels, 1), [-1])
    cold = tf.reshape(tf.equal(tf.cast(is_cold, tf.int64), 1), [-1])
    cold_positive = tf.cast(labels & cold, scores.dtype)
    warm_negative = tf.cast(~labels & ~cold, scores.dtype)
    n_cold, n_warm = tf.reduce_sum(cold_positive), tf.reduce_sum(warm_negative)
    pairs = n_cold * n_warm
    # sum over pairs (c, w) of s_c - s_w = n_warm * sum_c s_c - n_cold * sum_w s_w: O(B), not the B x B grid
    delta = n_warm * tf.reduce_sum(scores * cold_positive) - n_cold * tf.reduce_sum(scores * warm_negative)
    if reduction == "mean":
        delta = tf.math.divide_no_nan(delta, pairs)
    elif reduction != "sum":
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    return tf.where(pairs > 0, tf.nn.softplus(-delta), tf.zeros_like(delta))


def promo_loss(rec: tf.Tensor, pfpe: tf.Tensor, pape: tf.Tensor, lambda1: float, lambda2: float) -> tf.Tensor:
    """Eq. 13: L = L_rec + lambda1 * L_pfpe + lambda2 * L_pape."""
    return rec + lambda1 * pfpe + lambda2 * pape
