"""ALDI (trainer/baselines/aldi.py): each loss on a hand-checked case, the frozen teacher, serving by warm/cold."""
import numpy as np
import pytest
import tensorflow as tf

from trainer.baselines.aldi import (
    Aldi, identification_alignment, identification_gap, item_frequencies, popularity_weights, ranking_alignment,
    rating_alignment, student_bpr,
)
from trainer.baselines.common_test import (
    COLD_ITEM, UNKNOWN_ITEM, WARM_ITEM, base_weights_unchanged_by_training, tables, tiny_base, trains_and_serves,
    transformed,
)
from trainer.base_model import USER_INPUTS
from trainer.promo_model import PromoConfig
from trainer.retrieval_test import USERS
from transforms import features as F

softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731


def test_student_bpr_is_the_mean_softplus_of_the_negative_margin_over_the_kept_rows():
    s_pos, s_neg = tf.constant([2.0, 0.0]), tf.constant([0.0, 1.0])
    assert student_bpr(s_pos, s_neg, tf.ones(2)).numpy() == pytest.approx((softplus(-2.0) + softplus(1.0)) / 2)
    assert student_bpr(s_pos, s_neg, tf.constant([1.0, 0.0])).numpy() == pytest.approx(softplus(-2.0))


def test_rating_alignment_is_the_mean_absolute_gap_of_both_scores():
    args = tf.constant([1.0, 2.0]), tf.constant([0.0, -1.0]), tf.constant([0.5, 2.0]), tf.constant([0.0, 1.0])
    assert rating_alignment(*args, tf.ones(2)).numpy() == pytest.approx((0.5 + 0.0 + 0.0 + 2.0) / 2)
    assert rating_alignment(*args, tf.constant([0.0, 1.0])).numpy() == pytest.approx(2.0)


def test_ranking_alignment_is_the_weighted_cross_entropy_against_the_teachers_margin():
    # student margin 0: BCE = log 2 whatever the teacher says; teacher margin 0 (p = 1/2), student margin 1:
    # BCE = (softplus(-1) + softplus(1)) / 2; weights 0.5 and 2, both rows kept
    value = ranking_alignment(
        tf.constant([2.0, 3.0]), tf.constant([0.0, 3.0]), tf.constant([1.0, 1.0]), tf.constant([1.0, 0.0]),
        tf.constant([0.5, 2.0]), tf.ones(2),
    )
    assert value.numpy() == pytest.approx((0.5 * np.log(2) + 2 * (softplus(-1.0) + softplus(1.0)) / 2) / 2, rel=1e-6)


def test_identification_gap_and_alignment():
    positive, sampled = tf.constant([[1.0, 0.0], [0.0, 2.0]]), tf.constant([[1.0, 1.0], [0.0, 1.0]])
    # d_0 = 1 - mean(1, 0) = 0.5; d_1 = 4 - mean(2, 2) = 2
    np.testing.assert_allclose(identification_gap(positive, sampled).numpy(), [0.5, 2.0])
    teacher_positive = tf.constant([[0.0, 0.0], [1.0, 0.0]])  # d^t = [0, 1 - mean(1, 0)] = [0, 0.5]
    value = identification_alignment(teacher_positive, sampled, positive, sampled, tf.constant([1.0, 3.0]), tf.constant([1.0, 1.0]))
    p = sigmoid(np.array([0.0, 0.5]))
    bce = -(p * np.log(sigmoid(np.array([0.5, 2.0]))) + (1 - p) * np.log(1 - sigmoid(np.array([0.5, 2.0]))))
    assert value.numpy() == pytest.approx((bce[0] + 3 * bce[1]) / 2, rel=1e-6)


def test_item_frequency_and_the_teacher_qualifying_weight():
    # users 0, 1, 2 like 2, 1 and 3 items; (0, 0) is repeated and counts once; item 3 has no liker
    frequencies = item_frequencies(np.array([0, 0, 1, 2, 2, 2, 0]), np.array([0, 1, 0, 0, 1, 2, 0]), 4)
    np.testing.assert_allclose(frequencies, [1 / 2 + 1 + 1 / 3, 1 / 2 + 1 / 3, 1 / 3, 0.0])
    assert frequencies.mean() == pytest.approx(3 / 4)  # |users| / |items|: the authors' x_expect
    # a = M / mean f = 4/3 with M = 1: tanh(4/3 f) capped at tanh(1)
    np.testing.assert_allclose(popularity_weights(frequencies, 1.0), [np.tanh(1), np.tanh(1), np.tanh(4 / 9), 0.0], rtol=1e-6)


def _model():
    base = tiny_base()
    return base, Aldi(base, tables(), PromoConfig(variant="aldi", aldi_hidden=8), np.ones(len(tables().is_cold), np.float32))


def test_warm_items_score_as_the_teacher_and_cold_and_unknown_ones_as_the_student():
    base, model = _model()
    features = transformed([USERS[3]] * 3, [WARM_ITEM, COLD_ITEM, UNKNOWN_ITEM])
    served = model(features).numpy()
    assert served[0] == pytest.approx(base(features).numpy()[0], rel=1e-6)
    user_vector = base.get_layer("user_tower")({n: features[n] for n in USER_INPUTS})
    student = tf.reduce_sum(model.user_mapper(user_vector) * model.item_generator(features[F.ITEM_FEATURE_INDICES]), axis=1)
    np.testing.assert_allclose(served[1:], student.numpy()[1:], rtol=1e-5)


def test_training_moves_the_student_and_leaves_the_teacher_bit_identical():
    base, model = _model()
    model(transformed([USERS[0]], [COLD_ITEM]))  # builds the student
    student = [w.copy() for w in model.item_generator.get_weights() + model.user_mapper.get_weights()]
    base_weights_unchanged_by_training(model, base)
    after = model.item_generator.get_weights() + model.user_mapper.get_weights()
    assert all(not np.array_equal(old, new) for old, new in zip(student, after) if old.ndim == 2)


def test_aldi_trains_and_exports_as_benchmarks_quality_does(workbench, tmp_path):
    trains_and_serves(workbench, "aldi", str(tmp_path / "aldi"))
