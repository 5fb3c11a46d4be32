import numpy as np
import tensorflow as tf

from trainer.prompt_network import PersonalizedPromptNetwork


def test_each_item_row_is_reshaped_into_its_own_weights_and_bias():
    net = PersonalizedPromptNetwork(n_rows=3, input_dim=2, layer_dims=(3,), activation="linear")
    h0 = tf.constant(np.arange(8, dtype=np.float32).reshape(2, 2, 2))  # two examples, K=2, d_in=2
    rows = tf.constant([0, 2])
    out = net((rows, h0)).numpy()
    net.bias_tables[0].assign(np.arange(9, dtype=np.float32).reshape(3, 3))
    out = net((rows, h0)).numpy()
    weight_table, bias_table = net.weight_tables[0].numpy(), net.bias_tables[0].numpy()
    for b, row in enumerate([0, 2]):
        np.testing.assert_allclose(out[b], h0.numpy()[b] @ weight_table[row] + bias_table[row], rtol=1e-5)
    assert weight_table.shape == (3, 2, 3) and bias_table.shape == (3, 3)  # one row of 2 * 3 + 3 weights per item


def test_two_layers_apply_the_activation_after_each_and_items_differ():
    net = PersonalizedPromptNetwork(n_rows=2, input_dim=4, layer_dims=(5, 3), activation="tanh")
    h0 = tf.random.normal([2, 6, 4], seed=1)
    same_input = tf.stack([h0[0], h0[0]])
    out = net((tf.constant([0, 1]), same_input)).numpy()
    assert out.shape == (2, 6, 3) and np.all(np.abs(out) <= 1.0)
    assert not np.allclose(out[0], out[1])  # different items, different networks
    w0, b0 = net.layer_parameters(tf.constant([0]), 0)
    w1, b1 = net.layer_parameters(tf.constant([0]), 1)
    manual = np.tanh(np.tanh(h0.numpy()[0] @ w0.numpy()[0] + b0.numpy()[0]) @ w1.numpy()[0] + b1.numpy()[0])
    np.testing.assert_allclose(out[0], manual, rtol=1e-5, atol=1e-6)
