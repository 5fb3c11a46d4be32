import numpy as np
import tensorflow as tf

from trainer.base_model import VocabularySizes, build_two_tower
from trainer.promo_model import PromoConfig
from trainer.promo_task import fine_tune, load_base_model
from transforms import features as F

SIZES = VocabularySizes(users=10, items=8, user_tokens=5, item_tokens=5)


def _dataset(rng, n=64):
    features = {
        F.USER_INDEX: rng.integers(0, SIZES.users, n), F.ITEM_INDEX: rng.integers(0, SIZES.items, n),
        F.USER_FEATURE_INDICES: rng.integers(0, SIZES.user_tokens, (n, F.MAX_USER_TOKENS)),
        F.ITEM_FEATURE_INDICES: rng.integers(0, SIZES.item_tokens, (n, F.MAX_ITEM_TOKENS)),
        F.HISTORY_INDICES: rng.integers(0, SIZES.items + 1, (n, F.HISTORY_LENGTH)),
    }
    return tf.data.Dataset.from_tensor_slices((features, rng.integers(0, 2, n).astype("float32"))).batch(16)


def test_fine_tune_trains_every_weight_of_a_loaded_base(tmp_path):
    rng = np.random.default_rng(0)
    base = build_two_tower(SIZES)
    base.compile(optimizer="adam", loss="mse")
    base.save(str(tmp_path / "base"), save_format="tf")
    loaded = load_base_model(str(tmp_path / "base"))
    before = [w.copy() for w in loaded.get_weights()]
    tuned = fine_tune(loaded, _dataset(rng), _dataset(rng), PromoConfig(variant="finetune", epochs=1, learning_rate=0.05))
    changed = [not np.array_equal(a, b) for a, b in zip(before, tuned.get_weights())]
    assert all(changed)
