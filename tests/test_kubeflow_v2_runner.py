"""Compiling the pipeline for Vertex AI Pipelines (KFP v2 JSON) without reaching any cloud service."""
import json
import re
from pathlib import Path

import kubeflow_v2_runner
from pipeline import code_version

COMPONENTS = ("ImportExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "Transform",
              "BaseTrainer", "PromoTrainer", "Evaluator", "CatalogueEvaluator", "Pusher")


def test_compiled_json_names_every_component_and_passes_cloud_paths_and_dataflow_args(tmp_path):
    out = tmp_path / "pipeline.json"
    assert kubeflow_v2_runner.main([
        "--image", "gcr.io/my-project/promo-tfx:0.1.0", "--project", "my-project", "--region", "us-central1",
        "--pipeline-root", str(tmp_path / "root"),  # a gs:// root makes the compiler reach the bucket
        "--data-root", "gs://my-bucket/promo/data/ml-100k", "--serving-model-dir", "gs://my-bucket/promo/serving",
        "--dataflow", "--temp-location", "gs://my-bucket/tmp", "--max-workers", "7", "--output", str(out),
    ]) == 0
    spec = json.loads(out.read_text())
    text = json.dumps(spec)
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]
    assert set(COMPONENTS) <= set(tasks)
    assert "gs://my-bucket/promo/data/ml-100k/examples" in text
    assert "gs://my-bucket/promo/serving" in text
    for arg in ("--runner=DataflowRunner", "--region=us-central1", "--temp_location=gs://my-bucket/tmp", "--max_num_workers=7",
                "--machine_type=n1-standard-4", "--disk_size_gb=50"):
        assert arg in text
    executors = spec["pipelineSpec"]["deploymentSpec"]["executors"]
    for trainer in ("BaseTrainer", "PromoTrainer"):  # the machine Vertex gives each Trainer
        assert executors[f"{trainer}_executor"]["container"]["resources"] == {"cpuLimit": 4.0, "memoryLimit": 16.0}
    assert "resources" not in executors["Transform_executor"]["container"]
    assert "gcr.io/my-project/promo-tfx:0.1.0" in text
    assert "trainer.promo_task.run_fn" in text and "transforms.preprocessing.preprocessing_fn" in text
    assert "pipeline.example_gen.OrderPreservingExecutor" in text  # the image runs our ExampleGen executor
    assert "pipeline.pusher.UnchangedModelExecutor" in text  # and our Pusher executor
    assert "latest_blessed_model_resolver-model-blessing-resolver" in tasks  # the Evaluator's baseline
    assert '\\"cold_threshold\\": 20' in text or '"cold_threshold": 20' in text
    for sources in (code_version.TRANSFORM_SOURCES, code_version.TRAINER_SOURCES, code_version.CATALOGUE_EVALUATOR_SOURCES):
        assert code_version.code_version(sources) in text


def test_the_compiled_json_holds_no_path_of_the_compiling_machine(tmp_path):
    """Every absolute path in the JSON is the pipeline root given or a file inside the image (issue: the schema was
    compiled as this checkout's path, so the first task failed anywhere but here)."""
    from pipeline import configs

    out, root = tmp_path / "pipeline.json", str(tmp_path / "root")
    assert kubeflow_v2_runner.main([
        "--image", "img", "--project", "p", "--region", "r", "--pipeline-root", root, "--data-root", "gs://b/data",
        "--serving-model-dir", "gs://b/serving", "--output", str(out),
    ]) == 0
    text = out.read_text()
    paths = set(re.findall(r"(?<![\w:/.])/(?:[\w.@+-]+/)*[\w.@+-]+", text))  # absolute POSIX paths, not URLs
    assert {p for p in paths if not p.startswith((root, configs.IMAGE_PROJECT_DIR + "/"))} == set()
    assert configs.IMAGE_SCHEMA_PATH in paths and str(Path(configs.SCHEMA_PATH).parent) not in text


def test_the_image_schema_path_is_where_the_dockerfile_puts_the_schema(tmp_path):
    from pipeline import configs
    from test_dockerfile import REPO, assemble_image  # tests/ is on sys.path (pytest prepends a test file's folder)

    assemble_image((REPO / "Dockerfile").read_text(), tmp_path)
    in_image = tmp_path / configs.IMAGE_SCHEMA_PATH.lstrip("/")
    assert in_image.read_text() == Path(configs.SCHEMA_PATH).read_text()


def test_every_dataset_has_the_settings_its_loader_uses():
    from data.datasets import CONFIGS, LOADERS

    assert set(CONFIGS) == set(LOADERS)
    assert CONFIGS["synthetic"] == LOADERS["synthetic"](None).config  # the generated log carries its config
