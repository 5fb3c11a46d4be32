import numpy as np
import tensorflow as tf

from trainer.layers import BagEmbedding, MaskedMeanPooling


def test_masked_mean_ignores_padding_and_gives_zeros_for_empty_rows():
    embeddings = tf.constant([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 5.0], [6.0, 6.0], [7.0, 7.0]]])
    indices = tf.constant([[4, 9, 0], [0, 0, 0]], tf.int64)
    pooled = MaskedMeanPooling()((embeddings, indices)).numpy()
    np.testing.assert_allclose(pooled, [[2.0, 3.0], [0.0, 0.0]])


def test_bag_embedding_is_the_mean_of_its_token_rows():
    layer = BagEmbedding(vocab_size=6, dim=3)
    out = layer(tf.constant([[2, 5, 0, 0]], tf.int64)).numpy()
    table = layer.embedding.embeddings.numpy()
    np.testing.assert_allclose(out[0], (table[2] + table[5]) / 2, rtol=1e-6)
