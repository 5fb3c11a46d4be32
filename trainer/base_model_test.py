import numpy as np
import pytest
import tensorflow as tf

from trainer.base_model import (
    ITEM_INPUTS, USER_INPUTS, TowerConfig, VocabularySizes, adam, build_two_tower, build_user_tower, compile_for_training,
)
from transforms import features as F

SIZES = VocabularySizes(users=11, items=21, user_tokens=7, item_tokens=9)


def _batch(n, rng):
    return {
        F.USER_INDEX: rng.integers(0, SIZES.users, n),
        F.ITEM_INDEX: rng.integers(0, SIZES.items, n),
        F.USER_FEATURE_INDICES: rng.integers(0, SIZES.user_tokens, (n, F.MAX_USER_TOKENS)),
        F.ITEM_FEATURE_INDICES: rng.integers(0, SIZES.item_tokens, (n, F.MAX_ITEM_TOKENS)),
        F.HISTORY_INDICES: rng.integers(0, SIZES.items + 1, (n, F.HISTORY_LENGTH)),
    }


def test_output_is_one_logit_per_example_equal_to_the_tower_dot_product():
    model = build_two_tower(SIZES)
    batch = _batch(5, np.random.default_rng(0))
    logits = model(batch).numpy()
    assert logits.shape == (5,)
    user = model.get_layer("user_tower")({k: batch[k] for k in USER_INPUTS}).numpy()
    item = model.get_layer("item_tower")({k: batch[k] for k in ITEM_INPUTS}).numpy()
    np.testing.assert_allclose(logits, (user * item).sum(axis=1), rtol=1e-5, atol=1e-6)


def test_training_learns_a_separable_signal():
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    batch = _batch(2048, rng)
    labels = (batch[F.ITEM_INDEX] % 2 == batch[F.USER_INDEX] % 2).astype("float32")  # parity match
    model = compile_for_training(build_two_tower(SIZES), learning_rate=0.01)
    history = model.fit(batch, labels, epochs=15, batch_size=256, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["auc"][-1] > 0.95


def test_the_user_tower_reads_the_whole_history_bag_only_with_history_bag():
    """A MAX_HISTORY-wide history (Transform's whole_history): changing only items before the recent window moves
    the user vector iff the tower reads the bag; the window and the bag are means, so order within each is free."""
    batch = {k: v for k, v in _batch(4, np.random.default_rng(1)).items() if k in USER_INPUTS}
    batch[F.HISTORY_INDICES] = np.random.default_rng(2).integers(0, SIZES.items + 1, (4, F.MAX_HISTORY))
    older = dict(batch, **{F.HISTORY_INDICES: batch[F.HISTORY_INDICES].copy()})
    older[F.HISTORY_INDICES][:, :10] = (older[F.HISTORY_INDICES][:, :10] + 1) % (SIZES.items + 1)
    shuffled = dict(batch, **{F.HISTORY_INDICES: np.concatenate(
        [batch[F.HISTORY_INDICES][:, :-F.HISTORY_LENGTH][:, ::-1], batch[F.HISTORY_INDICES][:, -F.HISTORY_LENGTH:][:, ::-1]], axis=1)})
    for reads_bag in (True, False):
        tf.keras.utils.set_random_seed(0)
        tower = build_user_tower(SIZES, TowerConfig(history_bag=reads_bag))
        vectors = tower(batch).numpy()
        assert np.abs(tower(older).numpy() - vectors).max() > 1e-4 if reads_bag else np.array_equal(tower(older).numpy(), vectors)
        np.testing.assert_allclose(tower(shuffled).numpy(), vectors, rtol=1e-5, atol=1e-6)


def test_the_recent_window_is_the_last_columns_of_any_history_width():
    tf.keras.utils.set_random_seed(0)
    tower = build_user_tower(SIZES, TowerConfig())
    batch = {k: v for k, v in _batch(3, np.random.default_rng(3)).items() if k in USER_INPUTS}
    wide = dict(batch, **{F.HISTORY_INDICES: np.concatenate(
        [np.random.default_rng(4).integers(1, SIZES.items + 1, (3, F.MAX_HISTORY - F.HISTORY_LENGTH)), batch[F.HISTORY_INDICES]], axis=1)})
    np.testing.assert_allclose(tower(wide).numpy(), tower(batch).numpy(), rtol=1e-6)  # older items: unread


@pytest.mark.parametrize("weight_decay, expected", [(0.0, 2.0), (0.5, 2.0 - 2.0 * 0.1 * 0.5)])
def test_adam_decays_each_weight_by_learning_rate_times_weight_decay(weight_decay, expected):
    """With a zero gradient Adam's own step is 0, so what moves the weight is the decay alone: w - lr * wd * w."""
    weight = tf.Variable([2.0])
    adam(0.1, weight_decay).apply_gradients([(tf.zeros([1]), weight)])
    assert weight.numpy()[0] == pytest.approx(expected)
