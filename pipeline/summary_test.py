"""The end-of-run summary on hand-made Evaluator outputs (TFMA's own file formats) and a hand-made pushed model."""
import json
import os

import pytest
import tensorflow as tf
import tensorflow_model_analysis as tfma
from google.protobuf import json_format
from ml_metadata.proto import metadata_store_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_model_analysis.proto import config_pb2, metrics_for_slice_pb2, validation_result_pb2

from pipeline import configs
from pipeline.artifacts_test import Store  # a hand-made ML Metadata store
from pipeline.summary import run_summary, slice_name

COLD, WARM = (("is_cold", 1),), (("is_cold", 0),)


def _slice_key(proto, key):
    for column, value in key:
        proto.single_slice_keys.add(column=column, int64_value=value)


def _write_records(path, protos):
    with tf.io.TFRecordWriter(path) as writer:
        for proto in protos:
            writer.write(proto.SerializeToString())


def write_evaluator_output(root, metrics, validation, blessed):
    """<root>/tfx/promo-synthetic/Evaluator/{evaluation,blessing}/7 as TFMA and TFX write them, recorded as a
    finished Evaluator execution in the run's ML Metadata (where the summary looks them up).

    ``metrics``: {slice key: [(metric name, value, top k or None, model name, is_diff)]}.
    """
    evaluator = os.path.join(root, "tfx", configs.pipeline_name("synthetic"), "Evaluator")
    evaluation, blessing = os.path.join(evaluator, "evaluation", "7"), os.path.join(evaluator, "blessing", "7")
    os.makedirs(evaluation)
    os.makedirs(blessing)
    run = config_pb2.EvalRun(eval_config=config_pb2.EvalConfig(), version=tfma.__version__)
    with open(os.path.join(evaluation, "eval_config.json"), "w") as handle:
        handle.write(json_format.MessageToJson(run))
    protos = []
    for key, values in metrics.items():
        proto = metrics_for_slice_pb2.MetricsForSlice()
        _slice_key(proto.slice_key, key)
        for name, value, top_k, model, is_diff in values:
            entry = proto.metric_keys_and_values.add()
            entry.key.name, entry.key.model_name, entry.key.is_diff = name, model, is_diff
            if top_k:
                entry.key.sub_key.top_k.value = top_k
            entry.value.double_value.value = value
        protos.append(proto)
    _write_records(os.path.join(evaluation, "metrics-00000-of-00001.tfrecord"), protos)
    _write_records(os.path.join(evaluation, "validations.tfrecord"), [validation])
    open(os.path.join(blessing, "BLESSED" if blessed else "NOT_BLESSED"), "w").close()
    Store(root, configs.pipeline_name("synthetic")).execution(
        "Evaluator", metadata_store_pb2.Execution.COMPLETE, outputs={"evaluation": evaluation, "blessing": blessing}
    )


def catalogue_metrics(ok=True, evaluator_blessed=True, baseline=True):
    """A CatalogueEvaluator metrics.json (pipeline/catalogue_evaluator.py) with hand-picked numbers."""
    recall = {"candidate": {"all": 0.175, "cold": 0.0706}, "popularity": {"all": 0.07, "cold": 0.0}}
    checks = {}
    if baseline:
        recall["baseline"] = {"all": 0.18, "cold": 0.1}
        checks = {"all": {"tolerance": 0.0238, "ok": True}, "cold": {"tolerance": 0.0289, "ok": ok}}
    return {"cutoff": 10, "z": 2.0, "targets": 942, "cold_targets": 170, "users": 942, "recall": recall,
            "sampled_hr": {"all": 0.7611, "cold": 0.5647}, "checks": checks, "ok": ok, "evaluator_blessed": evaluator_blessed,
            "blessed": ok and evaluator_blessed}


def write_catalogue_output(root, metrics):
    """CatalogueEvaluator's evaluation and blessing folders for ``metrics``, recorded as a finished execution."""
    node = os.path.join(root, "tfx", configs.pipeline_name("synthetic"), "CatalogueEvaluator")
    evaluation, blessing = os.path.join(node, "evaluation", "9"), os.path.join(node, "blessing", "9")
    os.makedirs(evaluation)
    os.makedirs(blessing)
    with open(os.path.join(evaluation, "metrics.json"), "w") as handle:
        json.dump(metrics, handle)
    open(os.path.join(blessing, "BLESSED" if metrics["blessed"] else "NOT_BLESSED"), "w").close()
    Store(root, configs.pipeline_name("synthetic")).execution(
        "CatalogueEvaluator", metadata_store_pb2.Execution.COMPLETE, outputs={"evaluation": evaluation, "blessing": blessing}
    )


