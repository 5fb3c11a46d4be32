"""Defaults of the pipeline, kept in one place (the TFX taxi template's ``configs.py``). No TensorFlow import."""
import multiprocessing
import os
from typing import Any, Dict, Optional

PIPELINE_NAME = "promo"
MODEL_NAME = "promo"
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "schema.pbtxt")  # this checkout's
# Where the Dockerfile puts this project in the pipeline image (its WORKDIR), and the schema there: a compiled
# Kubeflow/Vertex pipeline reads the schema in its container, never at the compiling machine's SCHEMA_PATH.
IMAGE_PROJECT_DIR = "/promo"
IMAGE_SCHEMA_PATH = f"{IMAGE_PROJECT_DIR}/pipeline/schema/schema.pbtxt"
PREPROCESSING_FN = "transforms.preprocessing.preprocessing_fn"
RUN_FN = "trainer.task.run_fn"  # the pre-trained two-tower base
PROMO_RUN_FN = "trainer.promo_task.run_fn"  # the prompt stage on the frozen base


def custom_configs(
    *, cold_threshold: int, alpha: float, beta: float, seed: int, epochs: Optional[int], variant: str,
    whole_history: bool = False, base_patience: int = 0,
) -> Dict[str, Dict[str, Any]]:
    """The three components' ``custom_config`` dicts, keyed by :func:`pipeline.pipeline.create_pipeline`'s
    parameters (``create_pipeline(..., **custom_configs(...))``); every runner builds them here.

    ``cold_threshold``, ``alpha``, ``beta``: the dataset's (its prepared summary, or data.datasets.CONFIGS);
    ``seed``: Transform's negative-user sampling and both Trainers'; ``epochs``: both Trainers' (None: each its own
    default, TrainingConfig's 10 for the base and PromoConfig's 3 for the prompt stage); ``variant``: what the
    prompt-stage Trainer produces (trainer/variants.py); ``whole_history``: Transform keeps up to MAX_HISTORY
    history items and the base's user tower reads them all (TrainingConfig.history_bag; the examples must carry
    them: data.prepare's --history-length 100); ``base_patience``: the base stops after that many epochs without a
    higher val_catalogue_recall@10 and keeps its best epoch's weights (TrainingConfig.patience; 0, the default: off).
    create_pipeline adds each component's code hash.
    """
    seed = int(seed)
    epoch_setting = {} if epochs is None else {"epochs": int(epochs)}
    transform_whole, base_whole = ({"whole_history": True}, {"history_bag": True}) if whole_history else ({}, {})
    base_stopping = {"patience": int(base_patience)} if base_patience else {}
    return {
        # transforms.preprocessing.preprocessing_fn
        "transform_config": {"cold_threshold": int(cold_threshold), "alpha": alpha, "beta": beta, "seed": seed, **transform_whole},
        # trainer.task.TrainingConfig
        "training_config": {**epoch_setting, "seed": seed, **base_whole, **base_stopping},
        # trainer.promo_model.PromoConfig
        "promo_config": {"variant": variant, **epoch_setting, "seed": seed},
    }


def pipeline_name(dataset: str) -> str:
    """The pipeline's name for one dataset (its artifacts live under <root>/tfx/<name>/)."""
    return f"{PIPELINE_NAME}-{dataset}"


# The Evaluator's gate (pipeline/pipeline.py, eval_config; docs/evaluator.md). It ranks every query of the ranking
# eval set (an eval positive among data.examples.RANKING_NEGATIVES items the user never touched) and blesses a model,
# which the Pusher then pushes, only when all of these hold:
RANKING_CUTOFF = 10  # K of the gated NDCG@K (the paper's HR/NDCG@10)
# overall NDCG@10 at least this. Ranking at random scores about 0.045 with 100 negatives. It alone gates a first
# run, which has no blessed model to compare with.
MIN_NDCG = 0.1
# against the latest blessed model (the baseline), overall NDCG@10 and the cold queries' NDCG@10 each lower by at
# most this much (absolute). Retraining with another seed moves cold NDCG@10 by about 0.011 on ML-100K (std over
# 5 seeds, README's quality table); the base alone in place of PROMO-LS loses about 0.3 there.
NDCG_TOLERANCE = 0.02
# CatalogueEvaluator (pipeline/catalogue_evaluator.py) then also needs the whole-catalogue recall@RANKING_CUTOFF of
# recommend's lists, overall and on cold targets, no lower than the baseline's by more than CATALOGUE_Z standard
# errors of the paired per-target difference (evaluation/catalogue.py: no_worse). On ML-100K eval (942 targets, 170
# cold) two bases of different seeds differ by 0.2 points overall and 0.0 cold, against 2 SE = 2.4 and 2.9 points;
# the seed std of recall there is ~0.6 points (docs/evaluator.md), so retraining passes and a model losing a few
# points (the old pointwise base lost 6.5) does not.
CATALOGUE_Z = 2.0


def local_beam_args(workers: int = 1, log_level: str = "WARNING") -> list:
    """Beam DirectRunner in multi-processing mode; ``workers=0`` means one worker per core."""
    return [
        "--direct_running_mode=multi_processing",
        f"--direct_num_workers={workers or multiprocessing.cpu_count()}",
        f"--default_sdk_harness_log_level={log_level}",
    ]
