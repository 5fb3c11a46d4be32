"""A pipeline interrupted mid-way resumes from its cached artifacts, and the same seed gives the same metrics."""
import glob
import json
import os

import pytest

import local_runner
from trainer import promo_task

pytestmark = pytest.mark.e2e

ARGS = ["--dataset", "synthetic", "--epochs", "3"]


def _overall_metrics(root):
    import tensorflow_model_analysis as tfma

    evaluations = sorted(glob.glob(os.path.join(root, "tfx", "promo-synthetic", "Evaluator", "evaluation", "*")), key=lambda p: int(os.path.basename(p)))
    result = tfma.load_eval_result(evaluations[-1])
    return {
        slice_key: {name: value["doubleValue"] for name, value in metrics[""][""].items() if "doubleValue" in value}
        for slice_key, metrics in result.slicing_metrics
    }


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A fresh run whose prompt-stage Trainer fails, then the same command again."""
    root = str(tmp_path_factory.mktemp("interrupted"))

    def interrupted(fn_args):
        raise RuntimeError("simulated crash in the PromoTrainer")

    real_run_fn = promo_task.run_fn
    promo_task.run_fn = interrupted  # LocalDagRunner runs the Trainer in this process and looks run_fn up by name
    try:
        with pytest.raises(RuntimeError, match="simulated crash"):
            local_runner.main(ARGS + ["--output-root", root])
    finally:
        promo_task.run_fn = real_run_fn
    pushed_after_crash = local_runner.pushed_model_dir(os.path.join(root, "serving_model", "promo"))
    assert local_runner.main(ARGS + ["--output-root", root]) == 0
    timings = json.load(open(os.path.join(root, "timings-synthetic.json")))
    return {"root": root, "pushed_after_crash": pushed_after_crash, "timings": timings}


def test_rerun_after_a_crash_reuses_every_finished_component(resumed):
    assert resumed["pushed_after_crash"] is None  # nothing half-pushed
    cached = set(resumed["timings"]["cached"])
    assert {"ImportExampleGen", "StatisticsGen", "Transform", "BaseTrainer"} <= cached
    assert not {"PromoTrainer", "Evaluator", "Pusher"} & cached  # what had not finished ran now
    assert local_runner.pushed_model_dir(os.path.join(resumed["root"], "serving_model", "promo")) is not None


def test_two_runs_with_the_same_seed_give_identical_metrics(resumed, run):
    """``run`` (tests/conftest.py) and this module's run share nothing but the command and the seed."""
    ours, theirs = _overall_metrics(resumed["root"]), _overall_metrics(run)
    assert ours.keys() == theirs.keys() and len(ours) == 3  # overall and both cold-flag slices
    assert ours == theirs