def write_pushed_model(root, version, signatures):
    """A version folder whose saved_model.pb declares ``signatures`` (no graph: the summary only reads names)."""
    folder = os.path.join(root, "serving_model", configs.MODEL_NAME, str(version))
    os.makedirs(folder)
    saved = saved_model_pb2.SavedModel()
    graph = saved.meta_graphs.add()
    for name in signatures + ["__saved_model_init_op"]:
        graph.signature_def[name].method_name = "tensorflow/serving/predict"
    with open(os.path.join(folder, "saved_model.pb"), "wb") as handle:
        handle.write(saved.SerializeToString())
    return folder


def test_a_blessed_run_shows_every_metric_by_slice_where_the_model_went_and_what_to_run_next(tmp_path):
    root = str(tmp_path)
    metrics = {
        (): [("auc", 0.8494, None, "", False), ("example_count", 2500, None, "", False), ("ndcg", 0.31, 10, "", False)],
        COLD: [("auc", 0.8421, None, "", False), ("example_count", 2086, None, "", False)],
        WARM: [("auc", 0.874, None, "", False), ("example_count", 414, None, "", False)],
    }
    write_evaluator_output(root, metrics, validation_result_pb2.ValidationResult(validation_ok=True), blessed=True)
    write_catalogue_output(root, catalogue_metrics())
    write_pushed_model(root, 100, ["serving_default"])
    pushed = write_pushed_model(root, 200, ["serving_default", "recommend"])

    lines = run_summary(root, "synthetic", None, "promo_ls").splitlines()

    assert lines[0] == "[summary] the Evaluator blessed the model: every threshold met"
    assert lines[1] == "[summary] Evaluator metrics by slice:"
    assert lines[2].split() == ["overall", "auc", "0.8494,", "example_count", "2500,", "ndcg", "(topK:10)", "0.3100"]
    assert lines[3].split() == ["cold", "items", "(is_cold=1)", "auc", "0.8421,", "example_count", "2086"]
    assert lines[4].split() == ["warm", "items", "(is_cold=0)", "auc", "0.8740,", "example_count", "414"]
    assert len({line.index("auc") for line in lines[2:5]}) == 1  # one column
    assert lines[5:8] == [
        "[summary] whole catalogue (recommend's top 10, 942 eval targets, 170 cold): recall@10 0.1750 overall, 0.0706 cold; "
        "most popular 0.0700 overall, 0 cold",
        "[summary] sampled (each target among 100 items): HR@10 0.7611 overall, 0.5647 cold",
        "[summary] CatalogueEvaluator blessed the model: no worse than the baseline (0.1800 overall, 0.1000 cold) within 2 "
        "standard errors (0.0238 / 0.0289)",
    ]
    lines = lines[:5] + lines[8:]
    assert lines[5] == f"[summary] pushed: {pushed}"
    assert lines[6] == "[summary] signatures: recommend, serving_default"
    serving_root = os.path.dirname(pushed)
    assert lines[7] == "[summary] next:"
    assert lines[8].startswith(f"  tensorflow_model_server --rest_api_port=8501 --model_name=promo --model_base_path={serving_root} ")
    examples = os.path.join(root, "data", "synthetic", "examples", "test", "examples.csv")
    assert lines[9].startswith(f"  python -m serving.smoke --model-dir {pushed} --examples {examples} ")
    assert lines[10].startswith(f"  python -m benchmarks.quality --dataset synthetic --output-root {root} --seeds 0 "
                                "--variants pretrain promo_ls --tag mine ")
    assert len(lines) == 11


def test_a_model_the_evaluator_blessed_but_the_whole_catalogue_gate_refused_is_not_pushed(tmp_path):
    root = str(tmp_path)
    write_evaluator_output(root, {(): [("auc", 0.8, None, "", False)]}, validation_result_pb2.ValidationResult(validation_ok=True), blessed=True)
    write_catalogue_output(root, catalogue_metrics(ok=False))
    earlier = write_pushed_model(root, 100, ["serving_default"])

    lines = run_summary(root, "synthetic", None, "promo_ls").splitlines()

    assert lines[0] == "[summary] the Evaluator blessed the model: every threshold met"
    assert lines[-2] == ("[summary] CatalogueEvaluator did NOT bless the model: cold recall@10 0.0706 is below the baseline's "
                         "0.1000 by more than 0.0289")
    assert lines[-1] == f"[summary] nothing pushed to {os.path.dirname(earlier)}; TF Serving keeps serving {earlier}, an earlier run's"


