"""PROMO-LS (trainer/promo_ls.py) and its liker space (trainer/liker_space.py) on tiny hand-checked data."""
import numpy as np
import pytest
import tensorflow as tf

from trainer.base_model import VocabularySizes, build_two_tower
from trainer.item_tables import ItemTables
from trainer.liker_space import liker_space
from trainer.promo_ls import LikerSpacePromo, fold_in, pinnacle_centroid, ranking_loss
from trainer.promo_model import PromoConfig
from transforms import features as F

SIZES = VocabularySizes(users=7, items=6, user_tokens=5, item_tokens=5)  # 6 users / 5 items in vocabulary + OOV
# Training positives (user, item): users 0-2 like items 0-1, users 3-5 like items 2-3; user 5 also likes 4.
LIKES = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 2), (3, 3), (4, 2), (4, 3), (5, 2), (5, 3), (5, 4)]


def _space(rank=4):
    users, items = np.array(LIKES).T
    return liker_space(users, items, SIZES.users, SIZES.items, rank, seed=0)


def test_folded_in_history_meets_likers_as_their_cosine_similarity():
    space = _space()
    likes = np.zeros((SIZES.users, SIZES.items))
    for u, i in LIKES:
        likes[u, i] = 1
    unit = likes / np.maximum(np.linalg.norm(likes, axis=1, keepdims=True), 1)
    # user 5's history {2, 3, 4}: z(H) is his own row of the rank-4 space, whose dot products are cosines
    history = tf.constant([[3, 4, 5, 0]])  # item index + 1
    z = fold_in(tf.gather(space.item_vectors, history), history).numpy()[0]
    np.testing.assert_allclose(space.user_vectors @ z, unit @ unit[5], atol=1e-5)
    np.testing.assert_allclose(space.liker_sums, likes.T @ space.user_vectors, atol=1e-5)
    assert space.liker_counts.tolist() == [3, 3, 3, 3, 1, 0]
    assert (space.item_vectors[0] == 0).all() and np.all(np.diff(space.liked_pairs) > 0)


def test_the_scored_user_is_left_out_of_the_items_likers():
    sums = tf.constant([[3.0, 6.0], [3.0, 6.0]])
    own = tf.constant([[1.0, 2.0], [1.0, 2.0]])
    centroid, count = pinnacle_centroid(sums, tf.constant([3.0, 3.0]), own, tf.constant([1, 0]))
    np.testing.assert_allclose(centroid.numpy(), [[1.0, 2.0], [1.0, 2.0]])
    assert count.numpy().tolist() == [2.0, 3.0]
    centroid, count = pinnacle_centroid(tf.constant([[1.0, 2.0]]), tf.constant([1.0]), own[:1], tf.constant([1]))
    assert centroid.numpy().tolist() == [[0.0, 0.0]] and count.numpy().tolist() == [0.0]  # no liker left


def test_ranking_loss_is_the_weighted_mean_softplus_of_the_margin():
    value = ranking_loss(tf.constant([2.0, 0.0, 5.0]), tf.constant([0.0, 1.0, 0.0]), tf.constant([1.0, 3.0, 0.0]))
    expected = (np.log1p(np.exp(-2.0)) + 3 * np.log1p(np.exp(1.0))) / 4
    assert value.numpy() == pytest.approx(expected, rel=1e-6)


def _model(config=PromoConfig(variant="promo_ls", gate_all=2.0, gate_cold=1.0, offset_cold=0.5, liker_rank=4)):
    tf.keras.utils.set_random_seed(0)
    base = build_two_tower(SIZES)
    tables = ItemTables(
        np.zeros((SIZES.items, F.PINNACLE_K + 1), np.int64), np.zeros((SIZES.items, F.PINNACLE_K), np.int64),
        np.random.default_rng(0).integers(0, SIZES.item_tokens, (SIZES.items, F.MAX_ITEM_TOKENS)),
        np.array([0, 0, 0, 0, 1, 1]),
    )
    return base, LikerSpacePromo(base, tables, _space(), config)


def _batch(users, items, histories):
    n = len(users)
    history = np.zeros((n, F.HISTORY_LENGTH), np.int64)
    for row, h in enumerate(histories):
        history[row, :len(h)] = np.array(h) + 1
    return {
        F.USER_INDEX: np.array(users), F.ITEM_INDEX: np.array(items), F.HISTORY_INDICES: history,
        F.USER_FEATURE_INDICES: np.ones((n, F.MAX_USER_TOKENS), np.int64),
        F.ITEM_FEATURE_INDICES: np.ones((n, F.MAX_ITEM_TOKENS), np.int64),
    }


