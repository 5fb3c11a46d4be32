import numpy as np
import tensorflow as tf

from trainer.optimizers import LazyAdam


def _embedding_step(optimizer, table, rows, steps=1):
    variable = tf.Variable(table)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(tf.gather(variable, rows)))
        optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
    return variable.numpy()


def test_rows_outside_the_batch_never_move_and_touched_rows_follow_adam():
    table = np.arange(12, dtype=np.float32).reshape(6, 2) + 1
    # Every row touched once: the same step as Adam.
    every = np.arange(6)
    np.testing.assert_allclose(
        _embedding_step(LazyAdam(0.1), table, every), _embedding_step(tf.keras.optimizers.Adam(0.1), table, every), rtol=1e-6
    )
    # Row 1 touched twice in one batch counts once with the summed gradient; rows 3-5 untouched over 3 steps.
    lazy = _embedding_step(LazyAdam(0.1), table, np.array([0, 1, 1, 2]), steps=3)
    np.testing.assert_array_equal(lazy[3:], table[3:])
    assert np.all(np.abs(lazy[:3] - table[:3]) > 0.05)


def test_dense_gradients_get_plain_adam():
    start = np.ones((3, 2), np.float32)
    results = []
    for optimizer in (LazyAdam(0.1), tf.keras.optimizers.Adam(0.1)):
        variable = tf.Variable(start)
        for _ in range(2):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(variable * np.array([[1.0, 2.0]] * 3, np.float32))
            optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
        results.append(variable.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
