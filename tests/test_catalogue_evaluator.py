"""CatalogueEvaluator on the shared synthetic run (tests/conftest.py): it refuses a model whose served whole-catalogue
top 10 is clearly worse than the blessed one's, even when TFX's Evaluator blessed it; it passes the same model
compared with itself; its numbers are those of the model's own recommend lists."""
import glob
import json
import os

import numpy as np
import pytest
from tfx.types import standard_artifacts
from tfx.utils import path_utils

from pipeline import configs
from pipeline.artifacts import latest_artifact
from pipeline.catalogue_evaluator import METRICS_FILE, EvalTargets, judge

pytestmark = pytest.mark.e2e

NAME = configs.pipeline_name("synthetic")


def _artifact(kind, uri, **properties):
    artifact = kind()
    artifact.uri = uri
    for key, value in properties.items():
        artifact.set_int_custom_property(key, value)
    return artifact


@pytest.fixture(scope="module")
def parts(run):
    examples = _artifact(standard_artifacts.Examples, latest_artifact(run, NAME, "ImportExampleGen", "examples"))
    examples.split_names = json.dumps(["train", "eval", "test", "eval_ranking"])
    model = _artifact(standard_artifacts.Model, latest_artifact(run, NAME, "PromoTrainer", "model"))
    model.id = 41
    return examples, model


@pytest.fixture(scope="module")
def untrained(run, tmp_path_factory):
    """A Model artifact holding the run's base architecture with its initial (random) weights, exported as the
    Trainer exports: a model whose top 10 is about random."""
    import tensorflow_transform as tft

    from pipeline.artifacts import transformed_files
    from trainer.base_model import VocabularySizes, build_two_tower
    from trainer.export import export_serving_model
    from trainer.retrieval import item_feature_table

    graph = tft.TFTransformOutput(latest_artifact(run, NAME, "Transform", "transform_graph"))
    uri = str(tmp_path_factory.mktemp("untrained"))
    model = build_two_tower(VocabularySizes.from_transform_output(graph))
    export_serving_model(model, graph, path_utils.serving_model_path(uri), item_features=item_feature_table(graph, transformed_files(run, NAME, "train")))
    artifact = _artifact(standard_artifacts.Model, uri)
    artifact.id = 42
    return artifact


def _judge(parts, candidate, baseline, evaluator_blessed, tmp_path, **evaluator_properties):
    examples, _ = parts
    evaluation = _artifact(standard_artifacts.ModelEvaluation, str(tmp_path / "evaluation"))
    blessing = _artifact(standard_artifacts.ModelBlessing, str(tmp_path / "blessing"))
    os.makedirs(evaluation.uri)
    os.makedirs(blessing.uri)
    evaluator = _artifact(standard_artifacts.ModelBlessing, str(tmp_path / "evaluator"), blessed=int(evaluator_blessed))
    for key, value in evaluator_properties.items():  # as KFP's entry point rewrites an Evaluator's blessing
        evaluator.set_string_custom_property(key, value)
    result = judge(examples, candidate, evaluator, evaluation, blessing, baseline, configs.RANKING_CUTOFF, configs.CATALOGUE_Z)
    with open(os.path.join(evaluation.uri, METRICS_FILE)) as handle:
        assert json.load(handle) == json.loads(json.dumps(result))
    return result, blessing


def test_a_clearly_worse_model_is_refused_although_the_evaluator_blessed_it(parts, untrained, tmp_path):
    _, blessed_model = parts
    result, blessing = _judge(parts, untrained, blessed_model, True, tmp_path)
    recall = result["recall"]
    assert recall["candidate"]["all"] < recall["baseline"]["all"] - result["checks"]["all"]["tolerance"]
    assert not result["checks"]["all"]["ok"] and not result["ok"] and not result["blessed"]
    assert os.path.exists(os.path.join(blessing.uri, "NOT_BLESSED"))
    assert blessing.get_int_custom_property("blessed") == 0
    assert blessing.get_int_custom_property("current_model_id") == 42
    assert blessing.get_int_custom_property("baseline_model_id") == 41


def test_the_blessed_model_against_itself_passes_with_zero_tolerance(parts, tmp_path):
    _, model = parts
    names = {"current_model_id": "PromoTrainer-model", "baseline_model_id": "PromoTrainer-model-before"}
    result, blessing = _judge(parts, model, model, True, tmp_path, **names)
    for key, name in names.items():  # on KFP / Vertex the models are named as the Evaluator named them
        assert blessing.get_string_custom_property(key) == name
    assert result["recall"]["candidate"] == result["recall"]["baseline"]
    assert result["checks"] == {"all": {"tolerance": 0.0, "ok": True}, "cold": {"tolerance": 0.0, "ok": True}}
    assert result["blessed"] and os.path.exists(os.path.join(blessing.uri, "BLESSED"))
    assert result["targets"] == result["users"] > 0 and 0 < result["cold_targets"] < result["targets"]


