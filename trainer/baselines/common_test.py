"""The baselines' registration and config surface, and the stand-in pipeline run their end-to-end tests train on.

``StandInWorkbench`` is benchmarks/quality.py's Workbench (its ``base_dir`` and ``train``: the pipeline's training
functions, export and SavedModelRanker, unchanged) over tiny transformed examples written here: the users, items,
likes and stand-in Transform graph of trainer/retrieval_test.py, one positive example per like and two sampled
negatives, with items liked at most once cold (the never-liked items 30-39 among them).
"""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from benchmarks.quality import Workbench
from trainer.base_model import MODEL_INPUTS, TowerConfig, build_two_tower
from trainer.item_tables import ItemTables
from trainer.optimizers import LazyAdam
from trainer.promo_model import PromoConfig
from trainer.retrieval_test import ITEM_FEATURES, ITEMS, LIKED, LIKES, N_ITEMS, SIZES, USERS, _feature_table
from trainer.retrieval_test import _TransformOutput as _RetrievalTransformOutput
from trainer.variants import BASELINES, VARIANTS
from transforms import features as F

LIKE_COUNTS = np.bincount([i for _, i in LIKES], minlength=N_ITEMS)
IS_COLD = (LIKE_COUNTS <= 1).astype(np.int64)
WARM_ITEM, COLD_ITEM, UNKNOWN_ITEM = ITEMS[int(np.argmax(LIKE_COUNTS))], ITEMS[35], "never-seen-item"
# How the end-to-end tests train (two epochs of batches of 32 over ~200 examples).
QUICK = {"epochs": 2, "batch_size": 32}


class StandInTransformOutput(_RetrievalTransformOutput):
    """What the training functions read of tft.TFTransformOutput: feature spec and vocabulary sizes, besides the
    raw spec, Transform layer and item vocabulary of trainer/retrieval_test.py."""

    def transformed_feature_spec(self):
        int_feature = lambda *shape: tf.io.FixedLenFeature(shape, tf.int64)  # noqa: E731
        return {
            F.USER_INDEX: int_feature(), F.ITEM_INDEX: int_feature(), F.IS_COLD: int_feature(),
            F.USER_FEATURE_INDICES: int_feature(F.MAX_USER_TOKENS), F.ITEM_FEATURE_INDICES: int_feature(F.MAX_ITEM_TOKENS),
            F.HISTORY_INDICES: int_feature(F.HISTORY_LENGTH), F.PINNACLE_CANDIDATES: int_feature(F.PINNACLE_K + 1),
            F.NEGATIVE_USERS: int_feature(F.PINNACLE_K), F.LABEL_FLOAT: tf.io.FixedLenFeature([], tf.float32),
        }

    def vocabulary_size_by_name(self, name):
        padding_and_oov = {F.USER_TOKEN_VOCAB: 2, F.ITEM_TOKEN_VOCAB: 2}.get(name, F.OOV_BUCKETS)
        total = {F.USER_VOCAB: SIZES.users, F.ITEM_VOCAB: SIZES.items, F.USER_TOKEN_VOCAB: SIZES.user_tokens,
                 F.ITEM_TOKEN_VOCAB: SIZES.item_tokens}[name]
        return total - padding_and_oov


def user_features(u: int) -> str:
    return f"age={u % 3}"


