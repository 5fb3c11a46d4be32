"""The base's retrieval objective (trainer/base_retrieval.py) against the formulas of its docstring, in numpy."""
import numpy as np
import pytest
import tensorflow as tf

from trainer.base_model import USER_INPUTS, VocabularySizes, build_two_tower
from trainer.base_retrieval import BaseRetrieval, catalogue_candidates
from transforms import features as F

SIZES = VocabularySizes(users=11, items=21, user_tokens=7, item_tokens=9)
T = 0.5


def _setup(seed=0, n=12):
    rng = np.random.default_rng(seed)
    item_features = rng.integers(0, SIZES.item_tokens, (SIZES.items, F.MAX_ITEM_TOKENS))
    items = rng.integers(0, SIZES.items, n)
    batch = {
        F.USER_INDEX: rng.integers(0, SIZES.users, n),
        F.ITEM_INDEX: items,
        F.USER_FEATURE_INDICES: rng.integers(0, SIZES.user_tokens, (n, F.MAX_USER_TOKENS)),
        F.ITEM_FEATURE_INDICES: item_features[items],
        F.HISTORY_INDICES: rng.integers(0, SIZES.items + 1, (n, F.HISTORY_LENGTH)),
    }
    labels = (np.arange(n) % 3 != 0).astype(np.float32)  # a third are negatives: left out of the objective
    labels[:2] = 1.0
    return build_two_tower(SIZES), item_features, batch, labels


def _vectors(base, item_features, batch, labels):
    positive = labels > 0.5
    users = base.get_layer("user_tower")({k: batch[k][positive] for k in USER_INPUTS}).numpy().astype(np.float64)
    catalogue = base.get_layer("item_tower")({F.ITEM_INDEX: np.arange(SIZES.items), F.ITEM_FEATURE_INDICES: item_features})
    return users, catalogue.numpy().astype(np.float64), batch[F.ITEM_INDEX][positive]


def _log_softmax(scores):
    top = scores.max(axis=1, keepdims=True)
    return scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))


def test_catalogue_candidates_keep_each_item_once_per_query():
    rows = tf.constant([2, 0, 2], tf.int64)
    positive = tf.constant([[1.0], [2.0], [3.0]])
    catalogue = tf.constant([[10.0], [11.0], [12.0], [13.0]])
    candidates, mask = catalogue_candidates(rows, positive, catalogue)
    np.testing.assert_array_equal(candidates.numpy().ravel(), [1, 2, 3, 10, 11, 12, 13])
    np.testing.assert_array_equal(mask.numpy().astype(int), [
        [1, 0, 0, 1, 1, 0, 1],  # query 0 (item 2): its own column, the catalogue without row 2
        [0, 1, 0, 0, 1, 1, 1],
        [0, 0, 1, 1, 1, 0, 1],
    ])


def test_the_full_softmax_loss_is_the_mean_negative_log_softmax_over_the_catalogue():
    base, item_features, batch, labels = _setup()
    model = BaseRetrieval(base, item_features, None, temperature=T)  # the full softmax needs no counts
    loss = float(model.compute_loss((batch, labels)))
    users, catalogue, items = _vectors(base, item_features, batch, labels)
    expected = -_log_softmax(users @ catalogue.T / T)[np.arange(len(items)), items].mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_the_in_batch_loss_corrects_each_candidate_by_its_log_sampling_probability():
    base, item_features, batch, labels = _setup(seed=1)
    counts = np.arange(1, SIZES.items + 1, dtype=np.float64)
    with pytest.raises(ValueError, match="positive_counts is needed"):
        BaseRetrieval(base, item_features, None, temperature=T, full_softmax_max_items=5)
    model = BaseRetrieval(base, item_features, counts, temperature=T, full_softmax_max_items=5)
    assert not model.full_softmax
    loss = float(model.compute_loss((batch, labels)))
    users, catalogue, items = _vectors(base, item_features, batch, labels)
    scores = users @ catalogue[items].T / T - np.log(counts[items] / counts.sum())[np.newaxis, :]
    same_item = items[:, np.newaxis] == items[np.newaxis, :]
    scores[same_item & ~np.eye(len(items), dtype=bool)] = -np.inf  # accidental hits removed
    expected = -np.diag(_log_softmax(scores)).mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


@pytest.mark.parametrize("full_softmax_max_items", [50_000, 5], ids=["full softmax", "in-batch"])
def test_a_batch_without_positives_gives_zero_loss_and_finite_gradients(full_softmax_max_items):
    """In-batch too: TFRS's accidental-hit removal fails on a batch without candidates (a 1M-interaction run's
    validation met one), so that path is not called then."""
    base, item_features, batch, labels = _setup()
    model = BaseRetrieval(base, item_features, np.ones(SIZES.items), temperature=T, full_softmax_max_items=full_softmax_max_items)
    with tf.GradientTape() as tape:
        loss = model.compute_loss((batch, np.zeros_like(labels)))
    gradients = tape.gradient(loss, base.trainable_variables)
    assert float(loss) == 0.0
    assert all(g is None or np.isfinite(tf.convert_to_tensor(g).numpy()).all() for g in gradients)


def test_training_ranks_each_users_positive_first_in_the_catalogue():
    """Users 0-9 each like one item (user u -> item 2u + 1): after training, each ranks it first of all 21."""
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    item_features = rng.integers(1, SIZES.item_tokens, (SIZES.items, F.MAX_ITEM_TOKENS))
    users = np.repeat(np.arange(10), 20)
    batch = {
        F.USER_INDEX: users, F.ITEM_INDEX: 2 * users + 1,
        F.USER_FEATURE_INDICES: np.zeros((len(users), F.MAX_USER_TOKENS), np.int64),
        F.ITEM_FEATURE_INDICES: item_features[2 * users + 1],
        F.HISTORY_INDICES: np.zeros((len(users), F.HISTORY_LENGTH), np.int64),
    }
    base = build_two_tower(SIZES)
    model = BaseRetrieval(base, item_features, np.bincount(2 * users + 1, minlength=SIZES.items), temperature=T)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.02))
    model.fit(batch, np.ones(len(users), np.float32), epochs=30, batch_size=50, verbose=0)
    user_vectors, catalogue, _ = _vectors(base, item_features, {k: v[::20] for k, v in batch.items()}, np.ones(10))
    np.testing.assert_array_equal((user_vectors @ catalogue.T).argmax(axis=1), 2 * np.arange(10) + 1)


def test_the_logged_loss_is_the_epochs_mean_per_positive_even_when_the_last_batch_has_none():
    """Like the eval split (every positive first, then the negatives), the last batches hold no positive: TFRS's
    last-batch `loss` (0 then) is not logged (trainer/epoch_logs.py); `softmax_loss` is the mean over every positive
    of the epoch."""
    base, item_features, batch, labels = _setup(seed=2, n=12)
    model = BaseRetrieval(base, item_features, np.ones(SIZES.items), temperature=T)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.0))  # learning rate 0: the towers stay as they are
    users, catalogue, items = _vectors(base, item_features, batch, labels)
    per_positive = -_log_softmax(users @ catalogue.T / T)[np.arange(len(items)), items]
    order = np.argsort(-labels, kind="stable")  # positives first
    logs = model.evaluate({k: v[order] for k, v in batch.items()}, labels[order], batch_size=5, return_dict=True, verbose=0)
    assert not {"loss", "regularization_loss", "total_loss"} & set(logs)  # the last batch of 5 holds negatives only
    np.testing.assert_allclose(logs["softmax_loss"], per_positive.mean(), rtol=1e-4)
