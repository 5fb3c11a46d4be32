"""The whole pipeline on the synthetic dataset, exactly as `python local_runner.py` runs it."""
import glob
import json
import os

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from pipeline import configs
from pipeline.artifacts import latest_artifact, pushed_model_dir
from data.examples import QUERY_ID, QUERY_IS_COLD, catalogue
from data.splits import cold_items
from data.tfrecords import to_examples
from transforms import features as F

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def model_dir(run):
    path = pushed_model_dir(os.path.join(run, "serving_model", "promo"))
    assert path is not None and os.path.exists(os.path.join(path, "saved_model.pb"))
    return path


@pytest.fixture(scope="module")
def loaded(model_dir):
    return tf.saved_model.load(model_dir)


@pytest.fixture(scope="module")
def test_rows(run):
    frame = pd.read_csv(os.path.join(run, "data", "synthetic", "examples", "test", "examples.csv"), dtype=str, keep_default_na=False)
    return frame.head(64)


def _raw_inputs(frame):
    return {name: tf.constant(frame[name].tolist()) for name in F.RAW_STRING_FEATURES}


def _serialized(frame):
    return tf.constant(to_examples(frame.to_dict("records")))


def test_pushed_model_has_the_serving_signatures(loaded):
    assert {"serving_default", "serving_tf_example", "rank_tf_example", "transform_features", "user_embeddings", "item_embeddings",
            "recommend"} <= set(loaded.signatures)


def test_recommend_is_the_top_k_of_serving_default_over_the_catalogue_without_the_history(run, loaded):
    """The pushed PROMO-LS model's top 100 = serving_default's ranking of every vocabulary item outside the history, for
    users sending all their training likes as history, one sending only its last two (its other training likes are
    ranked too: the served score leaves nobody out of an item's likers, as the index) and an unknown user."""
    import tensorflow_transform as tft

    from trainer.retrieval import MAX_EXCLUDED, RECOMMEND_K

    transform = tft.TFTransformOutput(latest_artifact(run, configs.pipeline_name("synthetic"), "Transform", "transform_graph"))
    catalogue_ids = [i.decode() for i in transform.vocabulary_by_name(F.ITEM_VOCAB)]
    train = pd.read_csv(os.path.join(run, "data", "synthetic", "examples", "train", "examples.csv"), dtype=str, keep_default_na=False)
    item_features = train.drop_duplicates("item_id").set_index("item_id")["item_features"]
    likes = train[train["label"] == "1"].sort_values("timestamp", key=lambda t: t.astype(float), kind="stable")
    liked = likes.groupby("user_id")["item_id"].agg(list)
    users = liked[liked.map(len) <= MAX_EXCLUDED].index[:3].tolist()
    user_features = train.drop_duplicates("user_id").set_index("user_id")["user_features"]
    rows = [(u, user_features[u], " ".join(liked[u])) for u in users] + [("never-seen", "", " ".join(catalogue_ids[:5]))]
    rows.append((users[0], user_features[users[0]], " ".join(liked[users[0]][-2:])))
    out = loaded.signatures["recommend"](**{n: tf.constant([row[k] for row in rows]) for k, n in enumerate(F.USER_RAW_FEATURES)})
    ids, scores = out["item_ids"].numpy(), out["scores"].numpy()
    assert ids.shape == scores.shape == (len(rows), RECOMMEND_K)
    for (user_id, features, history), row_ids, row_scores in zip(rows, ids, scores):
        candidates = [i for i in catalogue_ids if i not in set(history.split())]
        n = len(candidates)
        served = loaded.signatures["serving_default"](
            user_id=tf.constant([user_id] * n), item_id=tf.constant(candidates), user_features=tf.constant([features] * n),
            item_features=tf.constant(item_features[candidates].tolist()), history=tf.constant([history] * n),
        )["score"].numpy()
        order = np.argsort(-served, kind="stable")[:RECOMMEND_K]
        np.testing.assert_allclose(row_scores, served[order], atol=1e-5)
        by_id = dict(zip(candidates, served))
        got = [i.decode() for i in row_ids]
        assert not set(got) & set(history.split())
        for rank, item in enumerate(got):  # the same ids in the same order, up to ties
            assert item == candidates[order[rank]] or abs(by_id[item] - served[order[rank]]) < 1e-5
            assert abs(by_id[item] - row_scores[rank]) < 1e-5


