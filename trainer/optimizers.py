"""The Trainers' optimizers: two ways of running Adam's update rule over embedding tables.

``FusedAdam`` (the base): Adam's update, every row of every table each step, as TensorFlow's fused
``ResourceApplyAdam`` kernel. tf-keras' Adam applies a sparse (IndexedSlices) gradient of an embedding table as
seven whole-table element-wise ops (decay m, scatter, decay v, scatter, then sqrt, divide, subtract), each a pass
over the table; at 100K items those passes are most of a base step. The fused kernel makes one multi-threaded pass.
Same rule, different rounding (a few float32 ulps a step; ``optimizers_test.py``).

``LazyAdam`` (the prompt stage): Adam that updates only the embedding rows a batch touched. Per-item prompt tables
(Eq. 6: one row of thousands of weights per item) would otherwise cost O(items) a step instead of O(batch).
``LazyAdam`` (the rule of TF1's LazyAdamOptimizer and TF Addons' LazyAdam) keeps the moments of rows outside the
batch as they are and moves only the batch's rows; dense gradients (the fusion MLP) get plain Adam.

Not used for the base: at 100K items (synthetic-1m) it makes a base step 3x faster (45 -> 14 ms, batch 1024),
but on ML-100K it cost the base 7 points of HR@10 (all targets 53.4 +- 0.3 -> 46.1 +- 0.8, 3 seeds) and PROMO on
top of it 14 (`python -m benchmarks.quality --variants pretrain promo --tag lazy-base` with it in
``compile_for_training``; benchmarks/results/quality-ml-100k-test-lazy-base.md): rows outside the batch
keep moving under Adam's momentum, and the base depends on it.
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


@keras.utils.register_keras_serializable(package="promo")
class FusedAdam(keras.optimizers.Adam):
    """Adam's rule, each variable's step one call of TensorFlow's fused ``ResourceApplyAdam`` kernel.

    With g the gradient (a sparse one made dense: zero outside the batch's rows), t the step and
    alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t):
        m <- m + (g - m) (1 - beta_1),  v <- v + (g^2 - v) (1 - beta_2),  w <- w - alpha m / (sqrt(v) + epsilon),
    tf-keras' Adam exactly (rows outside the batch decay their moments and keep moving), in one pass per table
    instead of seven. Weight decay is Keras' own, applied before the step as for its Adam.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad or self.adaptive_epsilon:
            raise ValueError("FusedAdam has neither amsgrad nor adaptive_epsilon (ResourceApplyAdam has neither); "
                             "use keras.optimizers.Adam for them")

    def update_step(self, gradient, variable):
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        var_key = self._var_key(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[self._index_dict[var_key]].handle,
            v=self._velocities[self._index_dict[var_key]].handle,
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(self.learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.convert_to_tensor(gradient),
        )
