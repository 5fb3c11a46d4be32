"""What the learned cold-start baselines share: their settings, a content encoder, and the frozen-base model shell.

Every baseline is a ``tfrs.models.Model`` over the pre-trained base (trainer/base_model.py) that the prompt-stage
Trainer trains with its own loop (trainer/promo_task.py: ``train_prompt_stage``, the same ``fit`` on the same
transformed examples as PROMO and PROMO-LS) and exports with trainer/export.py. Its score is the inner product of
``user_embedding`` and ``item_embedding`` (what the embedding and recommend signatures serve). Which items count
as cold is the Transform's cold flag of the item's training row (at most ``cold_threshold`` training positives;
unknown items fall into the OOV row, which is cold), kept per item index in ``is_cold``.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs
from tensorflow import keras

from trainer.item_tables import ItemTables
from trainer.layers import BagEmbedding


@dataclasses.dataclass(frozen=True)
class BaselineConfig:
    """The learned cold-start baselines' hyper-parameters. ``trainer.promo_model.PromoConfig`` inherits them, so
    they are set like every prompt-stage setting: the PromoTrainer's ``custom_config`` or
    ``benchmarks.quality --promo '{"dropout_rate": 0.7}'``. ``epochs``, ``batch_size``, ``learning_rate`` and
    ``seed`` are PromoConfig's own."""

    # DropoutNet (trainer/baselines/dropoutnet.py): probability that a warm training example's item-id input is
    # zeroed (the paper's input dropout; it reports ~0.5 as a good rate); 0.3 chosen on the eval split
    # (benchmarks/results/tune-ml-100k-eval-dropoutnet.md).
    dropout_rate: float = 0.3
    # Content mapper: hidden units of its content encoder f(c_i); 64 chosen on the eval split
    # (benchmarks/results/tune-ml-100k-eval-content_mapper.md).
    content_hidden: int = 64
    # ALDI: hidden units of its item generator f_I(c_i) and user mapper f_U.
    aldi_hidden: int = 128
    # ALDI (trainer/baselines/aldi.py): weights of the ranking, identification and rating alignment terms (the
    # authors' code's alpha 0.9 and beta 0.05; gamma 1.0 chosen on eval over their 0.1: two cold cases of 170,
    # benchmarks/results/tune-ml-100k-eval-aldi.md) and the cap M of the popularity-aware weight tanh(a f_i) <= tanh(M).
    aldi_rank_weight: float = 0.9
    aldi_identification_weight: float = 0.05
    aldi_rating_weight: float = 1.0
    aldi_weight_cap: float = 4.0
    aldi_popularity_weights: bool = True


def masked_mean(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """sum_b mask_b values_b / sum_b mask_b (0 when the mask is empty): a batch mean over the rows ``mask`` keeps."""
    return tf.math.divide_no_nan(tf.reduce_sum(mask * values), tf.reduce_sum(mask))


def mlp(hidden_units: int, output_dim: int, name: str) -> keras.Sequential:
    """Dense(hidden_units, relu) -> Dense(output_dim)."""
    return keras.Sequential([keras.layers.Dense(hidden_units, activation="relu"), keras.layers.Dense(output_dim)], name=name)


class ContentEncoder(keras.layers.Layer):
    """f(c_i): an item's feature bag [B, MAX_ITEM_TOKENS] (token index, 0 pads) -> [B, output_dim], the mean of its
    tokens' embeddings through an MLP. Its own weights, trained from scratch: the content-only item representation
    of the content mapper and ALDI (items without features all get f of the empty bag)."""

    def __init__(self, vocab_size: int, hidden_units: int, output_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.bag = BagEmbedding(vocab_size, hidden_units, name="content_tokens")
        self.mlp = mlp(hidden_units, output_dim, "content_mlp")

    def call(self, feature_indices):
        return self.mlp(self.bag(feature_indices))


class FrozenBaseModel(tfrs.models.Model):
    """The shell of a baseline on the frozen pre-trained ``base``: its towers, each item index's cold flag and
    training feature bag (``item_features``, the recommend index's catalogue: trainer/retrieval.py), and the
    served logit ``user_embedding . item_embedding``. Subclasses define the two embeddings and ``compute_loss``."""

    def __init__(self, base: keras.Model, tables: ItemTables, config, **kwargs):
        super().__init__(name=f"{config.variant}_model", **kwargs)
        self.config = config
        self.base = base
        base.trainable = False
        self.user_tower = base.get_layer("user_tower")
        self.item_tower = base.get_layer("item_tower")
        self.is_cold = tf.Variable(tables.is_cold.astype(np.float32), trainable=False, name="is_cold")
        self.item_features = tf.Variable(tables.features, trainable=False, name="item_feature_table")

    def cold(self, item_index: tf.Tensor) -> tf.Tensor:
        """[B] float: 1 for a cold item index (the OOV row included), 0 for a warm one."""
        return tf.gather(self.is_cold, item_index)

    def call(self, features, training=False):
        """The served logit of each (user, item) row of transformed ``features``."""
        return tf.reduce_sum(self.user_embedding(features) * self.item_embedding(features), axis=1)

