"""The TFX Trainer entry point (``run_fn``) for the pre-trained two-tower base model.

Two objectives (``TrainingConfig.objective``): ``softmax``, the default, a softmax over the whole catalogue on the
training positives (trainer/base_retrieval.py); ``pointwise``, the earlier base's binary cross-entropy on logged and
sampled negatives (trainer/base_model.py: compile_for_training), kept for the tables.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

from trainer.base_model import (
    MODEL_INPUTS, TowerConfig, VocabularySizes, adam, build_two_tower, compile_for_training,
)
from trainer.base_retrieval import BaseRetrieval, uses_full_softmax
from trainer.catalogue_recall import catalogue_recall
from trainer.export import export_serving_model
from trainer.inputs import DatasetFactory, file_dataset_factory, transformed_dataset
from trainer.memory_input import TrainingRows, read_training_rows, replayed_batches
from trainer.reproducibility import make_reproducible
from transforms import features as F


@dataclasses.dataclass(frozen=True)
class TrainingConfig(TowerConfig):
    """Trainer hyperparameters: the tower sizes (TowerConfig's fields) and the ones below. The pipeline passes
    them as the Trainer's ``custom_config``, one flat dict (keys it does not know, e.g. ``code_version``, ignored)."""

    objective: str = "softmax"  # or "pointwise" (module docstring)
    temperature: float = 0.2  # T of the softmax objective
    epochs: int = 10
    batch_size: int = 1024  # transformed examples per step (the softmax objective uses their positives, ~1 in 5.6)
    learning_rate: float = 2e-3
    # Adam's decoupled weight decay (Keras' weight_decay: every step, each weight -= weight * lr * weight_decay);
    # 0: none. Tried on eval, not adopted (benchmarks/results/tune-ml-100k-eval-base.md).
    weight_decay: float = 0.0
    # Epochs without a higher val_catalogue_recall@10 after which training stops, keeping the weights of the epoch
    # that scored highest (best_epoch_stopping); 0: off, every epoch, the last epoch's weights.
    patience: int = 0
    seed: int = 0

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if self.patience < 0:
            raise ValueError(f"patience must be 0 (off) or a number of epochs, got {self.patience}")

    @classmethod
    def from_custom_config(cls, custom_config: Dict[str, Any]) -> "TrainingConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (custom_config or {}).items() if k in known})

    def tower_config(self) -> TowerConfig:
        return TowerConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(TowerConfig)})


OBJECTIVES = ("softmax", "pointwise")


def training_logs(fn_args: tfx.components.FnArgs) -> tf.keras.callbacks.TensorBoard:
    """The Trainer's TensorBoard logs (losses and metrics per epoch), in its ``model_run`` output, where TFX and
    `tensorboard --logdir` look for them."""
    return tf.keras.callbacks.TensorBoard(fn_args.model_run_dir, update_freq="epoch", profile_batch=0)


def best_epoch_stopping(patience: int) -> List[tf.keras.callbacks.Callback]:
    """Keras' EarlyStopping on the epoch-end whole-catalogue recall (trainer/catalogue_recall.py, which must come
    before it in the fit's callbacks): training stops once ``patience`` epochs have passed without a higher
    val_catalogue_recall@10, and the model ends with the weights of the epoch that scored highest,

        e* = argmax_e val_catalogue_recall@10(e),   weights = weights after epoch e*   (first e* of ties),

    so the exported model is the one that recommends best on eval; none when ``patience`` is 0 (every epoch, the
    last epoch's weights)."""
    if not patience:
        return []
    return [tf.keras.callbacks.EarlyStopping(monitor="val_catalogue_recall@10", mode="max", patience=patience,
                                             restore_best_weights=True, verbose=1)]


def trainable_base(model: tf.keras.Model, config: TrainingConfig, rows: TrainingRows) -> tf.keras.Model:
    """The two-tower ``model`` ready to fit with ``config.objective`` on batches of ``rows``: compiled for the
    pointwise loss, or wrapped in the softmax objective over ``rows``' item feature table (with each item's training
    positives as the in-batch path's sampling correction) and compiled."""
    if config.objective == "pointwise":
        return compile_for_training(model, config.learning_rate, config.weight_decay)
    counts = None
    if not uses_full_softmax(len(rows.item_features)):
        counts = np.bincount(rows.likes[1], minlength=len(rows.item_features))
    trained = BaseRetrieval(model, rows.item_features, counts, config.temperature)
    trained.compile(optimizer=adam(config.learning_rate, config.weight_decay))
    return trained


def train_base_model(
    tf_transform_output, train_files: List[str], eval_files: List[str], config: TrainingConfig, callbacks=(),
    dataset_factory: DatasetFactory = file_dataset_factory, rows: Optional[TrainingRows] = None,
) -> tf.keras.Model:
    """Trains the two-tower base on ``train_files`` with ``config.objective``, validating on ``eval_files`` after each
    epoch (with the Keras ``callbacks``: the same objective on both, and the whole-catalogue recall@10 of
    trainer/catalogue_recall.py on eval; with ``config.patience``, stopping at the best epoch: :func:`best_epoch_stopping`),
    reading both through ``dataset_factory`` (trainer/inputs.py); ``rows``: the training rows in memory when the caller has them (trainer/memory_input.py:
    the positives for the softmax objective, every row for the pointwise one), else read here. Training replays the
    batches the shuffled files give from them; their item feature table is the softmax objective's catalogue.
    Returns the two-tower model (what is exported)."""
    make_reproducible(config.seed)
    width = tf_transform_output.transformed_feature_spec()[F.HISTORY_INDICES].shape[0]
    if config.history_bag and width < F.MAX_HISTORY:
        raise ValueError(f"history_bag reads the whole history, but Transform kept the last {width} items only: "
                         "run the pipeline with --whole-history (local_runner.py, kubeflow_v2_runner.py)")
    evaluation = transformed_dataset(eval_files, tf_transform_output, config.batch_size, MODEL_INPUTS, False, dataset_factory=dataset_factory)
    model = build_two_tower(VocabularySizes.from_transform_output(tf_transform_output), config.tower_config())
    pointwise = config.objective == "pointwise"
    if rows is None or (pointwise and not rows.keep_all):
        rows = read_training_rows(tf_transform_output, train_files, pointwise, dataset_factory)
    recall = catalogue_recall(model, model.get_layer("user_tower"), model.get_layer("item_tower"), tf_transform_output,
                              eval_files, rows.likes, rows.item_features, dataset_factory)
    trained = trainable_base(model, config, rows)
    train = replayed_batches(rows, train_files, config.batch_size, config.seed, MODEL_INPUTS)
    # the recall first: the callbacks after it (early stopping, TensorBoard) see it in the epoch's logs
    trained.fit(train, epochs=config.epochs, validation_data=evaluation, verbose=2,
                callbacks=[recall, *best_epoch_stopping(config.patience), *callbacks])
    return model


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """Trains the base model on the transformed train split, validates on eval, exports for serving; every read of
    the examples goes through the Trainer's ``data_accessor``."""
    config = TrainingConfig.from_custom_config(fn_args.custom_config)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    factory = fn_args.data_accessor.tf_dataset_factory
    # The training rows the objective trains on and each item's training feature bag (the softmax's catalogue and
    # the recommend index: this model keeps it nowhere), in one pass.
    rows = read_training_rows(tf_transform_output, fn_args.train_files, config.objective == "pointwise", factory)
    model = train_base_model(
        tf_transform_output, fn_args.train_files, fn_args.eval_files, config, [training_logs(fn_args)], factory, rows,
    )
    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir, item_features=rows.item_features)
