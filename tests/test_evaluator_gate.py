"""The Evaluator refuses a model much worse than the blessed one, and then nothing is pushed.

On a copy of the shared synthetic run (tests/conftest.py), the same command with ``--variant pretrain``: the prompt
stage re-exports the base, which ranks cold items far worse than the run's PROMO-LS model, the latest blessed one.
Only the PromoTrainer, the Evaluator and the Pusher run again: the pipeline reads the original run's examples folder,
as ImportExampleGen's cache key holds that path (the copy's own would rerun every component). Artifact URIs in the
copied metadata also still point into the original run, which is only read: the runner's rewriting of a moved
root's URIs (pipeline/relocation.py) is switched off here, since TFX's cache keys hold the input artifacts' URIs
and a relocated copy reruns every component after ImportExampleGen."""
import os
import shutil

import pytest

import local_runner
from data.examples import QUERY_IS_COLD
from pipeline import configs
from pipeline import pipeline as pipeline_module
from pipeline.artifacts import latest_artifact, metadata_store

pytestmark = pytest.mark.e2e

ARGS = ["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1"]  # as tests/conftest.py
NAME = configs.pipeline_name("synthetic")
COLD = ((QUERY_IS_COLD, 1),)
NDCG = f"topK:{configs.RANKING_CUTOFF}"


def _newest_blessing(root):
    """The custom properties of the newest ModelBlessing in ``root``'s ML Metadata."""
    blessing = max(metadata_store(root, NAME).get_artifacts_by_type("ModelBlessing"), key=lambda a: a.id)
    return {key: getattr(value, value.WhichOneof("value")) for key, value in blessing.custom_properties.items()}


@pytest.fixture(scope="module")
def worse(run, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("gate") / "run")
    shutil.copytree(run, root)
    serving = os.path.join(root, "serving_model", "promo")
    before = sorted(os.listdir(serving))
    create_pipeline = pipeline_module.create_pipeline
    examples_dir = os.path.join(run, "data", "synthetic", "examples")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline_module, "create_pipeline", lambda **kwargs: create_pipeline(**{**kwargs, "examples_dir": examples_dir}))
        patch.setattr(local_runner, "relocate", lambda root: 0)
        status = local_runner.main(ARGS + ["--variant", "pretrain", "--output-root", root])
    return {"root": root, "before": before, "after": sorted(os.listdir(serving)), "status": status}


def test_only_the_prompt_stage_evaluator_and_pusher_ran_again(worse):
    import json

    timings = json.load(open(os.path.join(worse["root"], "timings-synthetic.json")))
    assert {"ImportExampleGen", "StatisticsGen", "Transform", "BaseTrainer"} <= set(timings["cached"])
    assert not {"PromoTrainer", "Evaluator", "Pusher"} & set(timings["cached"])


def test_worse_model_is_compared_with_the_runs_blessed_model_and_refused(run, worse):
    blessing = _newest_blessing(worse["root"])
    assert blessing["blessed"] == 0
    assert blessing["current_model"] == latest_artifact(worse["root"], NAME, "PromoTrainer", "model")
    assert blessing["baseline_model"] == latest_artifact(run, NAME, "PromoTrainer", "model")
    assert os.path.exists(os.path.join(latest_artifact(worse["root"], NAME, "Evaluator", "blessing"), "NOT_BLESSED"))


def test_refusal_is_the_cold_queries_ndcg_falling_below_the_baseline(worse):
    import tensorflow_model_analysis as tfma

    evaluation = latest_artifact(worse["root"], NAME, "Evaluator", "evaluation")
    metrics = {name: {tuple(s): m[""] for s, m in tfma.load_eval_result(evaluation, model_name=name).slicing_metrics}
               for name in ("candidate", "baseline")}
    cold_ndcg = {name: metrics[name][COLD][NDCG]["ndcg"]["doubleValue"] for name in metrics}
    assert cold_ndcg["candidate"] < cold_ndcg["baseline"] - configs.NDCG_TOLERANCE, cold_ndcg
    validation = tfma.load_validation_result(evaluation)
    assert not validation.validation_ok
    failed = {(tuple((k.column, k.int64_value) for k in v.slice_key.single_slice_keys), f.metric_key.name, f.metric_key.is_diff)
              for v in validation.metric_validations_per_slice for f in v.failures}
    assert (COLD, "ndcg", True) in failed, failed


def test_nothing_new_is_pushed(worse):
    assert worse["after"] == worse["before"] and len(worse["before"]) >= 1


def test_the_refused_run_exits_with_its_own_status_although_an_earlier_model_is_served(worse):
    assert worse["status"] == local_runner.NOT_BLESSED != 0
