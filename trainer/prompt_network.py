"""The personalized prompt network (paper §4.1.2, Eq. 6-7).

Each layer n owns a hypernetwork table with one row per item; item i's row e_i^{p_n} holds the weight matrix
W_i^{p_n} (d_in x d_out) and the bias b_i^{p_n} (d_out) of layer n (Eq. 6). The row is stored as two tables,
its W part ([items, d_in, d_out]) and its b part ([items, d_out]): the same parameters, but gathering them
apart keeps the backward pass free of the slice gradients that made it ~3x slower (benchmarks/throughput.py).
The prompt information h_0 ([B, K, d_in], e.g. the embeddings of an item's pinnacle users) passes through the
item's own layers: h_{n+1} = sigma(h_n W_i^{p_n} + b_i^{p_n}) (Eq. 7; sigma after every layer).
With ``n_rows=1`` every item shares one network (the PROMO-M variant of §5.6).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
from tensorflow import keras


def row_width(input_dim: int, layer_dims: Sequence[int]) -> int:
    """Weights one item owns across every layer's hypernetwork table (Eq. 6: d_in * d_out + d_out per layer)."""
    dims = (input_dim,) + tuple(layer_dims)
    return sum(d_in * d_out + d_out for d_in, d_out in zip(dims[:-1], dims[1:]))


def hypernetwork_initializer(seed: int):
    """Per-item weight matrices [rows, d_in, d_out], Glorot-normal scaled, seeded (biases start at zero)."""

    def initialize(shape, dtype=None):
        d_in, d_out = shape[-2], shape[-1]
        rng = np.random.default_rng(seed)
        values = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / (d_in + d_out)))
        return tf.constant(values, dtype=dtype or tf.float32)

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
        self.weight_tables, self.bias_tables = [], []
        for n, (d_in, d_out) in enumerate(self.shapes):
            self.weight_tables.append(
                self.add_weight(name=f"prompt_weights_{n}", shape=(n_rows, d_in, d_out), initializer=hypernetwork_initializer(seed + n))
            )
            self.bias_tables.append(self.add_weight(name=f"prompt_biases_{n}", shape=(n_rows, d_out), initializer="zeros"))

    def layer_parameters(self, row_index, layer: int):
        """Eq. 6: the items' W [B, d_in, d_out] and b [B, d_out] of layer ``layer``."""
        return tf.gather(self.weight_tables[layer], row_index), tf.gather(self.bias_tables[layer], row_index)

    def call(self, inputs):
        row_index, h = inputs
        for layer in range(len(self.shapes)):
            weights, bias = self.layer_parameters(row_index, layer)
            h = self.activation(tf.matmul(h, weights) + bias[:, tf.newaxis, :])
        return h

    def get_config(self):
        return {
            **super().get_config(), "n_rows": self.n_rows, "input_dim": self.input_dim,
            "layer_dims": list(self.layer_dims), "activation": self.activation_name, "seed": self.seed,
        }