def test_a_first_run_has_no_baseline_for_the_whole_catalogue_gate(tmp_path):
    root = str(tmp_path)
    write_evaluator_output(root, {(): [("auc", 0.8, None, "", False)]}, validation_result_pb2.ValidationResult(validation_ok=True), blessed=True)
    write_catalogue_output(root, catalogue_metrics(baseline=False))
    write_pushed_model(root, 1, ["serving_default"])
    lines = run_summary(root, "synthetic", None, "promo_ls").splitlines()
    assert ("[summary] CatalogueEvaluator blessed the model: no blessed model to compare with yet, so the Evaluator's "
            "verdict stands") in lines


def test_a_model_not_blessed_says_which_thresholds_failed_and_that_nothing_was_pushed(tmp_path):
    """A candidate compared with a baseline (TFMA's multi-model output): the candidate's numbers and diffs are shown,
    each failure with its slice, value and threshold, and the earlier push TF Serving keeps serving."""
    root = str(tmp_path)
    metrics = {
        (): [("auc", 0.61, None, "candidate", False), ("auc", 0.7, None, "baseline", False),
             ("auc", -0.09, None, "candidate", True)],
        COLD: [("auc", 0.45, None, "candidate", False), ("auc", 0.52, None, "baseline", False),
               ("auc", -0.07, None, "candidate", True)],
    }
    validation = validation_result_pb2.ValidationResult(validation_ok=False)
    cold = validation.metric_validations_per_slice.add()
    _slice_key(cold.slice_key, COLD)
    failure = cold.failures.add()
    failure.metric_key.name = "auc"
    failure.metric_value.double_value.value = 0.45
    failure.metric_threshold.value_threshold.lower_bound.value = 0.5
    overall = validation.metric_validations_per_slice.add()
    overall.slice_key.SetInParent()
    failure = overall.failures.add()
    failure.metric_key.name, failure.metric_key.is_diff = "auc", True
    failure.metric_value.double_value.value = -0.09
    failure.metric_threshold.change_threshold.direction = config_pb2.MetricDirection.HIGHER_IS_BETTER
    failure.metric_threshold.change_threshold.absolute.value = -1e-10
    failure = overall.failures.add()
    failure.metric_key.name = "ndcg"
    failure.metric_threshold.value_threshold.lower_bound.value = 0.2
    failure.message = "Metric not found."
    write_evaluator_output(root, metrics, validation, blessed=False)
    write_catalogue_output(root, catalogue_metrics(evaluator_blessed=False))
    earlier = write_pushed_model(root, 100, ["serving_default"])

    lines = run_summary(root, "synthetic", None, "promo_ls").splitlines()

    assert lines[:4] == [
        "[summary] the Evaluator did NOT bless the model:",
        "  - cold items (is_cold=1): auc = 0.4500, needs >= 0.5",
        "  - overall: auc_diff = -0.0900, needs a change vs the baseline >= -1e-10",
        "  - overall: ndcg, needs >= 0.2 (Metric not found.)",
    ]
    assert lines[4] == "[summary] Evaluator metrics by slice:"
    assert lines[5].split() == ["overall", "auc", "0.6100,", "auc_diff", "-0.0900"]
    assert lines[6].split() == ["cold", "items", "(is_cold=1)", "auc", "0.4500,", "auc_diff", "-0.0700"]
    serving_root = os.path.dirname(earlier)
    assert lines[9] == "[summary] CatalogueEvaluator passed: no worse than the baseline (0.1800 overall, 0.1000 cold) within 2 standard errors (0.0238 / 0.0289)"
    assert lines[10:] == [f"[summary] nothing pushed to {serving_root}; TF Serving keeps serving {earlier}, an earlier run's"]


@pytest.mark.parametrize("key, name", [
    ((), "overall"),
    (COLD, "cold items (is_cold=1)"),
    ((("query_is_cold", 0),), "warm targets (query_is_cold=0)"),  # the Evaluator's per-query slice
    ((("is_cold", 2),), "is_cold=2"),
    ((("user_group", "a"), ("is_cold", 1)), "user_group=a, is_cold=1"),
    ((COLD, WARM), "cold items (is_cold=1) x warm items (is_cold=0)"),
])
def test_slice_names(key, name):
    assert slice_name(key) == name
