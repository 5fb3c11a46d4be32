import numpy as np
import pytest
import tensorflow as tf
import tensorflow_recommenders as tfrs

from trainer.base_model import VocabularySizes, build_two_tower
from trainer.item_tables import ItemTables
from trainer.promo_model import PromoConfig, PromoModel
from trainer.promo_losses import pfpe_rows
from trainer.variants import PAPER_VARIANTS
from transforms import features as F

SIZES = VocabularySizes(users=30, items=12, user_tokens=7, item_tokens=9)  # items: 11 in vocabulary + OOV
K = F.PINNACLE_K


def _tables(rng):
    pinnacle = np.zeros((SIZES.items, K + 1), np.int64)
    for item in range(6):  # items 0-5 are warm with full lists of users 1..29 (+1)
        pinnacle[item] = rng.choice(np.arange(1, 30), K + 1, replace=False) + 1
    pinnacle[6, :3] = [2, 3, 4]  # item 6: cold, three pinnacle users
    negatives = np.zeros((SIZES.items, K), np.int64)
    negatives[:11] = rng.integers(1, 31, (11, K))
    is_cold = np.array([0] * 6 + [1] * 6)
    features = rng.integers(0, SIZES.item_tokens, (SIZES.items, F.MAX_ITEM_TOKENS))
    return ItemTables(pinnacle, negatives, features, is_cold)


def _batch(n, rng):
    return {
        F.USER_INDEX: rng.integers(0, SIZES.users - 1, n),
        F.ITEM_INDEX: rng.integers(0, SIZES.items - 1, n),
        F.USER_FEATURE_INDICES: rng.integers(0, SIZES.user_tokens, (n, F.MAX_USER_TOKENS)),
        F.ITEM_FEATURE_INDICES: rng.integers(0, SIZES.item_tokens, (n, F.MAX_ITEM_TOKENS)),
        F.HISTORY_INDICES: rng.integers(0, SIZES.items + 1, (n, F.HISTORY_LENGTH)),
        F.IS_COLD: rng.integers(0, 2, n),
    }


@pytest.fixture
def parts():
    rng = np.random.default_rng(0)
    tf.keras.utils.set_random_seed(0)
    return build_two_tower(SIZES), _tables(rng), rng


def test_base_weights_stay_bit_identical_while_prompt_weights_train(parts):
    base, tables, rng = parts
    before = [w.copy() for w in base.get_weights()]
    model = PromoModel(base, tables, PromoConfig(epochs=1))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01))
    batch = _batch(256, rng)
    labels = rng.integers(0, 2, 256).astype("float32")
    model(batch)
    prompt_before = model.prompt_network.weights[0].numpy().copy()
    history = model.fit(batch, labels, epochs=3, batch_size=64, verbose=0)
    for old, new in zip(before, base.get_weights()):
        assert np.array_equal(old, new)
    assert not np.array_equal(prompt_before, model.prompt_network.weights[0].numpy())
    assert {"rec", "pfpe", "pape", "auc"} <= set(history.history) and "loss" not in history.history
    assert all(not v.name.startswith("two_tower") for v in model.trainable_variables)


def test_pinnacle_list_never_holds_the_scored_user_and_is_filled_from_the_donor(parts):
    base, tables, _ = parts
    model = PromoModel(base, tables, PromoConfig())
    warm_user = int(tables.pinnacle[0, 0])  # first pinnacle user of warm item 0, as index + 1
    users, mask = model.pinnacle_lists(tf.constant([0, 6, 7]), tf.constant([1, 1, 1], tf.int64), tf.constant([warm_user, 3, 5], tf.int64))
    users, mask = users.numpy(), mask.numpy()
    assert warm_user not in users[0] and mask[0].sum() == K  # next-ranked user fills in
    assert users[1][:2].tolist() == [2, 4]  # item 6's own list without user 3 ...
    assert mask[1].sum() == K and users[1][2] == tables.pinnacle[1, 0]  # ... then the donor's (item 1)
    assert mask[2].sum() == K and users[2][0] == tables.pinnacle[1, 0]  # item 7 has none: all from the donor


@pytest.mark.parametrize("variant", sorted(PAPER_VARIANTS))
def test_every_variant_gives_one_finite_logit_per_example_even_for_unknown_items(parts, variant):
    base, tables, rng = parts
    model = PromoModel(base, tables, PromoConfig(variant=variant))
    batch = _batch(8, rng)
    batch[F.ITEM_INDEX][0] = SIZES.items - 1  # the OOV row
    logits = model(batch).numpy()
    assert logits.shape == (8,) and np.all(np.isfinite(logits))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01))
    model.fit(batch, np.ones(8, "float32"), epochs=1, verbose=0)


def test_training_starts_from_the_base_scores(parts):
    base, tables, rng = parts
    batch = _batch(16, rng)
    model = PromoModel(base, tables, PromoConfig())
    np.testing.assert_allclose(model(batch).numpy(), base({k: v for k, v in batch.items() if k != F.IS_COLD}).numpy(), rtol=1e-5, atol=1e-6)


def test_unknown_variant_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown variant 'promo_x'"):
        PromoConfig(variant="promo_x")


