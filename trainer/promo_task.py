"""The prompt stage's TFX Trainer entry point (``run_fn``): the base model from the first Trainer, frozen,
tuned into PROMO (or one of its variants, or fine-tuned/left as is, or a learned cold-start baseline of
trainer/baselines/, for comparison) and exported."""
from __future__ import annotations

import dataclasses
import functools
import json
from typing import List

import tensorflow as tf
import tensorflow_transform as tft
from tensorflow import keras
from tfx import v1 as tfx

from trainer.base_model import MODEL_INPUTS, VocabularySizes, compile_for_training
from trainer.catalogue_recall import catalogue_recall
from trainer.baselines import build_baseline
from trainer.export import export_serving_model
from trainer.inputs import DatasetFactory, file_dataset_factory, transformed_dataset
from trainer.memory_input import TrainingRows, read_training_rows, replayed_batches
from trainer.reproducibility import make_reproducible
from trainer.retrieval import catalogue_features
from trainer.task import training_logs
from trainer.item_tables import TABLE_FEATURES, collect_item_tables
from trainer.optimizers import LazyAdam
from trainer.liker_space import liker_space
from trainer.promo_ls import LikerSpacePromo
from trainer.promo_model import PromoConfig, PromoModel
from trainer.variants import BASELINES, LIKER_SPACE
from transforms import features as F

CONFIG_FILE = "promo_config.json"  # the PromoConfig, saved in the model's assets.extra/ (read by trainer/refresh.py)


def load_base_model(path: str) -> keras.Model:
    """The pre-trained two-tower model exported by the base Trainer (trainer/task.py)."""
    return keras.models.load_model(path, compile=False)


def fine_tune(base: keras.Model, train: tf.data.Dataset, evaluation: tf.data.Dataset, config: PromoConfig, callbacks=()) -> keras.Model:
    """The Fine-tune baseline: every weight of ``base`` (a fresh copy, as loaded) trained further on L_rec."""
    base.trainable = True
    compile_for_training(base, config.learning_rate)
    base.fit(train, epochs=config.epochs, validation_data=evaluation, verbose=2, callbacks=list(callbacks))
    return base


def item_tables(tf_transform_output, train_files: List[str], dataset_factory: DatasetFactory = file_dataset_factory):
    """The per-item tables (trainer/item_tables.py) of the transformed training examples."""
    sizes = VocabularySizes.from_transform_output(tf_transform_output)
    print(f"[promo] collecting per-item pinnacle tables over {len(train_files)} file(s)", flush=True)
    dataset = transformed_dataset(train_files, tf_transform_output, 8192, TABLE_FEATURES, False, dataset_factory=dataset_factory)
    return collect_item_tables(dataset, sizes.items)


def training_liker_space(tf_transform_output, likes, config: PromoConfig):
    """The liker space (trainer/liker_space.py) of the training positives ``likes`` ((users, items):
    trainer/memory_input.py's TrainingRows.likes)."""
    sizes = VocabularySizes.from_transform_output(tf_transform_output)
    users, items = likes
    print(f"[promo] building the rank-{config.liker_rank} liker space over {len(users):,} training positives", flush=True)
    return liker_space(users, items, sizes.users, sizes.items, config.liker_rank, config.seed)


def config_json(config: PromoConfig) -> str:
    return json.dumps(dataclasses.asdict(config), indent=2)


def prompt_model(base: keras.Model, tf_transform_output, config: PromoConfig, rows: TrainingRows) -> keras.Model:
    """The prompt-stage model of ``config.variant`` (a prompt-tuning variant or a baseline, not ``pretrain`` or
    ``finetune``) over the frozen ``base``, built on the training ``rows``' per-item tables (read with
    ``with_item_tables``) and, for PROMO-LS, the liker space of their likes; compiled with LazyAdam
    (trainer/optimizers.py), ready to fit."""
    tables, likes = rows.item_tables, rows.likes
    if config.variant in BASELINES:
        model = build_baseline(base, tables, config, likes)
    elif config.variant == LIKER_SPACE:
        model = LikerSpacePromo(base, tables, training_liker_space(tf_transform_output, likes, config), config)
    else:
        model = PromoModel(base, tables, config)
    model.compile(optimizer=LazyAdam(config.learning_rate))
    return model


