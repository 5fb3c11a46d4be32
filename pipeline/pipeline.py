"""The PROMO TFX pipeline, defined once for every runner (local, Kubeflow, Vertex).

ImportExampleGen (train/eval/test folders of prepared, typed tf.Examples and the eval_ranking folder, copied in
their order by pipeline/example_gen.py) -> StatisticsGen (train/eval/test) -> ImportSchemaGen (the curated schema in
pipeline/schema) -> ExampleValidator; Transform (vocabularies, feature bags, history, cold flag, pinnacle tables;
analyzed on train only, eval_ranking left out) -> BaseTrainer (the pre-trained two-tower base) -> PromoTrainer (the
base frozen, PROMO's prompt stage on top; its ``base_model`` input chains the two) -> Evaluator ->
CatalogueEvaluator (the whole-catalogue view, pipeline/catalogue_evaluator.py) -> Pusher
(``<serving_model_dir>/<version>/``, pushed only when both blessed).

The Evaluator ranks eval_ranking's queries (each eval positive among sampled never-touched items, data/examples.py)
and reports NDCG@10, the positive's mean rank, AUC and example counts, overall and by the query's cold flag. It
blesses on NDCG@10: a floor, and no worse (within a tolerance) than the latest blessed model, overall and on cold
queries; that baseline comes from a Resolver (LatestBlessedModelStrategy, as TFX's taxi template), which reads
CatalogueEvaluator's blessings: the verdict that decides the push. CatalogueEvaluator then scores what a deployment
shows, recommend's top 10 of the whole catalogue, against the same baseline. Thresholds:
pipeline/configs.py; details: docs/evaluator.md. The test split is left to the benchmarks.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import tensorflow_model_analysis as tfma
from google.protobuf.wrappers_pb2 import BoolValue
from tfx import v1 as tfx

from data.examples import EVAL_RANKING, QUERY_ID, QUERY_IS_COLD
from pipeline import code_version, configs
from pipeline.catalogue_evaluator import CatalogueEvaluator
from pipeline.example_gen import OrderPreservingImportExampleGen
from pipeline.pusher import UnchangedModelPusher
from transforms import features as F

CATALOGUE_EVALUATOR = "CatalogueEvaluator"
RANKING_SIGNATURE = "rank_tf_example"  # trainer/export.py: the listwise ranking set's scores
SPLITS = ("train", "eval", "test")  # what StatisticsGen, Transform and the Trainers see; not EVAL_RANKING


def eval_config() -> tfma.EvalConfig:
    """What the Evaluator computes on the ranking eval set and when it blesses (thresholds: pipeline/configs.py).

    Each query is one listwise example (data/tfrecords.py): the model's ``rank_tf_example`` scores its candidates
    (``score`` [candidates]) and ``label`` lists their labels. Per query (``query_key``: one example):
    NDCG@RANKING_CUTOFF with the label as gain (one relevant item, so 1/log2(rank + 1) within the cutoff, as
    evaluation/metrics.py) and MinLabelPosition (the positive's mean rank, 1 = first); ExampleCount (queries); AUC
    over every (candidate, label) pair. Overall and sliced on the query's cold flag.
    The gate is on NDCG only: overall at least MIN_NDCG, and overall and on cold queries at most NDCG_TOLERANCE
    below the baseline model's; TFX ignores change thresholds when there is no baseline (a first run).
    """
    no_worse = tfma.MetricThreshold(
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -configs.NDCG_TOLERANCE}
        )
    )
    overall_gate = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": configs.MIN_NDCG}),
        change_threshold=no_worse.change_threshold,
    )
    cold_queries = tfma.SlicingSpec(feature_values={QUERY_IS_COLD: "1"})
    return tfma.EvalConfig(
        # The metrics below only: the model's own compiled Keras metrics need transformed inputs TFMA lacks.
        options=tfma.Options(include_default_metrics=BoolValue(value=False)),
        model_specs=[tfma.ModelSpec(signature_name=RANKING_SIGNATURE, label_key=F.LABEL, prediction_key="score")],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=[QUERY_IS_COLD])],
        metrics_specs=[
            tfma.MetricsSpec(metrics=[tfma.MetricConfig(class_name="ExampleCount"), tfma.MetricConfig(class_name="AUC")]),
            tfma.MetricsSpec(
                query_key=QUERY_ID,
                binarize=tfma.BinarizationOptions(top_k_list={"values": [configs.RANKING_CUTOFF]}),
                metrics=[
                    tfma.MetricConfig(
                        class_name="NDCG",
                        config=json.dumps({"gain_key": F.LABEL}),
                        per_slice_thresholds=[
                            tfma.PerSliceMetricThreshold(slicing_specs=[tfma.SlicingSpec()], threshold=overall_gate),
                            tfma.PerSliceMetricThreshold(slicing_specs=[cold_queries], threshold=no_worse),
                        ],
                    ),
                    tfma.MetricConfig(class_name="MinLabelPosition"),
                ],
            ),
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
    enable_cache: bool = True,
    platform_configs: Optional[Dict[str, Any]] = None,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline over prepared examples in ``examples_dir/{train,eval,test,eval_ranking}/*.tfrecord.gz``.

    ``transform_config``: the preprocessing_fn's custom_config (cold_threshold, alpha, beta, seed);
    ``training_config``: the base Trainer's (trainer.task.TrainingConfig); ``promo_config``: the prompt
    stage's (trainer.promo_model.PromoConfig); pipeline.configs.custom_configs builds all three. Each of these
    components' custom_config also gets ``code_version``, the hash of the sources it runs
    (pipeline/code_version.py), so that the cache reruns it after a code edit. ``platform_configs``: per component
    id, the platform config its orchestrator reads (KFP v2 / Vertex: a PipelineContainerSpec.ResourceSpec, the
    task's vCPU, GB of memory and accelerator; kubeflow_v2_runner.py sets the Trainers').
    """
    transform_config = {**transform_config, code_version.KEY: code_version.code_version(code_version.TRANSFORM_SOURCES)}
    trainer_code = {code_version.KEY: code_version.code_version(code_version.TRAINER_SOURCES)}
    example_gen = OrderPreservingImportExampleGen(
        input_base=examples_dir,
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name=s, pattern=f"{s}/*.tfrecord.gz") for s in (*SPLITS, EVAL_RANKING)]
        ),
    ).with_id("ImportExampleGen")
    # The ranking eval set repeats eval's users and features; its query columns are not in the schema.
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"], exclude_splits=[EVAL_RANKING])
    schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=configs.PREPROCESSING_FN,
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=list(SPLITS)),
        custom_config=transform_config,
        # Transform's own TFDV statistics of its input and output (and their anomalies): nothing reads them here.
        # StatisticsGen and ExampleValidator check the input, the Trainers take the feature spec from the graph.
        disable_statistics=True,
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
    model_resolver = tfx.dsl.Resolver(  # the latest blessed model (None on a first run): both evaluators' baseline
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        # the final verdict only (the Evaluator's own blessing may bless a model CatalogueEvaluator refused)
        model_blessing=tfx.dsl.Channel(
            type=tfx.types.standard_artifacts.ModelBlessing, producer_component_id=CATALOGUE_EVALUATOR, output_key="blessing"
        ),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=promo_trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"],
        eval_config=eval_config(),
        example_splits=[EVAL_RANKING],
    )
    catalogue_evaluator = CatalogueEvaluator(
        examples=example_gen.outputs["examples"],
        model=promo_trainer.outputs["model"],
        evaluator_blessing=evaluator.outputs["blessing"],
        baseline_model=model_resolver.outputs["model"],
        cutoff=configs.RANKING_CUTOFF,
        z=configs.CATALOGUE_Z,
        code_version=code_version.code_version(code_version.CATALOGUE_EVALUATOR_SOURCES),
    ).with_id(CATALOGUE_EVALUATOR)
    pusher = UnchangedModelPusher(
        model=promo_trainer.outputs["model"],
        model_blessing=catalogue_evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)
        ),
    ).with_id("Pusher")
    components = [
        example_gen, statistics_gen, schema_gen, example_validator, transform, base_trainer, promo_trainer,
        model_resolver, evaluator, catalogue_evaluator, pusher,
    ]
    unknown = set(platform_configs or {}) - {component.id for component in components}
    if unknown:
        raise ValueError(f"platform_configs names components the pipeline does not have: {sorted(unknown)}")
    for component in components:
        if component.id in (platform_configs or {}):
            component.with_platform_config(platform_configs[component.id])
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=components,
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args or [],
    )
