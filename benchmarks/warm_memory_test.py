"""benchmarks/warm_memory.py: the per-epoch callback ranks with the model as it is at the end of each epoch."""
import numpy as np
import pytest
import tensorflow as tf

from benchmarks.warm_memory import RankEachEpoch, curves
from evaluation.protocol import Case


class _Ranker:
    """Scores item "k" with w * k, w the model's weight when it was exported."""

    def __init__(self, weight: float):
        self.weight = weight

    def score_many(self, users, items):
        return self.weight * np.array([float(i) for i in items])


class _Bench:
    def __init__(self):
        self.exported = []

    def export(self, model, folder):
        self.exported.append(folder)
        return _Ranker(float(model.get_weights()[0][0, 0]))


def test_each_epoch_is_ranked_with_that_epochs_weights(tmp_path):
    # Gradient steps on (w - 10)^2 from w = -1 with learning rate 0.02: w = -0.56, -0.14, 0.27 after epochs 1-3, so
    # the positive (the highest-numbered item) ranks last, last, then first.
    cases = [Case("u", "20", cold, np.array([str(k) for k in range(20)])) for cold in (False, True)]
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, use_bias=False, kernel_initializer=tf.keras.initializers.Constant(-1.0), input_shape=(1,))])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.02), loss="mse")
    bench = _Bench()
    callback = RankEachEpoch(bench, cases, str(tmp_path))
    model.fit(np.ones((1, 1)), np.full((1, 1), 10.0), epochs=3, verbose=0, callbacks=[callback])
    assert bench.exported == [str(tmp_path / f"epoch{e}") for e in (1, 2, 3)]
    assert [m["all"]["HR@10"] for m in callback.metrics] == [0.0, 0.0, 1.0]
    assert [m["warm"]["HR@10"] for m in callback.metrics] == [0.0, 0.0, 1.0]


def test_curves_are_hr10_x100_per_seed_and_epoch():
    run = lambda *hrs: [{g: {"HR@10": hr} for g in ("all", "warm", "cold")} for hr in hrs]  # noqa: E731
    values = curves({"promo": [run(0.5, 0.6), run(0.7, 0.8)]}, "warm")["promo"]
    np.testing.assert_allclose(values, [[50.0, 60.0], [70.0, 80.0]])
    assert values.mean(axis=0) == pytest.approx([60.0, 70.0])
