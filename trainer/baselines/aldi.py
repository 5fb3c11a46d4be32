"""ALDI (Huang, Wang, Huang, Qian, Li, Chen, "Aligning Distillation For Cold-start Item Recommendation", SIGIR 2023).

Warm items are the teachers: their embeddings come from the frozen pre-trained model (here the base: user vector
e_u = user tower, item vector h_i = item tower, teacher score t_ui = e_u . h_i, the base's logit). The student
generates an item embedding from content, g_i = f_I(c_i) (trainer/baselines/common.py: ContentEncoder), and maps
the user into its space, m_u = f_U(e_u) (an MLP); student score s_ui = m_u . g_i. It is trained on warm items only:
each positive (u, i) of a warm item in a training batch, against one warm item j drawn uniformly. Loss:

    L = L_bpr + alpha L_rank + beta L_id + gamma L_rating                                  (ALDI's total loss)
    L_bpr    = mean softplus(-(s_ui - s_uj))                    student_bpr              (the supervised term)
    L_rating = mean |t_ui - s_ui| + |t_uj - s_uj|               rating_alignment         (rating distribution aligning)
    L_rank   = mean w_i BCE(sigmoid(t_ui - t_uj), s_ui - s_uj)  ranking_alignment        (ranking aligning)
    L_id     = mean w_i BCE(sigmoid(d^t_i), d^s_i),             identification_alignment (identification aligning)
               d_i = g_i . g_i - mean_j g_i . g_j (over the batch's sampled items j), likewise with h for d^t
    w_i      = min(tanh(a f_i), tanh(M)), f_i = sum_{u likes i} 1 / |I_u|,  a = M / mean_i f_i
                                                                popularity_weights       (teacher-qualifying weighting)
BCE(p, x) is the binary cross-entropy of logit x against the soft label p. The teacher is never trained.
Serving: a warm item's score is the teacher's, t_ui; a cold or unknown item's is the student's, s_ui, as in ALDI's
evaluation (generated embeddings replace the cold items' only). The two sides: [e_u ; m_u] . [h_i [warm] ; g_i [cold]].

The paper's text was not at hand; every term follows the authors' public code (github.com/zfnWong/ALDI,
cold_start/ALDI.py for the losses and main.py for f_i and a, read for this implementation), whose defaults alpha 0.9,
beta 0.05, M 4 are BaselineConfig's (their gamma 0.1 became 1.0 on the eval split: docs/model.md). Differences: the authors' student has tanh hidden layers with batch
normalisation and an L2 penalty (here ReLU, no penalty); their teacher-qualifying weighting is off by default
(``--tws 0``), here on (``aldi_popularity_weights``); the generator's and user mapper's hidden width is ``aldi_hidden``.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
from tensorflow import keras

from trainer.base_model import ITEM_INPUTS, USER_INPUTS
from trainer.baselines.common import ContentEncoder, FrozenBaseModel, masked_mean, mlp
from trainer.item_tables import ItemTables
from transforms import features as F


def student_bpr(student_pos, student_neg, mask):
    """L_bpr = mean_b softplus(s_uj - s_ui) over the rows ``mask`` keeps: the student's own ranking loss."""
    return masked_mean(tf.nn.softplus(student_neg - student_pos), mask)


def rating_alignment(teacher_pos, teacher_neg, student_pos, student_neg, mask):
    """L_rating = mean_b |t_ui - s_ui| + |t_uj - s_uj|: the student's scores aligned with the teacher's, value by
    value (rating distribution aligning)."""
    return masked_mean(tf.abs(teacher_pos - student_pos) + tf.abs(teacher_neg - student_neg), mask)


def _soft_bce(teacher_logit, student_logit):
    """BCE(sigmoid(teacher_logit), student_logit): the cross-entropy of the student's logit against the teacher's
    probability as a soft label."""
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.sigmoid(teacher_logit), logits=student_logit)


def ranking_alignment(teacher_pos, teacher_neg, student_pos, student_neg, weights, mask):
    """L_rank = mean_b w_i BCE(sigmoid(t_ui - t_uj), s_ui - s_uj): the student ranks i above j as surely as the
    teacher does (ranking aligning)."""
    return masked_mean(weights * _soft_bce(teacher_pos - teacher_neg, student_pos - student_neg), mask)


def identification_gap(positive_items, sampled_items):
    """d_i = v_i . v_i - mean_j v_i . v_j: how much more item i's vector [B, d] matches itself than the batch's
    sampled items' ``sampled_items`` [B', d]."""
    own = tf.reduce_sum(tf.square(positive_items), axis=1)
    return own - tf.reduce_mean(tf.matmul(positive_items, sampled_items, transpose_b=True), axis=1)


def identification_alignment(teacher_pos_items, teacher_neg_items, student_pos_items, student_neg_items, weights, mask):
    """L_id = mean_b w_i BCE(sigmoid(d^t_i), d^s_i), d from :func:`identification_gap` on the teacher's item vectors
    h and the student's generated g: the generated item tells itself from others as the teacher's does
    (identification aligning)."""
    teacher = identification_gap(teacher_pos_items, teacher_neg_items)
    student = identification_gap(student_pos_items, student_neg_items)
    return masked_mean(weights * _soft_bce(teacher, student), mask)