def test_embedding_signatures_give_vectors_of_one_width(loaded, test_rows):
    users = loaded.signatures["user_embeddings"](
        user_id=tf.constant(test_rows["user_id"].tolist()), user_features=tf.constant(test_rows["user_features"].tolist()),
        history=tf.constant(test_rows["history"].tolist()),
    )["embedding"].numpy()
    items = loaded.signatures["item_embeddings"](
        item_id=tf.constant(test_rows["item_id"].tolist() + ["never-seen"]),
        item_features=tf.constant(test_rows["item_features"].tolist() + [""]),
    )["embedding"].numpy()
    assert users.shape[0] == len(test_rows) and items.shape[0] == len(test_rows) + 1
    assert users.shape[1] == items.shape[1] and np.all(np.isfinite(users)) and np.all(np.isfinite(items))


def test_raw_and_tf_example_signatures_agree_and_give_probabilities(loaded, test_rows):
    raw = loaded.signatures["serving_default"](**_raw_inputs(test_rows))["score"].numpy()
    from_examples = loaded.signatures["serving_tf_example"](examples=_serialized(test_rows))["score"].numpy()
    assert raw.shape == (len(test_rows),)
    assert np.all((raw > 0) & (raw < 1))
    np.testing.assert_allclose(raw, from_examples, rtol=1e-5)
    assert raw.std() > 0  # not a constant


def test_unknown_users_and_items_get_finite_scores(loaded):
    out = loaded.signatures["serving_default"](
        user_id=tf.constant(["never-seen", "u1"]), item_id=tf.constant(["i1", "never-seen"]),
        user_features=tf.constant(["", "age=1"]), item_features=tf.constant(["genre=1", ""]), history=tf.constant(["zzz", ""]),
    )["score"].numpy()
    assert np.all(np.isfinite(out))


def test_transform_cold_flag_matches_the_training_counts(run, loaded, test_rows):
    interactions = pd.read_csv(os.path.join(run, "data", "synthetic", "canonical", "interactions.csv"), dtype={"user_id": str, "item_id": str})
    items = pd.read_csv(os.path.join(run, "data", "synthetic", "canonical", "items.csv"), dtype=str)
    summary = json.load(open(os.path.join(run, "data", "synthetic", "summary.json")))
    cold = set(cold_items(interactions, catalogue(items, interactions), summary["cold_threshold"]))
    flags = loaded.signatures["transform_features"](examples=_serialized(test_rows))[F.IS_COLD].numpy()
    expected = test_rows["item_id"].isin(cold).astype(int).to_numpy()
    np.testing.assert_array_equal(flags, expected)
    assert 0 < expected.sum() < len(expected)


def test_evaluator_ranks_eval_queries_overall_and_by_query_cold_flag(run):
    """The first (no-baseline) evaluation: NDCG@10 above the floor blessed the pushed model; a rerun evaluates again
    (test_second_run_reuses_cached_artifacts)."""
    import tensorflow_model_analysis as tfma

    evaluations = glob.glob(os.path.join(run, "tfx", "promo-synthetic", "Evaluator", "evaluation", "*"))
    evaluation = min(evaluations, key=lambda path: int(os.path.basename(path)))
    metrics = {tuple(s): m[""] for s, m in tfma.load_eval_result(evaluation).slicing_metrics}
    assert set(metrics) == {(), ((QUERY_IS_COLD, 0),), ((QUERY_IS_COLD, 1),)}
    ndcg = {s: m[f"topK:{configs.RANKING_CUTOFF}"]["ndcg"]["doubleValue"] for s, m in metrics.items()}
    assert ndcg[()] >= configs.MIN_NDCG and ndcg[((QUERY_IS_COLD, 1),)] > 0.045  # above random (1/log2 ranks / 101)
    queries = pd.read_csv(os.path.join(run, "data", "synthetic", "examples", "eval_ranking", "examples.csv"))
    assert metrics[()][""]["example_count"]["doubleValue"] == queries[QUERY_ID].nunique()  # one listwise example each
    assert 1 <= metrics[()][""]["min_label_position"]["doubleValue"] < 101 and metrics[()][""]["auc"]["doubleValue"] > 0.5
    assert tfma.load_validation_result(evaluation).validation_ok


@pytest.mark.parametrize("trainer", ["BaseTrainer", "PromoTrainer"])
def test_each_trainer_writes_tensorboard_logs_to_its_model_run(run, trainer):
    """Training and validation summaries per epoch, where `tensorboard --logdir` and TFX look (trainer/task.py): the
    loss parts on both, and on validation the whole-catalogue recall the gate uses, one value per epoch."""
    import tensorflow as tf

    model_run = latest_artifact(run, "promo-synthetic", trainer, "model_run")
    values = {}  # folder -> tag -> values in order
    for folder, _, files in os.walk(model_run):
        for name in sorted(f for f in files if f.startswith("events.out.tfevents")):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
                for value in event.summary.value:
                    values.setdefault(os.path.basename(folder), {}).setdefault(value.tag, []).append(value)
    losses = {"BaseTrainer": {"epoch_softmax_loss"}, "PromoTrainer": {"epoch_rec_loss", "epoch_rank_loss"}}[trainer]
    assert losses <= set(values["train"]) and losses <= set(values["validation"]), values.keys()
    epochs = len(values["train"][min(losses)])
    for tag in ("epoch_catalogue_recall@10", "epoch_cold_catalogue_recall@10"):
        assert len(values["validation"][tag]) == epochs > 0, tag


