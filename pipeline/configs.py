"""Defaults of the pipeline, kept in one place (the TFX taxi template's ``configs.py``). No TensorFlow import."""
import multiprocessing
import os
from typing import Any, Dict

PIPELINE_NAME = "promo"
MODEL_NAME = "promo"
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "schema.pbtxt")
PREPROCESSING_FN = "transforms.preprocessing.preprocessing_fn"
RUN_FN = "trainer.task.run_fn"  # the pre-trained two-tower base
PROMO_RUN_FN = "trainer.promo_task.run_fn"  # the prompt stage on the frozen base
DEFAULT_EPOCHS = 3  # of each Trainer, unless a runner's --epochs (or local_runner.py's --quick) says otherwise


def custom_configs(
    *, cold_threshold: int, alpha: float, beta: float, seed: int, epochs: int, variant: str
) -> Dict[str, Dict[str, Any]]:
    """The three components' ``custom_config`` dicts, keyed by :func:`pipeline.pipeline.create_pipeline`'s
    parameters (``create_pipeline(..., **custom_configs(...))``); every runner builds them here.

    ``cold_threshold``, ``alpha``, ``beta``: the dataset's (its prepared summary, or data.datasets.CONFIGS);
    ``seed``: Transform's negative-user sampling and both Trainers'; ``epochs``: both Trainers'; ``variant``: what
    the prompt-stage Trainer produces (trainer/variants.py). create_pipeline adds each component's code hash.
    """
    seed, epochs = int(seed), int(epochs)
    return {
        # transforms.preprocessing.preprocessing_fn
        "transform_config": {"cold_threshold": int(cold_threshold), "alpha": alpha, "beta": beta, "seed": seed},
        # trainer.task.TrainingConfig
        "training_config": {"epochs": epochs, "seed": seed},
        # trainer.promo_model.PromoConfig
        "promo_config": {"variant": variant, "epochs": epochs, "seed": seed},
    }


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
