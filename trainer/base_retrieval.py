"""The base's training objective as a retrieval model: a softmax over the whole catalogue (TFRS's Retrieval task).

For every training positive (u, i), with e_u the user tower's vector, h_j the item tower's vector of catalogue
item j (every vocabulary item and the OOV row) and T the temperature:

    L = mean over positives of  -log( exp(e_u . h_i / T) / sum_j exp(e_u . h_j / T) )        (full softmax)

Why: the pointwise objective it replaces (binary cross-entropy on logged and 4 sampled negatives) learns the
popularity prior: cold items are 10% of positives but most sampled negatives, and the base ranked them last in the
whole catalogue. The softmax compares each positive with every item, so what a whole-catalogue top-10 needs is
what it learns (docs/model.md: same towers, ML-100K test, whole-catalogue cold / all-target HR@10 0.0 / 10.9 pointwise,
benchmarks/results/quality-ml-100k-test-baselines-full.md, against 7.5 / 17.6 softmax, frontier-ml-100k-test.md).

Above ``full_softmax_max_items`` catalogue rows the catalogue is not scored per batch; the candidates are the
batch's positives, corrected for how often each is sampled (log-Q, Yi et al. 2019), accidental hits removed:

    L = mean over positives of  -log softmax_k( e_u . h_k / T - log q_k )[i],  k over the batch's positives,
    q_k = the item's share of training positives                                        (in-batch, log-Q)

Both are TFRS's ``tfrs.tasks.Retrieval``: the whole catalogue enters as its extra negatives, with a score mask that
keeps every catalogue item exactly once per query (:func:`catalogue_candidates`).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs
from tensorflow import keras

from trainer.base_model import USER_INPUTS
from trainer.epoch_logs import EpochMeanLogs
from transforms import features as F

# Catalogue rows up to which every batch is scored against the whole catalogue (a [batch, rows] matrix: 1,683
# rows on ML-100K cost ~1 ms a batch on 2 cores); above it, in-batch negatives with the log-Q correction.
FULL_SOFTMAX_MAX_ITEMS = 50_000


def uses_full_softmax(n_rows: int, max_items: int = FULL_SOFTMAX_MAX_ITEMS) -> bool:
    """Whether a catalogue of ``n_rows`` rows is scored whole per batch (else in-batch negatives with log-Q)."""
    return n_rows <= max_items


def catalogue_candidates(positive_rows: tf.Tensor, positive_vectors: tf.Tensor, catalogue_vectors: tf.Tensor
                         ) -> Tuple[tf.Tensor, tf.Tensor]:
    """(candidates, score mask) that make ``tfrs.tasks.Retrieval`` compute the full softmax of the module docstring.

    TFRS's task takes the i-th candidate as query i's positive and the rest as its negatives. Candidates are the
    B positives' vectors followed by all N catalogue rows; query i keeps column i (its positive) and every
    catalogue column but its positive's own row, and drops the other queries' positive columns (those items are
    in the catalogue block already), so each catalogue item counts exactly once.
    """
    batch = tf.shape(positive_rows)[0]
    n_items = tf.shape(catalogue_vectors, out_type=positive_rows.dtype)[0]
    own = tf.eye(batch, dtype=tf.bool)
    others = tf.not_equal(positive_rows[:, tf.newaxis], tf.range(n_items)[tf.newaxis, :])
    return tf.concat([positive_vectors, catalogue_vectors], axis=0), tf.concat([own, others], axis=1)


class BaseRetrieval(EpochMeanLogs, tfrs.models.Model):
    """Trains ``base`` (the two-tower model of trainer/base_model.py, whose towers it shares) with the objective of
    the module docstring on the positive examples of each batch; the labels' negatives are not used.

    ``item_features`` [rows, MAX_ITEM_TOKENS]: every catalogue row's feature bag (trainer/retrieval.py:
    item_feature_table); ``positive_counts`` [rows]: training positives per row, the in-batch path's q (unused, and
    may be None, when :func:`uses_full_softmax`).
    """

    def __init__(self, base: keras.Model, item_features: np.ndarray, positive_counts: Optional[np.ndarray], temperature: float,
                 full_softmax_max_items: int = FULL_SOFTMAX_MAX_ITEMS, **kwargs):
        super().__init__(name="base_retrieval", **kwargs)
        self.base = base
        self.user_tower = base.get_layer("user_tower")
        self.item_tower = base.get_layer("item_tower")
        self.full_softmax = uses_full_softmax(len(item_features), full_softmax_max_items)
        self.catalogue_rows = tf.range(len(item_features), dtype=tf.int64)
        self.item_features = tf.constant(item_features, tf.int64)
        if not self.full_softmax:
            if positive_counts is None:
                raise ValueError(f"{len(item_features):,} catalogue rows train with in-batch negatives: positive_counts is needed")
            counts = np.asarray(positive_counts, np.float64)
            self.positive_share = tf.constant(np.maximum(counts, 1.0) / max(counts.sum(), 1.0), tf.float32)
        # The epoch's mean loss per positive, on training and validation alike (Keras logs `softmax_loss` and
        # `val_softmax_loss`): TFRS's own `loss` entry is the last batch's only, 0 for a batch without positives.
        self.softmax_loss = keras.metrics.Mean(name="softmax_loss")
        self.task = tfrs.tasks.Retrieval(  # the mean over positives (TFRS's default loss sums over them)
            loss=keras.losses.CategoricalCrossentropy(from_logits=True), temperature=temperature,
            remove_accidental_hits=not self.full_softmax,
        )

    def call(self, features, training=False):
        return self.base(features, training=training)

    def compute_loss(self, inputs, training=False):
        features, labels = inputs
        positive = tf.reshape(labels, [-1]) > 0.5
        features = {name: tf.boolean_mask(value, positive) for name, value in features.items()}
        users = self.user_tower({name: features[name] for name in USER_INPUTS}, training=training)
        rows = features[F.ITEM_INDEX]
        items = self.item_tower({F.ITEM_INDEX: rows, F.ITEM_FEATURE_INDICES: features[F.ITEM_FEATURE_INDICES]}, training=training)
        if self.full_softmax:
            catalogue = self.item_tower({F.ITEM_INDEX: self.catalogue_rows, F.ITEM_FEATURE_INDICES: self.item_features}, training=training)
            candidates, mask = catalogue_candidates(rows, items, catalogue)
            loss = self.task(users, candidates, score_mask=mask, compute_metrics=False)
        else:  # not called on a batch without a positive: TFRS's accidental-hit removal fails on no candidates
            loss = tf.cond(tf.size(rows) > 0, lambda: self.task(
                users, items, candidate_sampling_probability=tf.gather(self.positive_share, rows), candidate_ids=rows,
                compute_metrics=False), lambda: tf.constant(0.0))
        loss = tf.where(tf.size(rows) > 0, loss, 0.0)  # a batch without a positive teaches nothing
        self.softmax_loss.update_state(loss, sample_weight=tf.cast(tf.size(rows), tf.float32))
        return loss