def test_at_step_zero_the_score_is_the_base_plus_the_gated_neighbour_term():
    base, model = _model()
    space = _space()
    # user 5 (history 2, 3) scored on item 2 (he is one of its likers: left out in training) and cold item 4 (he is
    # its only liker: in training no pinnacle term, only the cold offset c0 = 0.5)
    batch = _batch([5, 5, 0], [2, 4, 2], [[2, 3], [2, 3], [0]])
    base_logits = base(batch).numpy()
    z5 = (space.item_vectors[3] + space.item_vectors[4]) / np.sqrt(2)
    z0 = space.item_vectors[1]
    likers_of_2 = space.user_vectors[[3, 4, 5]].mean(axis=0)
    without_5 = space.user_vectors[[3, 4]].mean(axis=0)
    expected = base_logits + np.array([2.0 * z5 @ without_5, 0.5, 2.0 * z0 @ likers_of_2])
    np.testing.assert_allclose(model.training_logits(batch).numpy(), expected, atol=1e-5)
    # Served (no per-interaction table): nobody is left out; user 0, who likes neither item, scores the same.
    # Item 4's gate is a + b n / (n + s) with n = 1 liker, s = PromoConfig's gate_shift.
    gate_4 = 2.0 + 1.0 / (1.0 + PromoConfig().gate_shift)
    served = base_logits + np.array([2.0 * z5 @ likers_of_2, gate_4 * z5 @ space.user_vectors[5] + 0.5, expected[2] - base_logits[2]])
    np.testing.assert_allclose(model(batch).numpy(), served, atol=1e-5)


def test_training_moves_prompts_and_gate_but_never_the_base():
    base, model = _model()
    before = [w.copy() for w in base.get_weights()]
    users, items = np.array(LIKES).T
    histories = [[j for v, j in LIKES if v == u and j != i] for u, i in LIKES]
    batch = _batch(list(users) * 4, list(items) * 4, histories * 4)
    labels = np.ones(len(batch[F.USER_INDEX]), np.float32)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
    model.fit(batch, labels, epochs=3, batch_size=13, verbose=0)
    for old, new in zip(before, base.get_weights()):
        assert np.array_equal(old, new)
    assert np.abs(model.prompt.weights_table.embeddings.numpy()).sum() > 0
    assert model.gate.a.numpy() != 2.0
    assert all(not v.name.startswith("two_tower") for v in model.trainable_variables)


def test_a_refresh_adds_feedback_likes_to_the_likers_and_gives_a_new_item_its_own_row():
    from trainer.refresh import extended_liker_space_model

    _, old = _model()
    batch = _batch([5, 5, 0], [2, 4, 2], [[2, 3], [2, 3], [0]])
    old(batch)
    old.prompt.weights_table.embeddings.assign(tf.random.normal(old.prompt.weights_table.embeddings.shape, seed=1))
    space = _space()
    tables = ItemTables(
        np.zeros((SIZES.items + 1, F.PINNACLE_K + 1), np.int64), np.zeros((SIZES.items + 1, F.PINNACLE_K), np.int64),
        np.concatenate([old.item_features.numpy(), np.ones((1, F.MAX_ITEM_TOKENS), np.int64)]), np.array([0, 0, 0, 0, 1, 1, 1]),
    )
    # feedback: users 0 and 1 like the new item (row 6); user 3 likes item 2 again (already a training like:
    # not counted twice); user 2 likes item 4; an unknown user (-1) likes the new item; user 4 dislikes item 4
    users, rows, labels = np.array([0, 1, 3, 2, -1, 4]), np.array([6, 6, 2, 4, 6, 4]), np.array([1, 1, 1, 1, 1, 0])
    model = extended_liker_space_model(old, tables, ["new"], users, rows, labels, batch)
    counts, sums = model.liker_counts.numpy(), model.liker_sums.numpy()
    assert counts.tolist() == [3, 3, 3, 3, 2, 0, 2]
    np.testing.assert_allclose(sums[6], space.user_vectors[[0, 1]].sum(axis=0), atol=1e-6)
    np.testing.assert_allclose(sums[4], space.user_vectors[[5, 2]].sum(axis=0), atol=1e-6)
    np.testing.assert_allclose(sums[:4], space.liker_sums[:4], atol=1e-6)
    keys = model.training_likes.keys
    assert set(keys) == {u * 7 + i for u, i in LIKES} | {0 * 7 + 6, 1 * 7 + 6, 2 * 7 + 4}
    prompts = model.prompt.weights_table.embeddings.numpy()
    np.testing.assert_array_equal(prompts[:6], old.prompt.weights_table.embeddings.numpy())
    assert not prompts[6].any()  # the new item starts at P = identity
    # known items whose likers did not change score as before; the new row is reached through its raw id
    np.testing.assert_allclose(model(batch).numpy()[[0, 2]], old(batch).numpy()[[0, 2]], rtol=1e-6)
    assert model.table_rows(tf.constant(["new", "other"]), tf.constant([5, 5], tf.int64)).numpy().tolist() == [6, 5]