def raw_examples(seed: int = 0) -> pd.DataFrame:
    """Each like (u, i) as a positive with u's earlier likes as history, and two items u never liked as negatives."""
    rng = np.random.default_rng(seed)
    rows = []
    for u, i in LIKES:
        history = " ".join(ITEMS[j] for j in LIKED[u][:LIKED[u].index(i)])
        negatives = rng.choice([j for j in range(N_ITEMS) if j not in LIKED[u]], 2, replace=False)
        rows += [(USERS[u], ITEMS[j], history, label) for j, label in [(i, 1), *((j, 0) for j in negatives)]]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "history", "label"])
    frame["user_features"] = [user_features(USERS.index(u)) for u in frame["user_id"]]
    frame["item_features"] = [ITEM_FEATURES[ITEMS.index(i)] for i in frame["item_id"]]
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def write_transformed(frame: pd.DataFrame, path: str) -> None:
    """``frame``'s rows as the Transform component writes them: gzipped tf.Examples of the transformed features."""
    raw = {name: tf.constant(frame[name].tolist()) for name in F.RAW_STRING_FEATURES}
    transformed = {k: v.numpy() for k, v in StandInTransformOutput().transform_features_layer()(raw).items()}
    transformed[F.IS_COLD] = IS_COLD[transformed[F.ITEM_INDEX]]
    transformed[F.PINNACLE_CANDIDATES] = np.zeros((len(frame), F.PINNACLE_K + 1), np.int64)
    transformed[F.NEGATIVE_USERS] = np.zeros((len(frame), F.PINNACLE_K), np.int64)
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for row in range(len(frame)):
            feature = {k: tf.train.Feature(int64_list=tf.train.Int64List(value=np.ravel(v[row]))) for k, v in transformed.items()}
            feature[F.LABEL_FLOAT] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(frame["label"][row])]))
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())


class StandInWorkbench(Workbench):
    """benchmarks/quality.py's Workbench over the stand-in run in ``root`` (no pipeline run)."""

    def __init__(self, root: str):
        from trainer.memory_input import read_training_rows

        self.dataset, self.root, self.split, self.transform_graph = "stand-in", root, "test", "stand-in-transform"
        self.tf_transform_output = StandInTransformOutput()
        frame = raw_examples()
        self.train_files, self.eval_files = [f"{root}/train.gz"], [f"{root}/eval.gz"]
        write_transformed(frame, self.train_files[0])
        write_transformed(frame[::3].reset_index(drop=True), self.eval_files[0])
        self.base_rows = read_training_rows(self.tf_transform_output, self.train_files, False)
        self.item_features = self.base_rows.item_features
        self.users = pd.DataFrame({"user_id": USERS, "user_features": [user_features(u) for u in range(len(USERS))]})
        self.items = pd.DataFrame({"item_id": ITEMS, "item_features": ITEM_FEATURES})
        self.histories = {USERS[u]: " ".join(ITEMS[i] for i in LIKED[u]) for u in range(len(USERS))}


def tables() -> ItemTables:
    """The per-item tables collect_item_tables keeps for the stand-in run: feature bags and cold flags (the OOV row
    cold); no pinnacle lists (the baselines read none)."""
    return ItemTables(
        np.zeros((SIZES.items, F.PINNACLE_K + 1), np.int64), np.zeros((SIZES.items, F.PINNACLE_K), np.int64),
        _feature_table(), np.r_[IS_COLD, 1],
    )


def tiny_base():
    tf.keras.utils.set_random_seed(0)
    return build_two_tower(SIZES, TowerConfig(8, 8, 8))


def transformed(user_ids, item_ids, unknown_features: str = "genre=g1 tier=t2"):
    """The transformed MODEL_INPUTS of raw (user, item) rows: each user's likes as history, each item's features
    (``unknown_features`` for an item outside the catalogue)."""
    features = dict(zip(ITEMS, ITEM_FEATURES))
    raw = {
        F.USER_ID: tf.constant(user_ids), F.ITEM_ID: tf.constant(item_ids),
        F.USER_FEATURES: tf.constant([user_features(USERS.index(u)) for u in user_ids]),
        F.ITEM_FEATURES: tf.constant([features.get(i, unknown_features) for i in item_ids]),
        F.HISTORY: tf.constant([" ".join(ITEMS[i] for i in LIKED[USERS.index(u)]) for u in user_ids]),
    }
    return {name: value for name, value in StandInTransformOutput().transform_features_layer()(raw).items() if name in MODEL_INPUTS}


