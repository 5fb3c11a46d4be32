"""A pipeline interrupted mid-way resumes from its cached artifacts; one seed, one result."""
import glob
import json
import os

import pytest

import local_runner
from trainer import item_tables

pytestmark = pytest.mark.e2e

ARGS = ["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1"]  # as tests/conftest.py


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A fresh run whose prompt-stage Trainer crashes, then the same command again."""
    root = str(tmp_path_factory.mktemp("interrupted"))

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash in the PromoTrainer")

    # TFX reloads the module a run_fn path names (trainer.promo_task) but not what it imports: patch one of those,
    # used by the PromoTrainer only.
    real = item_tables.collect_item_tables
    item_tables.collect_item_tables = crash
    try:
        with pytest.raises(Exception) as crashed:
            local_runner.main(ARGS + ["--output-root", root])
    finally:
        item_tables.collect_item_tables = real
    chain, error = [], crashed.value
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or error.__context__
    assert any("simulated crash" in message for message in chain), chain
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


def _evaluator_metrics(root):
    """{slice: {metric: value}} of the run's Evaluator (overall and by cold flag)."""
    import tensorflow_model_analysis as tfma

    (evaluation,) = glob.glob(os.path.join(root, "tfx", "promo-synthetic", "Evaluator", "evaluation", "*"))
    return {
        tuple(slice_key): {name: value.get("doubleValue") for name, value in metrics[""][""].items()}
        for slice_key, metrics in tfma.load_eval_result(evaluation).slicing_metrics
    }


def _trained_weights(root, trainer):
    """The bytes of ``trainer``'s exported variables (not the serving folder, which a refresh test adds to)."""
    model = os.path.join(root, "tfx", "promo-synthetic", trainer, "model", "*")
    (path,) = glob.glob(os.path.join(model, "Format-Serving", "variables", "variables.data-*"))
    with open(path, "rb") as handle:
        return handle.read()


def test_two_fresh_runs_with_one_seed_give_identical_models_and_metrics(run, own_process_run, tmp_path):
    """``run`` (tests/conftest.py) and this second run share nothing but the command line; each is its own process."""
    own_process_run(ARGS + ["--output-root", str(tmp_path)])
    ours, theirs = _evaluator_metrics(str(tmp_path)), _evaluator_metrics(run)
    assert len(ours) == 3 and ours == theirs  # overall and both cold-flag slices, every digit
    for trainer in ("BaseTrainer", "PromoTrainer"):
        assert _trained_weights(str(tmp_path), trainer) == _trained_weights(run, trainer), trainer  # bit for bit