def item_frequencies(users: np.ndarray, items: np.ndarray, n_items: int) -> np.ndarray:
    """f_i = sum over the users u who like i of 1 / |I_u| (|I_u|: u's number of training positives), from the
    training positives (``users``, ``items``; repeated pairs count once): the authors' item frequency."""
    pairs = np.unique(np.stack([users, items], axis=1), axis=0)
    _, user_of_pair, per_user = np.unique(pairs[:, 0], return_inverse=True, return_counts=True)
    return np.bincount(pairs[:, 1], weights=1.0 / per_user[user_of_pair], minlength=n_items)


def popularity_weights(frequencies: np.ndarray, cap: float) -> np.ndarray:
    """w_i = min(tanh(a f_i), tanh(M)) with a = M / mean_i f_i (M = ``cap``): items at least as frequent as the
    mean item get the full weight tanh(M), rarer ones (less reliable teachers) less (teacher-qualifying weighting).
    The mean f is the authors' x_expect, |users| / |items|, when every user has a positive."""
    scale = cap / max(frequencies.mean(), 1e-12)
    return np.minimum(np.tanh(scale * frequencies), np.tanh(cap)).astype(np.float32)


class Aldi(FrozenBaseModel):
    """ALDI's student on the frozen base as its teacher (module docstring): transformed features in, one logit per
    example out. ``item_weights`` [item index] holds w_i (ones without the teacher-qualifying weighting)."""

    def __init__(self, base: keras.Model, tables: ItemTables, config, item_weights: np.ndarray, **kwargs):
        super().__init__(base, tables, config, **kwargs)
        dim = self.item_tower.output_shape[-1]
        vocab = self.item_tower.get_layer("item_feature_bag").vocab_size
        self.item_generator = ContentEncoder(vocab, config.aldi_hidden, dim, name="item_generator")  # f_I
        self.user_mapper = mlp(config.aldi_hidden, dim, "user_mapper")  # f_U
        self.item_weights = tf.constant(item_weights, tf.float32)
        self.warm_rows = tf.constant(np.flatnonzero(tables.is_cold == 0), tf.int64)

    def user_embedding(self, features) -> tf.Tensor:
        """[e_u ; m_u]."""
        user_vector = self.user_tower({n: features[n] for n in USER_INPUTS})
        return tf.concat([user_vector, self.user_mapper(user_vector)], axis=1)

    def item_embedding(self, features) -> tf.Tensor:
        """[h_i ; 0] for a warm item, [0 ; g_i] for a cold or unknown one."""
        cold = self.cold(features[F.ITEM_INDEX])[:, tf.newaxis]
        teacher = self.item_tower({n: features[n] for n in ITEM_INPUTS})
        return tf.concat([(1.0 - cold) * teacher, cold * self.item_generator(features[F.ITEM_FEATURE_INDICES])], axis=1)

    def compute_loss(self, inputs, training=False):
        features, labels = inputs
        index = features[F.ITEM_INDEX]
        mask = tf.reshape(labels, [-1]) * (1.0 - self.cold(index))  # positives of warm items
        sampled = tf.gather(self.warm_rows, tf.random.uniform(tf.shape(index), 0, tf.size(self.warm_rows, tf.int64), dtype=tf.int64))
        sampled_bags = tf.gather(self.item_features, sampled)
        teacher_user = self.user_tower({n: features[n] for n in USER_INPUTS})
        student_user = self.user_mapper(teacher_user)
        h_pos = self.item_tower({n: features[n] for n in ITEM_INPUTS})
        h_neg = self.item_tower({F.ITEM_INDEX: sampled, F.ITEM_FEATURE_INDICES: sampled_bags})
        g_pos = self.item_generator(features[F.ITEM_FEATURE_INDICES])
        g_neg = self.item_generator(sampled_bags)
        t_pos, t_neg = tf.reduce_sum(teacher_user * h_pos, axis=1), tf.reduce_sum(teacher_user * h_neg, axis=1)
        s_pos, s_neg = tf.reduce_sum(student_user * g_pos, axis=1), tf.reduce_sum(student_user * g_neg, axis=1)
        weights = tf.gather(self.item_weights, index)
        return (
            student_bpr(s_pos, s_neg, mask)
            + self.config.aldi_rank_weight * ranking_alignment(t_pos, t_neg, s_pos, s_neg, weights, mask)
            + self.config.aldi_identification_weight * identification_alignment(h_pos, h_neg, g_pos, g_neg, weights, mask)
            + self.config.aldi_rating_weight * rating_alignment(t_pos, t_neg, s_pos, s_neg, mask)
        )


def aldi_item_weights(users: np.ndarray, items: np.ndarray, n_items: int, config) -> np.ndarray:
    """w_i of every item index from the training positives, or ones when ``aldi_popularity_weights`` is off."""
    if not config.aldi_popularity_weights:
        return np.ones(n_items, np.float32)
    return popularity_weights(item_frequencies(users, items, n_items), config.aldi_weight_cap)
