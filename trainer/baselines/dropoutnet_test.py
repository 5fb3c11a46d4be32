"""DropoutNet (trainer/baselines/dropoutnet.py): input dropout in training only, cold items served from content."""
import numpy as np
import pytest
import tensorflow as tf

from trainer.baselines.common_test import (
    COLD_ITEM, WARM_ITEM, base_weights_unchanged_by_training, tables, tiny_base, trains_and_serves, transformed,
)
from trainer.base_model import USER_INPUTS
from trainer.baselines.dropoutnet import DropoutNet, dropoutnet_objective, item_id_keep
from trainer.promo_model import PromoConfig
from trainer.retrieval_test import ITEMS, USERS
from transforms import features as F


@pytest.mark.parametrize("rate", [0.5, 0.2])
def test_training_drops_a_warm_items_id_input_at_the_rate_and_a_cold_items_always(rate):
    tf.random.set_seed(0)
    cold = tf.constant([0.0] * 20000 + [1.0] * 1000)
    keep = item_id_keep(cold, rate, training=True).numpy()
    assert set(np.unique(keep)) == {0.0, 1.0}
    assert abs((keep[:20000] == 0).mean() - rate) < 0.015
    assert not keep[20000:].any()
    np.testing.assert_array_equal(item_id_keep(cold, rate, training=False).numpy(), 1.0 - cold.numpy())


def test_the_objective_is_the_mean_squared_gap_to_the_pretrained_score_over_warm_rows():
    teacher, student = tf.constant([1.0, -2.0, 5.0]), tf.constant([0.5, 1.0, -5.0])
    assert dropoutnet_objective(teacher, student, tf.constant([0.0, 0.0, 1.0])).numpy() == pytest.approx((0.25 + 9.0) / 2)
    assert dropoutnet_objective(teacher, student, tf.constant([1.0, 1.0, 1.0])).numpy() == 0.0  # no warm row


def _model(rate=0.5):
    base = tiny_base()
    return base, DropoutNet(base, tables(), PromoConfig(variant="dropoutnet", dropout_rate=rate))


def test_training_mode_drops_the_id_input_of_a_fraction_of_examples_and_serving_never_of_a_warm_item():
    _, model = _model(rate=0.3)
    features = transformed([USERS[0]] * 2000, [WARM_ITEM] * 2000)
    index, bag = features[F.ITEM_INDEX], features[F.ITEM_FEATURE_INDICES]
    served = model.item_embedding(features).numpy()
    tf.random.set_seed(1)
    trained = model.item_vector(index, bag, item_id_keep(model.cold(index), 0.3, training=True)).numpy()
    with_id = np.isclose(trained, served, atol=1e-6).all(axis=1)
    without_id = np.isclose(trained, model.item_vector(index, bag, tf.zeros(2000)).numpy(), atol=1e-6).all(axis=1)
    assert not (with_id & without_id).any() and (with_id | without_id).all()
    assert abs(without_id.mean() - 0.3) < 0.03


def test_a_cold_items_score_ignores_its_id_embedding_and_a_warm_items_uses_it():
    base, model = _model()
    features = transformed([USERS[1]] * 2, [WARM_ITEM, COLD_ITEM])
    before = model(features).numpy()
    np.testing.assert_allclose(before[0], base(features).numpy()[0], rtol=1e-5)  # the student starts as the base
    table = model.item_id_embedding.embeddings
    for item in (WARM_ITEM, COLD_ITEM):
        table.assign(tf.tensor_scatter_nd_update(table, [[ITEMS.index(item)]], [tf.fill([table.shape[1]], 3.0)]))
    after = model(features).numpy()
    assert abs(after[0] - before[0]) > 1e-3
    assert after[1] == before[1]


def test_training_moves_the_towers_but_neither_the_teacher_nor_the_preference_inputs():
    base, model = _model()
    preference = [layer.get_weights()[0].copy() for layer in (model.item_id_embedding, model.student_user_tower.get_layer("user_id_embedding"))]
    mlp = model.item_mlp.get_weights()[0].copy()
    base_weights_unchanged_by_training(model, base)
    assert np.array_equal(preference[0], model.item_id_embedding.get_weights()[0])
    assert np.array_equal(preference[1], model.student_user_tower.get_layer("user_id_embedding").get_weights()[0])
    assert not np.array_equal(mlp, model.item_mlp.get_weights()[0])


def test_dropoutnet_trains_and_exports_as_benchmarks_quality_does(workbench, tmp_path):
    trains_and_serves(workbench, "dropoutnet", str(tmp_path / "dropoutnet"))


class _ConfiglessLayer(tf.keras.layers.Layer):
    """As the Transform layer of an exported base loaded back (a revived layer): no config."""

    def get_config(self):
        raise NotImplementedError


def test_builds_on_a_loaded_base_that_carries_a_layer_without_config():
    """benchmarks.quality and the PromoTrainer give DropoutNet the exported base loaded back, which keeps the
    Transform layer (trainer/export.py's tft_layer); cloning the whole base failed on it on ML-100K."""
    base = tiny_base()
    base.tft_layer = _ConfiglessLayer()
    model = DropoutNet(base, tables(), PromoConfig(variant="dropoutnet"))
    features = transformed([USERS[0]], [WARM_ITEM])
    np.testing.assert_allclose(model.user_embedding(features).numpy(), base.get_layer("user_tower")({n: features[n] for n in USER_INPUTS}).numpy(), rtol=1e-6)