def test_each_loss_part_is_logged_as_its_epoch_mean_on_training_and_validation():
    """rec_loss: the binary cross-entropy of the logged examples, averaged over every example of the epoch (not the
    last batch's); the last-batch TFRS entries are not logged (trainer/epoch_logs.py). Checked with a frozen model
    (learning rate 0) against numpy on the model's own logits; rank_loss samples items, so only its range is
    checked; a term whose weight is 0 is neither computed nor logged (the default has no BPR term)."""
    _, model = _model(PromoConfig(variant="promo_ls", liker_rank=4, rank_weight=16.0, catalogue_weight=0.0))
    users, items = np.array(LIKES).T
    batch = _batch(list(users), list(items), [[j for v, j in LIKES if v == u and j != i] for u, i in LIKES])
    labels = (np.arange(len(users)) % 3 > 0).astype(np.float32)  # a mix of logged positives and negatives
    model.compile(optimizer=tf.keras.optimizers.SGD(0.0))
    logits = model.training_logits(batch).numpy()  # the loss's: each user left out of the items he liked
    bce = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    history = model.fit(batch, labels, epochs=1, batch_size=5, verbose=0, validation_data=(batch, labels), validation_batch_size=4)
    logs = {name: values[-1] for name, values in history.history.items()}
    assert set(logs) == {"rec_loss", "rank_loss", "val_rec_loss", "val_rank_loss"}
    assert logs["rec_loss"] == pytest.approx(bce.mean(), rel=1e-5)  # batches of 5, 5, 3: weighted by their sizes
    assert logs["val_rec_loss"] == pytest.approx(bce.mean(), rel=1e-5)
    assert 0 < logs["rank_loss"] and 0 < logs["val_rank_loss"]


def test_catalogue_ranking_loss_is_the_weighted_softmax_cross_entropy_without_the_excluded_items():
    from trainer.promo_ls import catalogue_ranking_loss

    positive = tf.constant([2.0, 0.5])
    catalogue = tf.constant([[2.0, 1.0, 9.0], [0.5, 3.0, 0.0]])
    excluded = tf.constant([[True, False, True], [True, False, False]])  # row 0: the positive itself and a like (9.0)
    value = catalogue_ranking_loss(positive, catalogue, excluded, tf.constant([1.0, 3.0]), temperature=0.5)
    first = -np.log(np.exp(4.0) / (np.exp(4.0) + np.exp(2.0)))  # [2 ; 1] / 0.5
    second = -np.log(np.exp(1.0) / (np.exp(1.0) + np.exp(6.0) + np.exp(0.0)))  # [0.5 ; 3, 0] / 0.5
    assert value.numpy() == pytest.approx((first + 3 * second) / 4, rel=1e-6)


def test_the_catalogue_objective_trains_the_prompt_stage_and_leaves_the_base_frozen():
    config = PromoConfig(variant="promo_ls", liker_rank=4, catalogue_weight=1.0, rank_weight=0.0)
    base, model = _model(config)
    before = [w.copy() for w in base.get_weights()]
    users, items = np.array(LIKES).T
    batch = _batch(list(users), list(items), [[j for v, j in LIKES if v == u and j != i] for u, i in LIKES])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
    history = model.fit(batch, np.ones(len(users), np.float32), epochs=5, batch_size=13, verbose=0)
    assert history.history["catalogue_loss"][-1] < history.history["catalogue_loss"][0]
    for old, new in zip(before, base.get_weights()):
        assert np.array_equal(old, new)
