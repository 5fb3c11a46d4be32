"""The PROMO TFX pipeline, defined once for every runner (local, Kubeflow, Vertex).

ImportExampleGen (train/eval/test folders of prepared, typed tf.Examples, copied in their order by
pipeline/example_gen.py) -> StatisticsGen -> ImportSchemaGen (the curated schema in pipeline/schema) -> ExampleValidator;
Transform (vocabularies, feature bags, history, cold flag, pinnacle tables; analyzed on train only) -> BaseTrainer
(the pre-trained two-tower base) -> PromoTrainer (the base frozen, PROMO's prompt stage on top; its ``base_model``
input chains the two) -> Evaluator (AUC on test, overall and by cold/warm) -> Pusher
(``<serving_model_dir>/<version>/``, pushed only when blessed).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import tensorflow_model_analysis as tfma
from google.protobuf.wrappers_pb2 import BoolValue
from tfx import v1 as tfx

from pipeline import code_version, configs
from pipeline.example_gen import OrderPreservingImportExampleGen
from transforms import features as F


def eval_config(min_auc: float = configs.MIN_AUC) -> tfma.EvalConfig:
    """AUC and example counts on the test split, overall and sliced by the Transform-computed cold flag."""
    return tfma.EvalConfig(
        # The metrics below only: the model's own compiled Keras metrics need transformed inputs TFMA lacks.
        options=tfma.Options(include_default_metrics=BoolValue(value=False)),
        model_specs=[
            tfma.ModelSpec(
                signature_name="serving_tf_example",
                preprocessing_function_names=["transform_features"],
                label_key=F.LABEL,
                prediction_key="score",
            )
        ],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=[F.IS_COLD])],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(class_name="ExampleCount"),
                    tfma.MetricConfig(
                        class_name="AUC",
                        threshold=tfma.MetricThreshold(
                            value_threshold=tfma.GenericValueThreshold(lower_bound={"value": min_auc})
                        ),
                    ),
                ]
            )
        ],
    )


def create_pipeline(
    pipeline_name: str,
    pipeline_root: str,
    examples_dir: str,
    serving_model_dir: str,
    transform_config: Dict[str, Any],
    training_config: Dict[str, Any],
    promo_config: Dict[str, Any],
    beam_pipeline_args: Optional[List[str]] = None,
    metadata_connection_config=None,
    schema_path: str = configs.SCHEMA_PATH,
    min_auc: float = configs.MIN_AUC,
    enable_cache: bool = True,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline over prepared examples in ``examples_dir/{train,eval,test}/*.tfrecord.gz``.

    ``transform_config``: the preprocessing_fn's custom_config (cold_threshold, alpha, beta, seed);
    ``training_config``: the base Trainer's (trainer.task.TrainingConfig); ``promo_config``: the prompt
    stage's (trainer.promo_model.PromoConfig); pipeline.configs.custom_configs builds all three. Each of these
    components' custom_config also gets ``code_version``, the hash of the sources it runs
    (pipeline/code_version.py), so that the cache reruns it after a code edit.
    """
    transform_config = {**transform_config, code_version.KEY: code_version.code_version(code_version.TRANSFORM_SOURCES)}
    trainer_code = {code_version.KEY: code_version.code_version(code_version.TRAINER_SOURCES)}
    example_gen = OrderPreservingImportExampleGen(
        input_base=examples_dir,
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name=s, pattern=f"{s}/*.tfrecord.gz") for s in ("train", "eval", "test")]
        ),
    ).with_id("ImportExampleGen")
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=configs.PREPROCESSING_FN,
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=["train", "eval", "test"]),
        custom_config=transform_config,
    )
    def trainer(run_fn: str, custom_config: Dict[str, Any], **base_model):
        return tfx.components.Trainer(
            run_fn=run_fn,
            examples=transform.outputs["transformed_examples"],
            transform_graph=transform.outputs["transform_graph"],
            schema=schema_gen.outputs["schema"],
            train_args=tfx.proto.TrainArgs(splits=["train"]),
            eval_args=tfx.proto.EvalArgs(splits=["eval"]),
            custom_config={**custom_config, **trainer_code},
            **base_model,
        )

    base_trainer = trainer(configs.RUN_FN, training_config).with_id("BaseTrainer")
    promo_trainer = trainer(configs.PROMO_RUN_FN, promo_config, base_model=base_trainer.outputs["model"]).with_id("PromoTrainer")
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=promo_trainer.outputs["model"],
        eval_config=eval_config(min_auc),
        example_splits=["test"],
    )
    pusher = tfx.components.Pusher(
        model=promo_trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)
        ),
    )
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=[
            example_gen, statistics_gen, schema_gen, example_validator, transform, base_trainer, promo_trainer,
            evaluator, pusher,
        ],
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args or [],
    )