def training_batches(seed: int = 0):
    """The stand-in run's examples as (transformed features with IS_COLD, label) batches of 32, as fit gets them."""
    frame = raw_examples(seed)
    features = transformed(frame["user_id"].tolist(), frame["item_id"].tolist())
    features[F.IS_COLD] = tf.constant(IS_COLD[features[F.ITEM_INDEX].numpy()])
    return tf.data.Dataset.from_tensor_slices((features, frame["label"].to_numpy(np.float32))).batch(32)


def base_weights_unchanged_by_training(model, base) -> None:
    """Trains ``model`` one epoch on the stand-in examples (its ``train_step``, what fit runs, run eagerly: a
    traced fit costs a minute here) and asserts every weight of ``base`` is bit-identical."""
    before = [w.copy() for w in base.get_weights()]
    model.compile(optimizer=LazyAdam(0.01))
    for batch in training_batches():
        model.train_step(batch)
    for old, new in zip(before, base.get_weights()):
        assert np.array_equal(old, new)
    assert all(not v.name.startswith("two_tower") for v in model.trainable_variables)


def trains_and_serves(workbench, variant: str, model_dir: str, **overrides):
    """Trains ``variant`` as benchmarks.quality does and checks that the exported model's serving_default scores a
    warm, a cold and an unknown item (whose features the request carries) with finite probabilities; returns them."""
    bench, base_dir = workbench
    ranker = bench.train({"variant": variant, "seed": 0, **QUICK, **overrides}, base_dir, model_dir)
    ranker.item_features[UNKNOWN_ITEM] = "genre=g1 tier=t2"
    scores = ranker.score_many([USERS[0]] * 3, [WARM_ITEM, COLD_ITEM, UNKNOWN_ITEM])
    assert scores.shape == (3,) and np.isfinite(scores).all() and ((scores > 0) & (scores < 1)).all()
    saved = saved_model_pb2.SavedModel()
    with open(f"{model_dir}/saved_model.pb", "rb") as handle:
        saved.ParseFromString(handle.read())
    assert {"serving_default", "serving_tf_example", "user_embeddings", "item_embeddings", "recommend"} <= set(saved.meta_graphs[0].signature_def)
    return scores


def test_the_stand_in_run_has_warm_cold_and_never_liked_items():
    assert IS_COLD[ITEMS.index(WARM_ITEM)] == 0 and IS_COLD[ITEMS.index(COLD_ITEM)] == 1 and LIKE_COUNTS[35] == 0
    assert 10 < IS_COLD.sum() < N_ITEMS - 5


def test_the_baselines_are_variants_and_take_their_settings_from_the_prompt_stage_config():
    assert set(BASELINES) <= set(VARIANTS) and len(BASELINES) == 3
    custom_config = {"variant": "dropoutnet", "dropout_rate": 0.7, "aldi_rank_weight": 2.0, "code_version": "x"}
    config = PromoConfig.from_custom_config(custom_config)
    assert (config.dropout_rate, config.aldi_rank_weight, config.content_hidden, config.aldi_hidden) == (0.7, 2.0, 64, 128)
    # what benchmarks.quality --promo '{...}' passes, and what the prompt-stage Trainer saves and refresh reads
    assert json.loads(json.dumps(dataclasses.asdict(config)))["dropout_rate"] == 0.7


def test_refresh_refuses_a_baseline_it_has_nothing_to_refresh_in(tmp_path):
    from trainer.promo_task import CONFIG_FILE, config_json
    from trainer.refresh import load_promo_config

    (tmp_path / "assets.extra").mkdir()
    (tmp_path / "assets.extra" / CONFIG_FILE).write_text(config_json(PromoConfig(variant="aldi")))
    with pytest.raises(ValueError, match="'aldi' has no per-item prompt tables"):
        load_promo_config(str(tmp_path))
