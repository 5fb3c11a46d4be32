"""Small Keras layers the towers are built from."""
from __future__ import annotations

import tensorflow as tf
from tensorflow import keras


@keras.utils.register_keras_serializable(package="promo")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of embeddings over the positions whose index is not 0 (padding); all-padding rows give zeros.

    Call with ``(embeddings [B, L, D], indices [B, L])``.
    """

    def call(self, inputs):
        embeddings, indices = inputs
        mask = tf.cast(tf.not_equal(indices, 0), embeddings.dtype)[..., tf.newaxis]
        total = tf.reduce_sum(embeddings * mask, axis=1)
        count = tf.reduce_sum(mask, axis=1)
        return tf.math.divide_no_nan(total, count)


@keras.utils.register_keras_serializable(package="promo")
class BagEmbedding(keras.layers.Layer):
    """Embeds a padded bag of indices ([B, L], 0 = padding) as the mean of its tokens' embeddings."""

    def __init__(self, vocab_size: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.dim = vocab_size, dim
        self.embedding = keras.layers.Embedding(vocab_size, dim)
        self.pool = MaskedMeanPooling()

    def call(self, indices):
        return self.pool((self.embedding(indices), indices))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim}
