"""A content-to-collaborative mapper, in the spirit of CB2CF (Barkan et al., RecSys 2019) and
DeepMusic (van den Oord, Dieleman, Schrauwen, NeurIPS 2013): a network learns to predict an item's collaborative
embedding from its content, on the items whose collaborative embedding is trustworthy, and stands in for that
embedding on the items whose embedding is not.

- Mapper: f(c_i) = ContentEncoder(item feature bag) (trainer/baselines/common.py), [B, embedding_dim].
- Target: the frozen base's item-id embedding E_i (the input of its item tower that carries the collaborative
  signal), as DeepMusic regresses a song's latent factors and CB2CF an item's CF vector.
- Loss: mean squared error on warm items only, :func:`warm_mse` (DeepMusic's MSE objective; CB2CF likewise
  regresses the CF vectors of items with enough usage). Trained on the transformed training examples (the stream the pipeline's trainers
  read), so a warm item weighs as many times as it has training examples; CB2CF and DeepMusic weigh every item once.
- Serving (:meth:`ContentMapper.id_input`): a cold or unknown item's id input is f(c_i) instead of its own (barely
  trained) E_i; warm items keep E_i. Either goes through the base's item tower with the item's feature bag, and the
  user side is the base's user tower: warm items score exactly as the base does.
The base is frozen; only f trains.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from trainer.base_model import ITEM_EMBEDDING, USER_INPUTS
from trainer.baselines.common import ContentEncoder, FrozenBaseModel
from trainer.item_tables import ItemTables
from transforms import features as F


def warm_mse(predicted: tf.Tensor, target: tf.Tensor, cold: tf.Tensor) -> tf.Tensor:
    """sum_b [b warm] ||f(c_b) - E_b||^2 / (d sum_b [b warm]): the mean squared error over the warm rows of a batch
    ([B, d] ``predicted`` and ``target``, [B] ``cold``); cold rows weigh zero, so they add neither loss nor
    gradient. 0 for a batch without warm rows."""
    warm = 1.0 - cold
    squared = tf.reduce_sum(tf.square(predicted - target), axis=1)
    return tf.math.divide_no_nan(tf.reduce_sum(warm * squared), tf.reduce_sum(warm) * tf.cast(tf.shape(target)[1], target.dtype))


class ContentMapper(FrozenBaseModel):
    """The content mapper on the frozen base (module docstring): transformed features in, one logit per example out."""

    def __init__(self, base: keras.Model, tables: ItemTables, config, **kwargs):
        super().__init__(base, tables, config, **kwargs)
        self.item_id_embedding = self.item_tower.get_layer(ITEM_EMBEDDING)
        self.item_feature_bag = self.item_tower.get_layer("item_feature_bag")
        self.item_mlp = self.item_tower.get_layer("item_mlp")
        self.mapper = ContentEncoder(
            self.item_feature_bag.vocab_size, config.content_hidden, self.item_id_embedding.output_dim, name="content_mapper"
        )

    def id_input(self, item_index: tf.Tensor, feature_indices: tf.Tensor) -> tf.Tensor:
        """The item tower's id input: f(c_i) for cold and unknown items, E_i for warm ones."""
        cold = self.cold(item_index)[:, tf.newaxis]
        return cold * self.mapper(feature_indices) + (1.0 - cold) * self.item_id_embedding(item_index)

    def user_embedding(self, features) -> tf.Tensor:
        return self.user_tower({n: features[n] for n in USER_INPUTS})

    def item_embedding(self, features) -> tf.Tensor:
        index, bag = features[F.ITEM_INDEX], features[F.ITEM_FEATURE_INDICES]
        return self.item_mlp(tf.concat([self.id_input(index, bag), self.item_feature_bag(bag)], axis=1))

    def compute_loss(self, inputs, training=False):
        features, _ = inputs
        index = features[F.ITEM_INDEX]
        return warm_mse(self.mapper(features[F.ITEM_FEATURE_INDICES]), self.item_id_embedding(index), self.cold(index))
