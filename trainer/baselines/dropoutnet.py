"""DropoutNet (Volkovs, Yu, Poutanen, "DropoutNet: Addressing Cold Start in Recommender Systems", NeurIPS 2017).

DropoutNet feeds each tower a user's / item's preference vector (U_u, V_v: a pre-trained latent model's) beside its
content (Phi_u, Phi_v) and trains the towers f_U, f_V to reproduce the latent model's scores (Eq. 2):

    O = sum_{u,v} (U_u V_v^T - f_U(U_u, Phi_u) f_V(V_v, Phi_v)^T)^2

while zeroing the preference input at random during training (input dropout, §4 and Algorithm 1), so that the
content path learns to stand in for it; a cold item is then scored with V_v = 0.

Here the pre-trained latent model is the frozen base (trainer/base_model.py) and its two towers are f_U and f_V:
- preference inputs: the user-id embedding and the history bag (U_u), the item-id embedding (V_v); kept frozen,
  as DropoutNet's U and V are fixed inputs;
- content inputs: the user and item feature bags (Phi_u, Phi_v);
- f_U, f_V: a copy of the base's towers (the ``student``), started at the base's weights; the towers' MLPs and
  feature-bag embeddings train, the preference embeddings do not;
- target: U_u V_v^T is the frozen base's logit of the same (u, i) row, on the training examples (logged and
  sampled negatives) of warm items only, :func:`dropoutnet_objective`: in the paper cold items do not appear in
  training. (Fitting the cold rows too teaches the content path the base's own verdict on cold items, which
  ranks them last: 1-3 cold HR@10 on the ML-100K eval split, below random, before this was fixed.)
- dropout (:func:`item_id_keep`): a warm item's id input is zeroed with probability ``dropout_rate`` (the paper
  finds ~0.5 a good trade-off between warm and cold accuracy), so that the content path learns to stand in for
  it; a cold item's is always zeroed, as it is served;
- serving: warm items with both inputs, cold and unknown items (the OOV row) with content only.
Only item cold start is modelled (no user dropout, no §4.3 mean-of-items transform for new users). The paper's
text was not at hand: Eq. 2, Algorithm 1 and §4.3 are cited as the NeurIPS reviews quote them, the rest from memory.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from trainer.base_model import ITEM_EMBEDDING, MODEL_INPUTS, USER_EMBEDDING, USER_INPUTS
from trainer.baselines.common import FrozenBaseModel, masked_mean
from trainer.item_tables import ItemTables
from transforms import features as F


def item_id_keep(cold: tf.Tensor, rate: float, training: bool) -> tf.Tensor:
    """[B] float, 1 where the item-id input is kept: at serving (``training`` False) keep = 1 - cold; in training
    keep = (1 - cold) [r >= rate] with r ~ U[0, 1) per row, i.e. a warm row's id input dropped with probability
    ``rate`` (DropoutNet's input dropout)."""
    warm = 1.0 - cold
    if not training:
        return warm
    return warm * tf.cast(tf.random.uniform(tf.shape(warm)) >= rate, warm.dtype)


def dropoutnet_objective(teacher_logits: tf.Tensor, student_logits: tf.Tensor, cold: tf.Tensor) -> tf.Tensor:
    """Eq. 2 as a batch mean over the warm rows: sum_b [b warm] (U_u V_v^T - f_U(U_u, Phi_u) . f_V(V_v, Phi_v))^2 /
    sum_b [b warm], the latent model's score ``teacher_logits`` as the target of the towers' ``student_logits``;
    cold rows (``cold`` 1) weigh zero. 0 for a batch without warm rows."""
    return masked_mean(tf.square(teacher_logits - student_logits), 1.0 - cold)


def _trainable_copy(tower: keras.Model) -> keras.Model:
    """A trainable copy of one of the base's towers, started at its weights. The towers are cloned, not the whole
    base: an exported base loaded back carries the revived Transform layer (trainer/export.py's ``tft_layer``),
    which has no config to clone."""
    copy = keras.models.clone_model(tower)
    copy.set_weights(tower.get_weights())
    copy.trainable = True
    return copy


class DropoutNet(FrozenBaseModel):
    """DropoutNet on the frozen base (module docstring): transformed features in, one logit per example out."""

    def __init__(self, base: keras.Model, tables: ItemTables, config, **kwargs):
        super().__init__(base, tables, config, **kwargs)
        self.student_user_tower = _trainable_copy(base.get_layer("user_tower"))
        item_tower = _trainable_copy(base.get_layer("item_tower"))
        self.item_id_embedding = item_tower.get_layer(ITEM_EMBEDDING)
        self.item_feature_bag = item_tower.get_layer("item_feature_bag")
        self.item_mlp = item_tower.get_layer("item_mlp")
        for frozen in (self.student_user_tower.get_layer(USER_EMBEDDING), self.student_user_tower.get_layer("history_bag"), self.item_id_embedding):
            frozen.trainable = False  # the preference inputs U_u, V_v

    def item_vector(self, item_index: tf.Tensor, feature_indices: tf.Tensor, keep: tf.Tensor) -> tf.Tensor:
        """f_V(keep V_v, Phi_v): the base's item tower with its id-embedding input multiplied by ``keep``."""
        preference = self.item_id_embedding(item_index) * keep[:, tf.newaxis]
        return self.item_mlp(tf.concat([preference, self.item_feature_bag(feature_indices)], axis=1))

    def user_embedding(self, features) -> tf.Tensor:
        return self.student_user_tower({n: features[n] for n in USER_INPUTS})

    def item_embedding(self, features) -> tf.Tensor:
        """Served: warm items with their id input, cold and unknown ones without."""
        index = features[F.ITEM_INDEX]
        return self.item_vector(index, features[F.ITEM_FEATURE_INDICES], item_id_keep(self.cold(index), self.config.dropout_rate, False))

    def compute_loss(self, inputs, training=False):
        features, _ = inputs
        index = features[F.ITEM_INDEX]
        cold = self.cold(index)
        keep = item_id_keep(cold, self.config.dropout_rate, training)
        items = self.item_vector(index, features[F.ITEM_FEATURE_INDICES], keep)
        student = tf.reduce_sum(self.user_embedding(features) * items, axis=1)
        return dropoutnet_objective(self.base({n: features[n] for n in MODEL_INPUTS}), student, cold)
