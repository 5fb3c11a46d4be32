"""The pre-trained two-tower base model (the model PROMO's prompts are tuned on, paper §4 "pre-training").

User tower: user id embedding, the mean of the user's feature-token embeddings, the mean of the recent positive
history's item embeddings (the last HISTORY_LENGTH) and, with TowerConfig.history_bag, the mean of a second item
embedding over the whole history (every column of HISTORY_INDICES: up to MAX_HISTORY earlier training likes when
Transform ran with whole_history), through an MLP. Item tower: item id embedding and the mean of the item's
feature-token embeddings, through an MLP. Score: the inner product of the two vectors, a logit. trainer/task.py
trains it (by default a softmax over the catalogue; with compile_for_training, binary cross-entropy on logged and
sampled negatives, the L_rec of Eq. 3 and 13).
"""
from __future__ import annotations

import dataclasses
from typing import Dict

import tensorflow as tf
from tensorflow import keras

from trainer.layers import BagEmbedding
from trainer.optimizers import FusedAdam
from transforms import features as F

USER_INPUTS = (F.USER_INDEX, F.USER_FEATURE_INDICES, F.HISTORY_INDICES)
ITEM_INPUTS = (F.ITEM_INDEX, F.ITEM_FEATURE_INDICES)
MODEL_INPUTS = USER_INPUTS + ITEM_INPUTS  # what every scoring model (base, fine-tuned, PROMO) is called with
INPUT_SHAPES = {
    F.USER_INDEX: (),
    F.ITEM_INDEX: (),
    F.USER_FEATURE_INDICES: (F.MAX_USER_TOKENS,),
    F.ITEM_FEATURE_INDICES: (F.MAX_ITEM_TOKENS,),
    F.HISTORY_INDICES: (None,),  # HISTORY_LENGTH or MAX_HISTORY columns (Transform's whole_history)
}
USER_EMBEDDING = "user_id_embedding"
ITEM_EMBEDDING = "item_id_embedding"


@dataclasses.dataclass(frozen=True)
class VocabularySizes:
    """Rows each embedding table needs (vocabulary + OOV bucket; bags and history add the 0 padding row)."""

    users: int
    items: int
    user_tokens: int
    item_tokens: int

    @classmethod
    def from_transform_output(cls, tf_transform_output) -> "VocabularySizes":
        size = tf_transform_output.vocabulary_size_by_name
        return cls(
            users=size(F.USER_VOCAB) + F.OOV_BUCKETS,
            items=size(F.ITEM_VOCAB) + F.OOV_BUCKETS,
            user_tokens=size(F.USER_TOKEN_VOCAB) + F.OOV_BUCKETS + 1,
            item_tokens=size(F.ITEM_TOKEN_VOCAB) + F.OOV_BUCKETS + 1,
        )


@dataclasses.dataclass(frozen=True)
class TowerConfig:
    embedding_dim: int = 32
    hidden_units: int = 64
    output_dim: int = 32
    # The user tower also reads the whole history (module docstring; Transform's whole_history must have kept it,
    # and the examples carry it: local_runner.py --whole-history does both). Off: on ML-100K's eval split it trades
    # within seed noise and doubles the seed spread (benchmarks/results/frontier-ml-100k-eval-history-bag.md).
    history_bag: bool = False


def model_inputs(names) -> Dict[str, keras.Input]:
    return {name: keras.Input(shape=INPUT_SHAPES[name], dtype=tf.int64, name=name) for name in names}


def _mlp(config: TowerConfig, name: str) -> keras.Sequential:
    return keras.Sequential(
        [keras.layers.Dense(config.hidden_units, activation="relu"), keras.layers.Dense(config.output_dim)], name=name
    )


def recent_window(history_indices):
    """The last HISTORY_LENGTH columns of HISTORY_INDICES: the user's most recent history items (transforms/features.py)."""
    return history_indices[:, -F.HISTORY_LENGTH:]


def build_user_tower(sizes: VocabularySizes, config: TowerConfig) -> keras.Model:
    inputs = model_inputs(USER_INPUTS)
    parts = [
        keras.layers.Embedding(sizes.users, config.embedding_dim, name=USER_EMBEDDING)(inputs[F.USER_INDEX]),
        BagEmbedding(sizes.user_tokens, config.embedding_dim, name="user_feature_bag")(inputs[F.USER_FEATURE_INDICES]),
        BagEmbedding(sizes.items + 1, config.embedding_dim, name="history_bag")(recent_window(inputs[F.HISTORY_INDICES])),
    ]
    if config.history_bag:
        parts.append(BagEmbedding(sizes.items + 1, config.embedding_dim, name="whole_history_bag")(inputs[F.HISTORY_INDICES]))
    output = _mlp(config, "user_mlp")(keras.layers.Concatenate()(parts))
    return keras.Model(inputs, output, name="user_tower")


def build_item_tower(sizes: VocabularySizes, config: TowerConfig) -> keras.Model:
    inputs = model_inputs(ITEM_INPUTS)
    parts = [
        keras.layers.Embedding(sizes.items, config.embedding_dim, name=ITEM_EMBEDDING)(inputs[F.ITEM_INDEX]),
        BagEmbedding(sizes.item_tokens, config.embedding_dim, name="item_feature_bag")(inputs[F.ITEM_FEATURE_INDICES]),
    ]
    output = _mlp(config, "item_mlp")(keras.layers.Concatenate()(parts))
    return keras.Model(inputs, output, name="item_tower")


def build_two_tower(sizes: VocabularySizes, config: TowerConfig = TowerConfig()) -> keras.Model:
    """The base model: transformed features in, one logit per example out (user vector . item vector)."""
    user_tower = build_user_tower(sizes, config)
    item_tower = build_item_tower(sizes, config)
    inputs = model_inputs(MODEL_INPUTS)
    user_vector = user_tower({name: inputs[name] for name in USER_INPUTS})
    item_vector = item_tower({name: inputs[name] for name in ITEM_INPUTS})
    logit = keras.layers.Dot(axes=1, name="logit")([user_vector, item_vector])
    return keras.Model(inputs, tf.reshape(logit, [-1]), name="two_tower")


def adam(learning_rate: float, weight_decay: float = 0.0) -> keras.optimizers.Optimizer:
    """The base's optimizer: Adam (one fused kernel call per table: ``trainer/optimizers.FusedAdam``), with
    decoupled weight decay when ``weight_decay`` > 0 (each step every weight w <- w - learning_rate * weight_decay * w
    besides Adam's update; Keras' own implementation)."""
    return FusedAdam(learning_rate, weight_decay=weight_decay or None)


def compile_for_training(model: keras.Model, learning_rate: float, weight_decay: float = 0.0) -> keras.Model:
    """``model`` compiled for the pointwise objective: binary cross-entropy on its logits, AUC as the metric."""
    model.compile(
        optimizer=adam(learning_rate, weight_decay),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.AUC(from_logits=True, name="auc")],
    )
    return model
