"""Compiles the same pipeline (pipeline/pipeline.py) to a KFP v2 pipeline JSON for Vertex AI Pipelines.

    python -m data.prepare --dataset ml-100k --out prepared/ml-100k
    gsutil -m cp -r prepared/ml-100k gs://BUCKET/promo/data/ml-100k
    python kubeflow_v2_runner.py --image gcr.io/PROJECT/promo-tfx:0.1.0 --project PROJECT --region us-central1 \\
        --pipeline-root gs://BUCKET/promo/root --data-root gs://BUCKET/promo/data/ml-100k \\
        --serving-model-dir gs://BUCKET/promo/serving_model/promo --dataflow --temp-location gs://BUCKET/promo/tmp

Writes ``promo_pipeline.json`` (``--output``); submit it with the Vertex AI SDK (see docs/scaling.md). Without
``--dataflow`` the Beam components run with the DirectRunner inside their own containers. Files the tasks read
are named as the image holds them (the schema: ``--schema-path``, default ``/promo/pipeline/schema/schema.pbtxt``),
so the JSON holds no path of the machine that compiled it. Resources: each Trainer's task asks Vertex for
``--trainer-cpu`` vCPUs and ``--trainer-memory-gb`` GB (4 and 16: the prompt stage's peak at 10M interactions is
the issue's 16 GiB target); Dataflow workers are ``--machine-type`` (n1-standard-4) with ``--disk-size-gb`` (50).
The compiled tasks can be run here, as compiled, by pipeline/kfp_launcher.py.
Compiling reaches no cloud service except, for a ``gs://`` pipeline root, the bucket itself.
"""
from __future__ import annotations

import argparse
import os
import sys

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.datasets import CONFIGS, LOADERS
from data.prepare import at_least
from pipeline import configs
from trainer.variants import DEFAULT_VARIANT, VARIANTS

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True, help="pipeline image (see Dockerfile)")
    parser.add_argument("--project", required=True, help="Google Cloud project")
    parser.add_argument("--region", required=True, help="Google Cloud region, e.g. us-central1")
    parser.add_argument("--pipeline-root", required=True, help="artifact root, e.g. gs://BUCKET/promo/root")
    parser.add_argument("--data-root", required=True, help="prepared dataset folder (its examples/ subfolder is read)")
    parser.add_argument("--serving-model-dir", required=True, help="where the Pusher writes versioned models")
    parser.add_argument("--dataset", default="ml-100k", choices=sorted(LOADERS), help="sets the cold threshold and Eq. 4 weights")
    parser.add_argument("--variant", default=DEFAULT_VARIANT, choices=VARIANTS)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of both Trainers (default: 10 for the base, 3 for the prompt stage)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whole-history", action="store_true",
                        help="Transform keeps up to 100 history items and the base's user tower reads them all (prepare "
                             "the examples with `python -m data.prepare --history-length 100`; local_runner.py "
                             "--whole-history does both)")
    parser.add_argument("--base-patience", type=at_least(0), default=0, metavar="N",
                        help="stop the base after N epochs without a higher whole-catalogue recall@10 on eval, keeping its best "
                             "epoch's weights (default 0: off, every epoch; docs/model.md)")
    parser.add_argument("--dataflow", action="store_true", help="run Beam components on Dataflow")
    parser.add_argument("--temp-location", default=None, help="Dataflow temp location (gs://...); required with --dataflow")
    parser.add_argument("--max-workers", type=int, default=4, help="Dataflow autoscaling limit")
    parser.add_argument("--machine-type", default="n1-standard-4",
                        help="Dataflow workers' machine type (Transform's analyzers hold a vocabulary per worker)")
    parser.add_argument("--disk-size-gb", type=int, default=50, help="Dataflow workers' disk (GB)")
    parser.add_argument("--trainer-cpu", type=float, default=4.0,
                        help="vCPUs of each Trainer's task on Vertex (the container's cpu limit)")
    parser.add_argument("--trainer-memory-gb", type=float, default=16.0,
                        help="memory of each Trainer's task on Vertex, GB (the container's memory limit)")
    parser.add_argument("--output", default="promo_pipeline.json", help="where the pipeline JSON is written")
    parser.add_argument("--schema-path", default=configs.IMAGE_SCHEMA_PATH,
                        help="the curated schema's path inside --image (default: where the Dockerfile puts it)")
    return parser.parse_args(argv)


def beam_args(args: argparse.Namespace) -> list:
    if not args.dataflow:
        return [f"--project={args.project}", "--direct_running_mode=multi_processing", "--direct_num_workers=0"]
    if not args.temp_location:
        raise SystemExit("--temp-location is required with --dataflow")
    return [
        "--runner=DataflowRunner", f"--project={args.project}", f"--region={args.region}",
        f"--temp_location={args.temp_location}", f"--max_num_workers={args.max_workers}",
        f"--sdk_container_image={args.image}", f"--machine_type={args.machine_type}",
        f"--disk_size_gb={args.disk_size_gb}",
    ]


def trainer_resources(args: argparse.Namespace) -> dict:
    """{Trainer id: ResourceSpec}: the machine Vertex gives each Trainer's task (vCPU and GB of memory limits)."""
    from kfp.pipeline_spec import pipeline_spec_pb2

    spec = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec(
        cpu_limit=args.trainer_cpu, memory_limit=args.trainer_memory_gb
    )
    return {name: spec for name in ("BaseTrainer", "PromoTrainer")}


def main(argv=None) -> int:
    args = parse_args(argv)
    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    dataset = CONFIGS[args.dataset]  # what the local runner reads from the prepared summary
    pipeline = create_pipeline(
        pipeline_name=configs.pipeline_name(args.dataset),
        pipeline_root=args.pipeline_root,
        examples_dir=os.path.join(args.data_root, "examples"),
        serving_model_dir=args.serving_model_dir,
        **configs.custom_configs(
            cold_threshold=dataset.cold_threshold, alpha=dataset.alpha, beta=dataset.beta, seed=args.seed,
            epochs=args.epochs, variant=args.variant, whole_history=args.whole_history, base_patience=args.base_patience,
        ),
        beam_pipeline_args=beam_args(args),
        schema_path=args.schema_path,  # read in the container: not this checkout's path
        platform_configs=trainer_resources(args),
    )
    output_dir, output_file = os.path.split(os.path.abspath(args.output))
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=args.image),
        output_dir=output_dir,
        output_filename=output_file,
    )
    runner.run(pipeline)
    print(f"[kubeflow] wrote {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
