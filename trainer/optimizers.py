"""The prompt stage's optimizer: Adam that updates only the embedding rows a batch touched.

tf-keras' Adam applies a sparse (IndexedSlices) gradient by decaying both moments and moving *every* row of
the table each step, so one step of the per-item prompt tables (Eq. 6: one row of thousands of weights per item)
costs O(items) instead of O(batch). ``LazyAdam`` (the rule of TF1's LazyAdamOptimizer and TF Addons' LazyAdam)
keeps the moments of rows outside the batch as they are and moves only the batch's rows; dense gradients
(the fusion MLP) get plain Adam.

Not used for the base: at 100K items (synthetic-1m) it makes a base step 3x faster (45 -> 14 ms, batch 1024),
but on ML-100K it cost the base 7 points of HR@10 (all targets 53.4 +- 0.3 -> 46.1 +- 0.8, 3 seeds) and PROMO on
top of it 14 (`python -m benchmarks.quality --variants pretrain promo --tag lazy-base` with it in
``compile_for_training``; benchmarks/results/quality-ml-100k-test-lazy-base.md).
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow import keras


@keras.utils.register_keras_serializable(package="promo")
class LazyAdam(keras.optimizers.Adam):
    def update_step(self, gradient, variable):
        if not isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable)
        lr = tf.cast(self.learning_rate, variable.dtype)
        step = tf.cast(self.iterations + 1, variable.dtype)
        alpha = lr * tf.sqrt(1 - tf.pow(tf.cast(self.beta_2, variable.dtype), step)) / (
            1 - tf.pow(tf.cast(self.beta_1, variable.dtype), step)
        )
        var_key = self._var_key(variable)
        m = self._momentums[self._index_dict[var_key]]
        v = self._velocities[self._index_dict[var_key]]
        # apply_gradients has already summed repeated rows (Optimizer._deduplicate_sparse_grad): indices are unique
        rows, values = gradient.indices, gradient.values
        m_rows = tf.gather(m, rows) * self.beta_1 + values * (1 - self.beta_1)
        v_rows = tf.gather(v, rows) * self.beta_2 + tf.square(values) * (1 - self.beta_2)
        m.scatter_update(tf.IndexedSlices(m_rows, rows))
        v.scatter_update(tf.IndexedSlices(v_rows, rows))
        variable.scatter_sub(tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))