def test_second_run_reuses_cached_artifacts(run, run_timings):
    """tests/conftest.py ran the same command twice. The second run took everything up to the PromoTrainer from the
    cache; its Evaluator ran once more (its baseline, the latest blessed model, is now the cached model itself),
    blessed the model, and the Pusher pushed no second copy (docs/evaluator.md)."""
    first, second = run_timings
    assert not first["cached"]
    assert {"ImportExampleGen", "StatisticsGen", "Transform", "BaseTrainer", "PromoTrainer"} <= set(second["cached"])
    assert os.path.exists(os.path.join(latest_artifact(run, "promo-synthetic", "Evaluator", "blessing"), "BLESSED"))
    # the Resolver found the first run's model through CatalogueEvaluator's blessing: the second compared it with itself
    with open(os.path.join(latest_artifact(run, "promo-synthetic", "CatalogueEvaluator", "evaluation"), "metrics.json")) as handle:
        catalogue = json.load(handle)
    assert catalogue["blessed"] and catalogue["recall"]["baseline"] == catalogue["recall"]["candidate"]
    assert len(os.listdir(os.path.join(run, "serving_model", "promo"))) == 1


def test_the_prepared_data_and_the_pushed_model_are_readable_as_the_umask_allows(run, model_dir):
    """A TF Serving or pipeline process of another user reads what the run wrote (docs/robustness.md)."""
    umask = os.umask(0)
    os.umask(umask)
    readable = 0o555 & ~umask
    for folder in (os.path.join(run, "data", "synthetic"), os.path.join(run, "data", "synthetic", "examples", "train"),
                   model_dir, os.path.join(model_dir, "variables")):
        assert os.stat(folder).st_mode & readable == readable, folder
    assert os.stat(os.path.join(model_dir, "saved_model.pb")).st_mode & 0o444 & ~umask == 0o444 & ~umask


def test_rest_contract_in_process_with_row_and_columnar_bodies(model_dir, test_rows):
    from serving.smoke import UNKNOWN_ROW, smoke

    assert smoke(model_dir, test_rows.head(8).to_dict("records") + [UNKNOWN_ROW])


def test_tensorflow_model_server_answers_the_same_bodies_over_http(model_dir, test_rows, tmp_path):
    import shutil
    import socket
    import subprocess
    import time
    import urllib.request

    from serving.client import parse_reply, predict_url, row_request

    binary = shutil.which("tensorflow_model_server")
    if binary is None:
        pytest.skip("tensorflow_model_server is not installed (it is on none of the package registries these machines reach)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = os.path.dirname(model_dir)
    server = subprocess.Popen([binary, f"--rest_api_port={port}", "--port=0", "--model_name=promo", f"--model_base_path={base}"])
    try:
        body = json.dumps(row_request(test_rows.head(4).to_dict("records"))).encode()
        for _ in range(60):
            try:
                with urllib.request.urlopen(urllib.request.Request(predict_url("127.0.0.1", port, "promo"), body), timeout=5) as reply:
                    scores = parse_reply(json.load(reply))
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("tensorflow_model_server did not answer within 60 s")
        assert len(scores) == 4 and all(0 < s < 1 for s in scores)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_held_out_rows_never_feed_the_pinnacle_lists(run, loaded):
    """Were eval/test rows analyzed, a held-out positive's user would sit in its item's Transform list."""
    frame = pd.read_csv(os.path.join(run, "data", "synthetic", "examples", "test", "examples.csv"), dtype=str, keep_default_na=False)
    positives = frame[frame["label"] == "1"]
    interactions = pd.read_csv(os.path.join(run, "data", "synthetic", "canonical", "interactions.csv"), dtype={"user_id": str, "item_id": str})
    train_pairs = set(zip(*[interactions.loc[(interactions["split"] == "train") & (interactions["label"] == 1), c] for c in ("user_id", "item_id")]))
    out = loaded.signatures["transform_features"](examples=_serialized(positives))
    users = out[F.USER_INDEX].numpy() + 1
    candidates = out[F.PINNACLE_CANDIDATES].numpy()
    listed = [u in row for u, row in zip(users, candidates)]
    also_train = [(u, i) in train_pairs for u, i in zip(positives["user_id"], positives["item_id"])]
    assert len(positives) > 100
    assert all(not seen or again for seen, again in zip(listed, also_train))
