"""The content mapper (trainer/baselines/content_mapper.py): trained on warm items only, serves cold ones from content."""
import numpy as np
import pytest
import tensorflow as tf

from trainer.baselines.common_test import (
    COLD_ITEM, IS_COLD, UNKNOWN_ITEM, WARM_ITEM, base_weights_unchanged_by_training, tables, tiny_base, trains_and_serves,
    transformed,
)
from trainer.base_model import USER_INPUTS
from trainer.baselines.content_mapper import ContentMapper, warm_mse
from trainer.promo_model import PromoConfig
from trainer.retrieval_test import ITEMS, USERS
from transforms import features as F


def test_the_loss_is_the_mean_squared_error_over_the_warm_rows():
    predicted = tf.constant([[1.0, 2.0], [0.0, 0.0], [5.0, 5.0]])
    target = tf.constant([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    assert warm_mse(predicted, target, tf.constant([0.0, 0.0, 1.0])).numpy() == pytest.approx((1 + 4 + 1 + 1) / 4)
    assert warm_mse(predicted, target, tf.ones(3)).numpy() == 0.0


def _model():
    base = tiny_base()
    return base, ContentMapper(base, tables(), PromoConfig(variant="content_mapper", content_hidden=8))


def _loss_and_gradients(model, features):
    with tf.GradientTape() as tape:
        loss = model.compute_loss((features, tf.ones(len(features[F.ITEM_INDEX]))))
    return loss.numpy(), [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, model.mapper.trainable_variables)]


def test_cold_rows_add_nothing_to_the_loss_or_its_gradient():
    base, model = _model()
    warm_items = [ITEMS[i] for i in np.flatnonzero(IS_COLD == 0)[:6]]
    cold_items = [ITEMS[i] for i in np.flatnonzero(IS_COLD == 1)[:6]]
    mixed = transformed([USERS[0]] * 12, warm_items + cold_items)
    warm_only = transformed([USERS[0]] * 6, warm_items)
    loss, gradients = _loss_and_gradients(model, mixed)
    # the loss is the squared error of the warm rows alone, whatever the cold rows' targets are
    expected = np.mean(np.square(model.mapper(warm_only[F.ITEM_FEATURE_INDICES]).numpy() - base.get_layer("item_tower").get_layer("item_id_embedding")(warm_only[F.ITEM_INDEX]).numpy()))
    assert loss == pytest.approx(expected, rel=1e-5)
    table = model.item_id_embedding.embeddings
    cold_rows = [[ITEMS.index(i)] for i in cold_items]
    table.assign(tf.tensor_scatter_nd_update(table, cold_rows, tf.fill([6, table.shape[1]], 5.0)))
    moved_loss, moved_gradients = _loss_and_gradients(model, mixed)
    assert moved_loss == loss
    for old, new in zip(gradients, moved_gradients):
        np.testing.assert_array_equal(old, new)
    assert loss == pytest.approx(_loss_and_gradients(model, warm_only)[0], rel=1e-6)


def test_cold_and_unknown_items_are_served_through_the_mapper_and_warm_items_as_by_the_base():
    base, model = _model()
    features = transformed([USERS[2]] * 3, [WARM_ITEM, COLD_ITEM, UNKNOWN_ITEM])
    index, bag = features[F.ITEM_INDEX], features[F.ITEM_FEATURE_INDICES]
    id_input = model.id_input(index, bag).numpy()
    mapped = model.mapper(bag).numpy()
    np.testing.assert_array_equal(id_input[1:], mapped[1:])  # the unknown item is the OOV row: cold
    np.testing.assert_array_equal(id_input[0], model.item_id_embedding(index).numpy()[0])
    served = model(features).numpy()
    assert served[0] == pytest.approx(base(features).numpy()[0], rel=1e-6)
    item_mlp = base.get_layer("item_tower").get_layer("item_mlp")
    cold_vector = item_mlp(tf.concat([mapped, base.get_layer("item_tower").get_layer("item_feature_bag")(bag)], axis=1))
    user_vector = base.get_layer("user_tower")({n: features[n] for n in USER_INPUTS})
    np.testing.assert_allclose(served[1:], tf.reduce_sum(user_vector * cold_vector, axis=1).numpy()[1:], rtol=1e-5)


def test_training_moves_the_mapper_and_leaves_the_base_bit_identical():
    base, model = _model()
    model(transformed([USERS[0]], [COLD_ITEM]))  # builds the mapper
    mapper = [w.copy() for w in model.mapper.get_weights()]
    base_weights_unchanged_by_training(model, base)
    assert all(not np.array_equal(old, new) for old, new in zip(mapper, model.mapper.get_weights()) if old.ndim == 2)


def test_the_content_mapper_trains_and_exports_as_benchmarks_quality_does(workbench, tmp_path):
    trains_and_serves(workbench, "content_mapper", str(tmp_path / "content_mapper"))
