"""The personalized prompt network (paper §4.1.2, Eq. 6-7).

Each layer n owns a hypernetwork table with one row per item; item i's row e_i^{p_n} is split into the
weight matrix W_i^{p_n} (d_in x d_out) and the bias b_i^{p_n} (d_out) of layer n (Eq. 6). The prompt
information h_0 ([B, K, d_in], e.g. the embeddings of an item's pinnacle users) passes through the item's own
layers: h_{n+1} = sigma(h_n W_i^{p_n} + b_i^{p_n}) (Eq. 7; sigma after every layer).
With ``n_rows=1`` every item shares one network (the PROMO-M variant of §5.6).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
from tensorflow import keras


def hypernetwork_initializer(d_in: int, d_out: int, seed: int):
    """Rows of [W (Glorot-normal scaled, flattened) | b (zeros)] for a d_in x d_out layer."""

    def initialize(shape, dtype=None):
        rng = np.random.default_rng(seed)
        rows = np.zeros(shape, np.float32)
        rows[:, : d_in * d_out] = rng.normal(0.0, np.sqrt(2.0 / (d_in + d_out)), (shape[0], d_in * d_out))
        return tf.constant(rows, dtype=dtype or tf.float32)

    return initialize


@keras.utils.register_keras_serializable(package="promo")
class PersonalizedPromptNetwork(keras.layers.Layer):
    """Per-item networks from hypernetwork tables (Eq. 6-7). Call with ``(row_index [B], h0 [B, K, d_in])``."""

    def __init__(self, n_rows: int, input_dim: int, layer_dims: Sequence[int] = (32, 32), activation: str = "tanh", seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.n_rows, self.input_dim, self.layer_dims = n_rows, input_dim, tuple(layer_dims)
        self.activation_name, self.seed = activation, seed
        self.activation = keras.activations.get(activation)
        dims = (input_dim,) + self.layer_dims
        self.shapes = list(zip(dims[:-1], dims[1:]))
        self.tables = [
            keras.layers.Embedding(
                n_rows, d_in * d_out + d_out, embeddings_initializer=hypernetwork_initializer(d_in, d_out, seed + n),
                name=f"prompt_table_{n}",
            )
            for n, (d_in, d_out) in enumerate(self.shapes)
        ]

    def layer_parameters(self, row_index, layer: int):
        """Eq. 6: item rows of table ``layer`` split into W [B, d_in, d_out] and b [B, d_out]."""
        d_in, d_out = self.shapes[layer]
        rows = self.tables[layer](row_index)
        return tf.reshape(rows[:, : d_in * d_out], [-1, d_in, d_out]), rows[:, d_in * d_out:]

    def call(self, inputs):
        row_index, h = inputs
        for layer in range(len(self.shapes)):
            weights, bias = self.layer_parameters(row_index, layer)
            h = self.activation(tf.einsum("bkd,bde->bke", h, weights) + bias[:, tf.newaxis, :])
        return h

    def get_config(self):
        return {
            **super().get_config(), "n_rows": self.n_rows, "input_dim": self.input_dim,
            "layer_dims": list(self.layer_dims), "activation": self.activation_name, "seed": self.seed,
        }
