import numpy as np
import tensorflow as tf

from trainer.promo_losses import pape_loss, pfpe_loss, promo_loss, recommendation_loss


def _softplus(x):
    return np.log1p(np.exp(x))


def test_pfpe_sums_l1_distances_over_real_pairs_only():
    h_pos = tf.constant([[[1.0, 0.0], [0.0, 2.0]]])  # one item, two pinnacle outputs
    h_neg = tf.constant([[[0.0, 0.0], [9.0, 9.0]]])  # second negative slot is padding
    masks = tf.constant([[1, 1]]), tf.constant([[1, 0]])
    delta = 1.0 + 2.0  # |(1,0)-(0,0)|_1 + |(0,2)-(0,0)|_1
    np.testing.assert_allclose(pfpe_loss(h_pos, h_neg, *masks, reduction="sum").numpy(), _softplus(-delta), rtol=1e-6)
    # "mean": per pair (2 pairs) and dimension (2)
    np.testing.assert_allclose(pfpe_loss(h_pos, h_neg, *masks).numpy(), _softplus(-delta / 4), rtol=1e-6)


def test_pfpe_averages_over_items_with_pairs_and_is_zero_without():
    h = tf.constant([[[1.0]], [[5.0]]])
    zeros = tf.zeros([2, 1, 1])
    loss = pfpe_loss(h, zeros, tf.constant([[1], [1]]), tf.constant([[1], [0]]), reduction="sum").numpy()
    np.testing.assert_allclose(loss, _softplus(-1.0), rtol=1e-6)  # only the first item has a pair
    assert pfpe_loss(h, zeros, tf.constant([[0], [0]]), tf.constant([[1], [1]])).numpy() == 0.0


def test_pape_uses_cold_positives_against_warm_negatives():
    scores = tf.constant([2.0, 0.5, 1.0, 3.0, 0.0])
    labels = tf.constant([1, 1, 0, 0, 0])
    is_cold = tf.constant([1, 0, 0, 1, 0])  # cold positive: 0; warm negatives: 2, 4
    delta_sum = (2.0 - 1.0) + (2.0 - 0.0)
    np.testing.assert_allclose(pape_loss(scores, labels, is_cold, "sum").numpy(), _softplus(-delta_sum), rtol=1e-6)
    np.testing.assert_allclose(pape_loss(scores, labels, is_cold, "mean").numpy(), _softplus(-delta_sum / 2), rtol=1e-6)


def test_pape_is_zero_without_pairs_and_decreases_as_cold_positives_rise():
    labels, cold = tf.constant([1, 0]), tf.constant([1, 1])  # no warm negative
    assert pape_loss(tf.constant([0.0, 1.0]), labels, cold).numpy() == 0.0
    cold = tf.constant([1, 0])
    low = pape_loss(tf.constant([0.0, 1.0]), labels, cold).numpy()
    high = pape_loss(tf.constant([2.0, 1.0]), labels, cold).numpy()
    assert high < low


def test_pape_matches_the_pairwise_sum_of_eq_11_and_its_gradient():
    rng = np.random.default_rng(3)
    scores = tf.Variable(rng.normal(size=64).astype(np.float32))
    labels, cold = rng.integers(0, 2, 64), rng.integers(0, 2, 64)
    pairs = [(c, w) for c in range(64) for w in range(64) if labels[c] and cold[c] and not labels[w] and not cold[w]]

    def pairwise(reduction):
        delta = tf.add_n([scores[c] - scores[w] for c, w in pairs])
        return tf.nn.softplus(-(delta / len(pairs) if reduction == "mean" else delta))

    for reduction in ("mean", "sum"):
        with tf.GradientTape(persistent=True) as tape:
            expected, actual = pairwise(reduction), pape_loss(scores, tf.constant(labels), tf.constant(cold), reduction)
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(tape.gradient(actual, scores).numpy(), tape.gradient(expected, scores).numpy(), rtol=1e-4, atol=1e-7)


def test_recommendation_loss_is_the_mean_binary_cross_entropy():
    logits, labels = tf.constant([0.0, 2.0]), tf.constant([[1.0], [0.0]])
    expected = (np.log(2.0) + _softplus(2.0)) / 2  # -log s(0) and -log(1 - s(2))
    np.testing.assert_allclose(recommendation_loss(logits, labels).numpy(), expected, rtol=1e-6)


def test_promo_loss_is_eq_13():
    loss = promo_loss(tf.constant(0.5), tf.constant(2.0), tf.constant(3.0), lambda1=0.1, lambda2=1.0)
    np.testing.assert_allclose(loss.numpy(), 0.5 + 0.1 * 2.0 + 1.0 * 3.0, rtol=1e-6)  # L_rec + lambda1 L_pfpe + lambda2 L_pape
