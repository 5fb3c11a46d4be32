import numpy as np
import tensorflow as tf

from trainer.base_model import ITEM_INPUTS, USER_INPUTS, VocabularySizes, build_two_tower, compile_for_training
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