def train_prompt_stage(
    base: keras.Model, tf_transform_output, train_files: List[str], eval_files: List[str], config: PromoConfig,
    callbacks=(), dataset_factory: DatasetFactory = file_dataset_factory,
) -> keras.Model:
    """Returns the model of ``config.variant`` trained on ``train_files`` (validated on ``eval_files``);
    ``callbacks`` are Keras callbacks of the fit (benchmarks/warm_memory.py ranks with the model after each epoch),
    after the whole-catalogue recall@10 on eval (trainer/catalogue_recall.py; PROMO-LS at its served exposure);
    every read of the examples goes through ``dataset_factory`` (trainer/inputs.py)."""
    make_reproducible(config.seed)
    if config.variant == "pretrain":
        return base

    # every training row in memory and the per-item tables, in one pass (trainer/memory_input.py): the epochs
    # replay the shuffled files' batches
    print(f"[promo] reading the training rows and per-item tables from {len(train_files)} file pattern(s)", flush=True)
    rows = read_training_rows(tf_transform_output, train_files, True, dataset_factory,
                              with_item_tables=config.variant != "finetune")
    likes = rows.likes  # (users, items)

    def training(names):
        return replayed_batches(rows, train_files, config.batch_size, config.seed, names)

    def validation(names):
        return transformed_dataset(eval_files, tf_transform_output, config.batch_size, names, False, config.seed, dataset_factory)

    def recall(model, user_fn, item_fn, item_features):  # the first callback: later ones (TensorBoard) log it
        return [catalogue_recall(model, user_fn, item_fn, tf_transform_output, eval_files, likes, item_features, dataset_factory), *callbacks]

    if config.variant == "finetune":
        towers = base.get_layer("user_tower"), base.get_layer("item_tower")
        return fine_tune(base, training(MODEL_INPUTS), validation(MODEL_INPUTS), config, recall(base, *towers, rows.item_features))
    model = prompt_model(base, tf_transform_output, config, rows)
    names = MODEL_INPUTS + (F.IS_COLD,)
    train, evaluation = training(names), validation(names)
    first_batch, _ = next(iter(train))
    model({name: first_batch[name] for name in MODEL_INPUTS})  # records the serving inputs, which saving needs
    user_fn = model.user_embedding
    if config.variant == LIKER_SPACE:  # recall at the served operating point
        user_fn = functools.partial(model.user_embedding, exposure=config.cold_exposure)
    callbacks = recall(model, user_fn, model.item_embedding, rows.item_tables.features)
    model.fit(train, epochs=config.epochs, validation_data=evaluation, verbose=2, callbacks=callbacks)
    if config.variant == LIKER_SPACE:
        model.exposure.assign(config.cold_exposure)  # the served operating point (Eq. LS-6); trained at 1
    return model


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """Loads the base from the Trainer's ``base_model`` input, trains the prompt stage, exports it; every read of the
    examples goes through the Trainer's ``data_accessor``."""
    config = PromoConfig.from_custom_config(fn_args.custom_config)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    base = load_base_model(fn_args.base_model)
    factory = fn_args.data_accessor.tf_dataset_factory
    model = train_prompt_stage(
        base, tf_transform_output, fn_args.train_files, fn_args.eval_files, config, [training_logs(fn_args)], factory
    )
    export_serving_model(
        model, tf_transform_output, fn_args.serving_model_dir, {CONFIG_FILE: config_json(config)},
        item_features=catalogue_features(model, tf_transform_output, fn_args.train_files, factory),
    )