def test_a_first_run_keeps_the_evaluators_verdict(parts, tmp_path):
    _, model = parts
    result, blessing = _judge(parts, model, None, False, tmp_path)
    assert result["checks"] == {} and result["ok"] and not result["blessed"]
    assert "baseline" not in result["recall"] and not blessing.has_custom_property("baseline_model_id")


def test_the_recall_is_that_of_the_models_recommend_lists_without_the_users_training_likes(parts, tmp_path):
    """Recomputed here from recommend's raw lists: a target is a hit when it is among the first 10 items that are
    not the user's training likes; a training like never counts as a hit (it is never a target either)."""
    import tensorflow as tf

    examples, model = parts
    result, _ = _judge(parts, model, None, True, tmp_path)
    targets = EvalTargets(os.path.join(examples.uri, "Split-train"), os.path.join(examples.uri, "Split-eval"))
    loaded = tf.saved_model.load(path_utils.serving_model_path(model.uri))
    served = loaded.signatures["recommend"](
        user_id=tf.constant(targets.users), user_features=tf.constant(targets.user_features), history=tf.constant(targets.histories),
    )["item_ids"].numpy()
    lists = {u: [i.decode() for i in items if i and i.decode() not in targets.seen.get(u, set())][:10] for u, items in zip(targets.users, served)}
    hits = [item in lists[user] for user, item in targets.pairs]
    assert not any(item in targets.seen.get(user, set()) for user, item in targets.pairs)  # time split: held-out items are new
    assert result["recall"]["candidate"]["all"] == pytest.approx(np.mean(hits))


def test_the_sampled_hit_rate_is_that_of_rank_tf_examples_scores_of_the_evaluators_queries(parts, tmp_path):
    """Two paths, one number: CatalogueEvaluator's sampled HR@10 (user_embeddings . item_embeddings per candidate)
    and the rank of each query's positive among rank_tf_example's scores of its listwise example (what TFMA ranks),
    ties counted against the positive, PAD_ITEM places left out."""
    import tensorflow as tf

    from evaluation.metrics import rank_of_positive
    from transforms import features as F

    examples, model = parts
    result, _ = _judge(parts, model, None, True, tmp_path)
    records = [r.numpy() for r in tf.data.TFRecordDataset(
        sorted(glob.glob(os.path.join(examples.uri, "Split-eval_ranking", "*"))), compression_type="GZIP")]
    scores = tf.saved_model.load(path_utils.serving_model_path(model.uri)).signatures["rank_tf_example"](
        examples=tf.constant(records))["score"].numpy()
    hits, cold = [], []
    for record, row in zip(records, scores):
        feature = tf.train.Example.FromString(record).features.feature
        labels = np.array(feature["label"].int64_list.value)
        real = np.array(feature["item_id"].bytes_list.value) != F.PAD_ITEM.encode()
        hits.append(rank_of_positive(row[(labels == 1) & real][0], row[(labels == 0) & real]) <= configs.RANKING_CUTOFF)
        cold.append(feature["query_is_cold"].int64_list.value[0] == 1)
    hits, cold = np.array(hits), np.array(cold)
    assert 0 < hits.mean() < 1 and 0 < cold.sum() < len(cold)
    assert result["sampled_hr"] == pytest.approx({"all": hits.mean(), "cold": hits[cold].mean()})


def test_the_prompt_trainers_last_logged_recall_is_the_gates(run):
    """Two implementations, one number: the PromoTrainer's last epoch logs val_catalogue_recall@10 of the Keras model
    in-process (trainer/catalogue_recall.py); CatalogueEvaluator computes it from the exported model's recommend."""
    import re

    with open(os.path.join(run, "run.out")) as handle:
        lines = handle.read().split("[pipeline] PromoTrainer: running ...")[1].splitlines()
    logged = [float(m.group(1)) for line in lines if (m := re.search(r" val_catalogue_recall@10: ([0-9.e+-]+)", line))]
    first = min(glob.glob(os.path.join(run, "tfx", NAME, "CatalogueEvaluator", "evaluation", "*")), key=lambda p: int(os.path.basename(p)))
    with open(os.path.join(first, METRICS_FILE)) as handle:
        gate = json.load(handle)["recall"]["candidate"]["all"]
    assert len(logged) == 3 and logged[-1] == pytest.approx(gate, abs=5e-5)  # Keras prints 4 decimals