@pytest.mark.parametrize("fusion", ["tower", "tower_id"])
def test_user_and_item_embeddings_give_the_logit_for_users_on_no_pinnacle_list(parts, fusion):
    base, tables, rng = parts
    model = PromoModel(base, tables, PromoConfig(score_fusion=fusion))
    batch = _batch(16, rng)
    batch[F.USER_INDEX][:] = 0  # user index 0 (+1 = 1) is on no pinnacle list of _tables
    item_only = {k: batch[k] for k in (F.ITEM_INDEX, F.ITEM_FEATURE_INDICES)}
    dots = np.sum(model.user_embedding(batch).numpy() * model.item_embedding(item_only).numpy(), axis=1)
    np.testing.assert_allclose(dots, model(batch).numpy(), rtol=1e-5, atol=1e-5)


def test_prompt_tables_too_large_for_the_limit_are_refused_with_what_to_do(parts):
    base, tables, _ = parts
    per_item = 3 * 4 * ((32 * 32 + 32) + (32 * 32 + 32))  # two 32x32 layers' W and b, weights + two Adam moments
    limit = per_item * (SIZES.items - 1) / 2**30  # room for one item fewer than the tables hold
    with pytest.raises(ValueError, match=r"12 items need .* GiB .*24\.8 KiB per item.*promo_m"):
        PromoModel(base, tables, PromoConfig(max_prompt_table_gib=limit))
    PromoModel(base, tables, PromoConfig(variant="promo_m", max_prompt_table_gib=limit))  # one shared row fits
    PromoModel(base, tables, PromoConfig(max_prompt_table_gib=per_item * SIZES.items / 2**30))


def test_added_item_rows_follow_the_base_vocabulary(parts):
    """Rows a refresh adds (trainer/refresh.py) are found by raw id; everything else keeps its Transform index."""
    base, tables, rng = parts
    extended = ItemTables(
        np.concatenate([tables.pinnacle, tables.pinnacle[:2]]), np.concatenate([tables.negatives, tables.negatives[:2]]),
        np.concatenate([tables.features, tables.features[:2]]), np.concatenate([tables.is_cold, [1, 1]]),
    )
    model = PromoModel(base, extended, PromoConfig(), new_item_ids=["new-a", "new-b"])
    rows = model.table_rows(tf.constant(["x", "new-b", "new-a"]), tf.constant([3, SIZES.items - 1, SIZES.items - 1], tf.int64))
    assert rows.numpy().tolist() == [3, SIZES.items + 1, SIZES.items]
    with pytest.raises(ValueError, match="tables have 14 rows; the base has 12 and 1 items were added"):
        PromoModel(base, extended, PromoConfig(), new_item_ids=["new-a"])
    batch = _batch(4, rng) | {F.ITEM_ROW: np.array([0, SIZES.items, SIZES.items + 1, 2])}
    assert np.all(np.isfinite(model(batch).numpy()))


def test_pfpe_uses_each_distinct_item_once_up_to_the_cap():
    rows = tf.constant([4, 2, 4, 7, 2, 9], tf.int64)
    assert pfpe_rows(rows, 0).numpy().tolist() == [0, 1, 3, 5]
    assert pfpe_rows(rows, 2).numpy().tolist() == [0, 1]


def test_variant_properties_are_the_papers():
    """§5.5-5.6: what each variant feeds its prompt network and whether its network is shared."""
    expected = {  # has_prompt_network, pinnacle_prompts, pinnacle_in_fusion, item_sources, prompt rows of 12 items
        "promo": (True, True, True, (), 12), "promo_m": (True, True, True, (), 1), "promo_t": (False, False, True, (), 12),
        "promo_i": (True, False, False, ("item_id",), 12), "promo_f": (True, False, False, ("item_features",), 12),
        "promo_if": (True, False, False, ("item_id", "item_features"), 12),
    }
    for name, v in PAPER_VARIANTS.items():
        assert (v.has_prompt_network, v.pinnacle_prompts, v.pinnacle_in_fusion, v.item_sources, v.prompt_rows(12)) == expected[name], name


@pytest.mark.parametrize("variant", sorted(PAPER_VARIANTS))
def test_each_variants_properties_drive_the_model(parts, variant):
    """promo_m has one prompt row, promo_t no prompt network, the item variants one h_0 row per source; the fusion
    MLP sees the item vector, the mean pinnacle embedding when pinnacle_in_fusion, the mean h_0 of the item sources
    and the mean prompt output; L_pfpe is computed only for pinnacle prompts."""
    base, tables, rng = parts
    v = PAPER_VARIANTS[variant]
    model = PromoModel(base, tables, PromoConfig(variant=variant, prompt_dims=(8,)))
    assert model.variant is v and isinstance(model, tfrs.models.Model)
    assert hasattr(model, "prompt_network") == v.has_prompt_network
    if v.has_prompt_network:
        assert model.prompt_network.n_rows == v.prompt_rows(SIZES.items)
    batch = {name: tf.constant(value) for name, value in _batch(32, rng).items()}
    model(batch)
    d = 32  # TowerConfig's embedding and output widths
    width = d + d * v.pinnacle_in_fusion + d * bool(v.item_sources) + 8 * v.has_prompt_network
    assert model.fusion.layers[0].kernel.shape[0] == width
    if v.item_sources:
        assert model.item_prompt_information(batch).shape[1] == len(v.item_sources)
    loss = model.compute_loss((batch, tf.ones([32])))
    pfpe = model.loss_trackers["pfpe"].result().numpy()
    assert (pfpe > 0) == v.pinnacle_prompts and np.isfinite(loss.numpy())


def test_promo_has_no_hand_written_train_or_test_step():
    """tfrs.models.Model's steps train on compute_loss (Eq. 13)."""
    assert "train_step" not in vars(PromoModel) and "test_step" not in vars(PromoModel)
