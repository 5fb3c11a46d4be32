"""What a first `python local_runner.py` prints by default, on the shared synthetic run (tests/conftest.py's `run`,
whose first run's stdout and stderr are run.out and run.err in its root): progress, real warnings and the
end-of-run summary; no known noise."""
import itertools
import os

import pytest

import promo_env
from pipeline.artifacts import pushed_model_dir

pytestmark = pytest.mark.e2e

COMPONENTS = ("ImportExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "Transform", "BaseTrainer",
              "PromoTrainer", "Evaluator", "CatalogueEvaluator", "Pusher")

# What the run prints when all is well: 9 lines of data preparation (5 progress lines, the 3-line summary table and
# a blank line), 2 per component (22 for 11), 2 per training epoch ("Epoch i/3" and its result) of each Trainer (12)
# and 2 of the prompt stage's preparation, 1 "done", and the summary: 2 lines, 1 per Evaluator slice (3 now), 3 of
# CatalogueEvaluator, 2 on the pushed model and 4 of next commands: 60. The bound leaves room for a few more Evaluator slices and for real
# warnings (each of which is worth a line); before the known noise was kept out, this run with 1 epoch printed 173.
MAX_LINES = 70


@pytest.fixture(scope="module")
def printed(run):
    with open(os.path.join(run, "run.out")) as out, open(os.path.join(run, "run.err")) as err:
        return out.read(), err.read()


def test_no_line_of_known_noise(printed):
    assert promo_env.noise_lines("\n".join(printed)) == []


def test_every_component_reports_its_start_and_wall_time(printed):
    stdout = printed[0].splitlines()
    for component in COMPONENTS:
        assert f"[pipeline] {component}: running ..." in stdout
        assert any(line.startswith(f"[pipeline] {component}: finished in ") for line in stdout), component


def test_the_run_ends_with_the_summary(run, printed):
    """The verdict, the metrics of every slice, the pushed version folder, and the next commands, last on stdout."""
    stdout = printed[0].splitlines()
    start = next(i for i, line in enumerate(stdout) if line.startswith("[summary] "))
    summary = stdout[start:]
    assert stdout[start - 1].startswith("[pipeline] done in ")
    assert summary[0].startswith("[summary] the Evaluator blessed the model: every threshold met")
    assert summary[1] == "[summary] Evaluator metrics by slice:"
    slices = [line.strip().split("  ")[0] for line in itertools.takewhile(lambda l: l.startswith("  "), summary[2:])]
    assert slices[0] == "overall" and {"cold targets (query_is_cold=1)", "warm targets (query_is_cold=0)"} <= set(slices)
    catalogue = summary[2 + len(slices):5 + len(slices)]
    assert catalogue[0].startswith("[summary] whole catalogue (recommend's top 10, ") and "most popular" in catalogue[0]
    assert catalogue[1].startswith("[summary] sampled (each target among 100 items): HR@10 ")
    assert catalogue[2] == "[summary] CatalogueEvaluator blessed the model: no blessed model to compare with yet, so the Evaluator's verdict stands"
    pushed = pushed_model_dir(os.path.join(run, "serving_model", "promo"))
    assert f"[summary] pushed: {pushed}" in summary
    assert any(line.startswith("[summary] signatures: ") and "recommend" in line for line in summary)
    commands = summary[summary.index("[summary] next:") + 1:]
    assert [c.split()[:3] for c in commands] == [
        ["tensorflow_model_server", "--rest_api_port=8501", "--model_name=promo"],
        ["python", "-m", "serving.smoke"],
        ["python", "-m", "benchmarks.quality"],
    ]


def test_the_whole_output_is_short(printed):
    lines = sum(len(text.splitlines()) for text in printed)
    assert lines <= MAX_LINES, "\n".join(printed)
