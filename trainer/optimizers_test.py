import numpy as np
import pytest
import tensorflow as tf

from trainer.optimizers import FusedAdam, LazyAdam


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


def _adam_steps(optimizer, start, gradients):
    """``start`` after one ``optimizer`` step per gradient (an IndexedSlices or a dense array)."""
    variable = tf.Variable(start)
    for gradient in gradients:
        optimizer.apply_gradients([(gradient, variable)])
    return variable.numpy()


def test_fused_adam_is_keras_adams_rule_rows_outside_the_batch_included():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(50, 4)).astype(np.float32)
    sparse = [tf.IndexedSlices(tf.constant(rng.normal(size=(3, 4)).astype(np.float32)), tf.constant(rows), tf.constant([50, 4]))
              for rows in ([0, 1, 2], [2, 3, 4], [0, 10, 20])]
    # The same rule up to float32 rounding (the fused kernel rounds its combined ops once; steps here are ~0.1)
    fused = _adam_steps(FusedAdam(0.1), table, sparse)
    np.testing.assert_allclose(fused, _adam_steps(tf.keras.optimizers.Adam(0.1), table, sparse), rtol=0, atol=1e-5)
    # Rows no gradient reached keep their values (zero moments, zero step). Rows 3 and 4, touched in step 2 only,
    # move again in step 3 under Adam's momentum, where LazyAdam leaves them: the rule is Adam's, not LazyAdam's.
    np.testing.assert_array_equal(fused[30:], table[30:])
    lazy = _adam_steps(LazyAdam(0.1), table, sparse)
    assert np.all(np.abs(fused[[3, 4]] - lazy[[3, 4]]) > 1e-3)
    dense = [rng.normal(size=(50, 4)).astype(np.float32) for _ in range(3)]
    np.testing.assert_allclose(
        _adam_steps(FusedAdam(0.1), table, dense), _adam_steps(tf.keras.optimizers.Adam(0.1), table, dense), rtol=0, atol=1e-5)


def test_fused_adam_refuses_the_variants_its_kernel_lacks():
    with pytest.raises(ValueError, match="amsgrad"):
        FusedAdam(0.1, amsgrad=True)
