"""A pipeline interrupted mid-way resumes from its cached artifacts, to the same result as an uninterrupted run."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.artifacts import execution_states, latest_artifact, pushed_model_dir

pytestmark = [pytest.mark.e2e, pytest.mark.own_pipeline_runs]

ARGS = ["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1"]  # as tests/conftest.py
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _interrupt(root, component, limit_s=30.0):
    """`python local_runner.py ARGS --output-root root` sent SIGINT as soon as ``component`` runs: {"exit_s":
    seconds from SIGINT to exit (None: still running after ``limit_s``, then killed), "status", "stderr"}.

    It is started as a shell without job control starts `cmd &` (a script, a tool), with SIGINT ignored: the way
    the runner ignored SIGINT for a whole run.
    """
    out, err = os.path.join(root, "interrupted.out"), os.path.join(root, "interrupted.err")
    with open(out, "w") as stdout, open(err, "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, os.path.join(REPO, "local_runner.py")] + ARGS + ["--output-root", root], cwd=REPO,
            stdout=stdout, stderr=stderr, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        started = time.monotonic()
        while f"[pipeline] {component}: running" not in open(out).read():
            assert child.poll() is None, open(err).read()[-3000:]
            assert time.monotonic() - started < 1800, f"{component} did not start"
            time.sleep(0.2)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=limit_s)
            exit_s = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            exit_s = None
    finally:
        child.kill()
        child.wait()
    return {"exit_s": exit_s, "status": child.returncode, "stderr": open(err).read()}


# `python local_runner.py ARGS` with the PromoTrainer made to crash: TFX reloads the module a run_fn path names
# (trainer.promo_task) but not what it imports, so one of those, used by the PromoTrainer only, is patched.
CRASHING_RUN = """
import sys
import promo_env  # noqa: F401
from trainer import item_tables


def crash(*args, **kwargs):
    raise RuntimeError("simulated crash in the PromoTrainer")


item_tables.ItemTables.keep = crash  # the PromoTrainer's pass over the training rows fills its item tables
import local_runner
sys.exit(local_runner.main(sys.argv[1:]))
"""


def _own_process(args, code=None):
    """``local_runner.py ARGS`` (or ``code`` with ARGS as its argv) in a fresh process, as the uninterrupted run
    of tests/conftest.py is: every run this module compares trains in a process of its own."""
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, os.path.join(REPO, "local_runner.py"), *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A fresh run whose prompt-stage Trainer crashes, the same command interrupted by SIGINT in that Trainer,
    then the same command again; each its own process."""
    root = str(tmp_path_factory.mktemp("interrupted"))
    crashed = _own_process(ARGS + ["--output-root", root], CRASHING_RUN)
    assert crashed.returncode != 0 and "simulated crash in the PromoTrainer" in crashed.stderr, crashed.stderr[-3000:]
    pushed_after_crash = pushed_model_dir(os.path.join(root, "serving_model", "promo"))
    interrupted = _interrupt(root, "PromoTrainer")
    interrupted["pushed"] = pushed_model_dir(os.path.join(root, "serving_model", "promo"))
    interrupted["promo_trainer_states"] = execution_states(root, "promo-synthetic", "PromoTrainer")
    rerun = _own_process(ARGS + ["--output-root", root])
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    timings = json.load(open(os.path.join(root, "timings-synthetic.json")))
    return {"root": root, "pushed_after_crash": pushed_after_crash, "interrupted": interrupted, "timings": timings}


def test_sigint_during_the_prompt_trainer_stops_the_run_within_seconds(resumed):
    """Even when started with SIGINT ignored; the rerun (below) then resumes from the cache."""
    interrupted = resumed["interrupted"]
    assert interrupted["exit_s"] is not None and interrupted["exit_s"] < 30, interrupted["stderr"][-3000:]
    assert interrupted["status"] == 130, interrupted["stderr"][-3000:]
    assert "[pipeline] interrupted during PromoTrainer; rerun the same command to resume from the cache" in interrupted["stderr"]
    assert interrupted["pushed"] is None
    # Nothing of the interrupted Trainer is recorded as finished (the crashed run's execution failed).
    assert not {"COMPLETE", "CACHED"} & set(interrupted["promo_trainer_states"]), interrupted["promo_trainer_states"]


def test_rerun_after_a_crash_and_an_interrupt_reuses_every_finished_component(resumed):
    assert resumed["pushed_after_crash"] is None  # nothing half-pushed
    cached = set(resumed["timings"]["cached"])
    assert {"ImportExampleGen", "StatisticsGen", "Transform", "BaseTrainer"} <= cached
    assert not {"PromoTrainer", "Evaluator", "Pusher"} & cached  # what had not finished ran now
    assert pushed_model_dir(os.path.join(resumed["root"], "serving_model", "promo")) is not None


def _evaluator_metrics(root):
    """{slice: {(sub key, metric): value}} of the run's first Evaluator result (overall and by query cold flag; a
    rerun evaluates again, against the model the first blessed: docs/evaluator.md)."""
    import tensorflow_model_analysis as tfma

    evaluations = glob.glob(os.path.join(root, "tfx", "promo-synthetic", "Evaluator", "evaluation", "*"))
    evaluation = min(evaluations, key=lambda path: int(os.path.basename(path)))
    return {
        tuple(slice_key): {(sub, name): value.get("doubleValue") for sub, values in metrics[""].items() for name, value in values.items()}
        for slice_key, metrics in tfma.load_eval_result(evaluation).slicing_metrics
    }


def _trained_weights(root, trainer):
    """The bytes of ``trainer``'s newest exported variables (not the serving folder, which a refresh test adds to)."""
    model = latest_artifact(root, "promo-synthetic", trainer, "model")
    (path,) = glob.glob(os.path.join(model, "Format-Serving", "variables", "variables.data-*"))
    with open(path, "rb") as handle:
        return handle.read()


def test_the_resumed_run_gives_the_uninterrupted_runs_models_and_metrics(run, resumed):
    """One seed, one result: ``run`` (tests/conftest.py, one uninterrupted process) and the crashed, interrupted
    and resumed run above share nothing but the command line, and agree bit for bit."""
    ours, theirs = _evaluator_metrics(resumed["root"]), _evaluator_metrics(run)
    assert len(ours) == 3 and ours == theirs  # overall and both cold-flag slices, every digit
    for trainer in ("BaseTrainer", "PromoTrainer"):
        assert _trained_weights(resumed["root"], trainer) == _trained_weights(run, trainer), trainer  # bit for bit
