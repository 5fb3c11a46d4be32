"""trainer/task.py: the whole-history bag refuses a Transform output that did not keep the whole history; the base
stops at its best epoch by the whole-catalogue recall when asked to."""
import numpy as np
import pytest
import tensorflow as tf

from trainer.task import TrainingConfig, best_epoch_stopping, train_base_model
from transforms import features as F


class _NarrowTransformOutput:
    def transformed_feature_spec(self):
        return {F.HISTORY_INDICES: tf.io.FixedLenFeature([F.HISTORY_LENGTH], tf.int64)}


def test_history_bag_needs_transforms_whole_history():
    with pytest.raises(ValueError, match="--whole-history"):
        train_base_model(_NarrowTransformOutput(), [], [], TrainingConfig(history_bag=True))


class _ScriptedRecall(tf.keras.callbacks.Callback):
    """Stands in for trainer/catalogue_recall.py's callback: writes the next scripted recall into the epoch's logs and
    keeps a copy of the weights each epoch ended with."""

    def __init__(self, recalls):
        super().__init__()
        self.recalls, self.weights = recalls, []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_catalogue_recall@10"] = self.recalls[epoch]
        self.weights.append(self.model.get_weights())


def _fit(recalls, patience):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input([3]), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    x, y = np.random.default_rng(0).normal(size=(32, 3)), np.random.default_rng(1).normal(size=(32, 1))
    recall = _ScriptedRecall(recalls)
    history = model.fit(x, y, epochs=len(recalls), verbose=0, callbacks=[recall, *best_epoch_stopping(patience)])
    return model, recall, history


def test_the_base_stops_after_patience_epochs_without_a_better_recall_and_keeps_its_best_epochs_weights():
    model, recall, history = _fit([0.10, 0.30, 0.20, 0.25, 0.40, 0.50], patience=2)
    assert len(history.epoch) == 4  # best after epoch 2, no better in epochs 3 and 4: stopped
    assert not np.allclose(recall.weights[1][0], recall.weights[3][0])  # training moved the weights after the best
    for got, best in zip(model.get_weights(), recall.weights[1]):
        np.testing.assert_array_equal(got, best)


def test_without_patience_the_base_trains_every_epoch_and_keeps_the_last_weights():
    assert best_epoch_stopping(0) == []
    model, recall, history = _fit([0.30, 0.20, 0.10], patience=0)
    assert len(history.epoch) == 3
    for got, last in zip(model.get_weights(), recall.weights[2]):
        np.testing.assert_array_equal(got, last)


def test_a_negative_patience_is_refused():
    with pytest.raises(ValueError, match="patience must be 0"):
        TrainingConfig(patience=-1)
