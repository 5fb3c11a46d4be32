"""The pipeline image's recipe run here, and the compiled pipeline run as compiled with what it builds (issue 22).

No container engine runs on these machines (a Docker client without a daemon), so the image is built the way the
Dockerfile says without one: `image` (a module fixture) assembles what its COPY lines put in /promo
(tests/test_dockerfile.py: assemble_image) in a temporary folder and runs its RUN lines there with bash, under
its ENV values, its /opt/venv standing at a temporary folder. The environment is therefore what
`bash scripts/install.sh --runtime` builds from requirements/lock.txt with this machine's Python 3.11 (the image's
base is python:3.11 on Debian 12, CI's interpreter), the project installed from the assembled /promo.

With that environment's python, from the assembled /promo: the synthetic dataset is prepared, the pipeline is
compiled for Vertex (kubeflow_v2_runner.py, a local pipeline root), and pipeline/kfp_launcher.py runs every
compiled task through its own command and arguments (TFX's kubeflow_v2_run_executor with the compiled invocation),
in dependency order, through the Pusher. Slow (several minutes): the pipeline's components, each in a process of
its own as a container would start it.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline import configs
from pipeline.kfp_launcher import run
from test_dockerfile import REPO, _clean_env, assemble_image, image_environment, project_install

IMAGE_VENV = "/opt/venv"
COMPILED_TASKS = ("ImportExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator", "Transform", "BaseTrainer",
                  "PromoTrainer", "Evaluator", "CatalogueEvaluator", "Pusher")


def _environment(dockerfile: str, venv: Path) -> dict:
    """This machine's environment with the Dockerfile's ENV values, /opt/venv mapped to ``venv``."""
    env = _clean_env()
    for key, value in image_environment(dockerfile, env).items():
        env[key] = value.replace(IMAGE_VENV, str(venv))
    return env


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """(the assembled /promo, its python, the environment of its processes), built by the Dockerfile's RUN lines."""
    if not shutil.which("python3.11") and not shutil.which("python3"):
        pytest.skip("no python3: the image's RUN lines need Python 3.11")
    dockerfile = (REPO / "Dockerfile").read_text()
    root = tmp_path_factory.mktemp("image")
    runs = assemble_image(dockerfile, root)
    workdir, _ = project_install(runs)
    env = _environment(dockerfile, root / IMAGE_VENV.lstrip("/"))
    for cwd, command in runs:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, f"RUN {command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return workdir, str(root / IMAGE_VENV.lstrip("/") / "bin" / "python"), env


def test_the_image_holds_the_runtime_lock_and_the_project_and_no_test_tools(image):
    workdir, python, env = image
    probe = (
        "import importlib.util, json, os, sys, apache_beam, tensorflow_recommenders, tfx, trainer.task\n"
        "print(json.dumps({'python': sys.version_info[:2], 'beam': apache_beam.__version__, 'tfx': tfx.__version__,\n"
        "  'project': os.path.dirname(os.path.dirname(trainer.task.__file__)),\n"
        "  'test_tools': [m for m in ('pytest', 'hypothesis', 'xdist', 'matplotlib') if importlib.util.find_spec(m)],\n"
        "  'env': {k: os.environ.get(k) for k in ('TF_USE_LEGACY_KERAS', 'TF_CPP_MIN_LOG_LEVEL')}}))\n"
    )
    seen = subprocess.run([python, "-c", probe], cwd="/", env=env, capture_output=True, text=True, timeout=300)
    assert seen.returncode == 0, seen.stderr[-3000:]
    facts = json.loads(seen.stdout.strip().splitlines()[-1])
    assert facts["python"] == [3, 11] and facts["tfx"] == "1.16.0" and facts["project"] == str(workdir)
    locked = dict(line.split("==") for line in (REPO / "requirements/lock.txt").read_text().splitlines()
                  if "==" in line and not line.startswith(" "))
    assert facts["beam"] == locked["apache-beam"]
    assert facts["test_tools"] == []  # requirements/test-lock.txt stays out of the image
    # The start-up hook set TF_USE_LEGACY_KERAS before anything ran; the image's TF_CPP_MIN_LOG_LEVEL=0 was kept.
    assert facts["env"] == {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"}


def test_the_compiled_pipeline_runs_task_by_task_in_the_image_environment(image, tmp_path):
    workdir, python, env = image
    data, root, serving = tmp_path / "data", tmp_path / "root", tmp_path / "serving"
    for argv in (
        ["-m", "data.prepare", "--dataset", "synthetic", "--out", str(data)],
        ["kubeflow_v2_runner.py", "--image", "promo-tfx:test", "--project", "p", "--region", "r",
         "--pipeline-root", str(root), "--data-root", str(data), "--serving-model-dir", str(serving),
         "--dataset", "synthetic", "--epochs", "1", "--output", str(tmp_path / "pipeline.json")],
    ):
        done = subprocess.run([python, *argv], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]

    produced = run(str(tmp_path / "pipeline.json"), python, image_workdir=str(workdir), run_id="first", env=env)

    assert set(COMPILED_TASKS) <= set(produced)
    examples = produced["ImportExampleGen"]["examples"]
    assert json.loads(examples["metadata"]["split_names"]) == ["train", "eval", "test", "eval_ranking"]
    assert list(Path(examples["uri"], "Split-train").glob("*.gz"))
    schema = Path(produced["ImportSchemaGen"]["schema"]["uri"], "schema.pbtxt")
    assert schema.read_text() == (workdir / configs.IMAGE_SCHEMA_PATH.removeprefix(configs.IMAGE_PROJECT_DIR + "/")).read_text()
    assert Path(produced["Transform"]["transform_graph"]["uri"], "transform_fn", "saved_model.pb").is_file()
    for trainer in ("BaseTrainer", "PromoTrainer"):
        assert Path(produced[trainer]["model"]["uri"], "Format-Serving", "saved_model.pb").is_file(), trainer
    verdict, evaluator = produced["CatalogueEvaluator"]["blessing"]["metadata"], produced["Evaluator"]["blessing"]["metadata"]
    # named as Vertex's model resolver matches it: the artifact's name, as KFP's entry point wrote the Evaluator's
    assert verdict["current_model_id"] == evaluator["current_model_id"] == "PromoTrainer-model"
    blessed = verdict["blessed"]
    marker = "BLESSED" if blessed else "NOT_BLESSED"  # what the summary and TFX's own Pusher read
    assert os.listdir(produced["CatalogueEvaluator"]["blessing"]["uri"]) == [marker]
    pushed = produced["Pusher"]["pushed_model"]["metadata"]["pushed"]
    assert pushed == blessed  # the Pusher read the whole-catalogue gate's blessing
    if blessed:
        assert list(serving.glob("*/saved_model.pb")), os.listdir(serving)
