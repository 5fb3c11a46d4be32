"""Defaults of the pipeline, kept in one place (the TFX taxi template's ``configs.py``)."""
import multiprocessing
import os

PIPELINE_NAME = "promo"
MODEL_NAME = "promo"
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "schema.pbtxt")
PREPROCESSING_FN = "transforms.preprocessing.preprocessing_fn"
RUN_FN = "trainer.task.run_fn"  # the pre-trained two-tower base
PROMO_RUN_FN = "trainer.promo_task.run_fn"  # the prompt stage on the frozen base



def pipeline_name(dataset: str) -> str:
    """The pipeline's name for one dataset (its artifacts live under <root>/tfx/<name>/)."""
    return f"{PIPELINE_NAME}-{dataset}"


# The Evaluator blesses a model (and the Pusher pushes it) only when its test AUC is above this.
MIN_AUC = 0.5


def local_beam_args(workers: int = 1, log_level: str = "WARNING") -> list:
    """Beam DirectRunner in multi-processing mode; ``workers=0`` means one worker per core."""
    return [
        "--direct_running_mode=multi_processing",
        f"--direct_num_workers={workers or multiprocessing.cpu_count()}",
        f"--default_sdk_harness_log_level={log_level}",
    ]
