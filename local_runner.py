"""Runs the PROMO pipeline on this machine (LocalDagRunner, SQLite metadata, Beam DirectRunner).

    python local_runner.py                         # real MovieLens-100K, fetched and cached
    python local_runner.py --quick                 # one epoch: a fast end-to-end check
    python local_runner.py --dataset ml-1m --data-dir /path/to/ml-1m
    python local_runner.py --dataset synthetic --output-root /tmp/promo

Outputs under --output-root (default ./runs): data/<dataset>/ (prepared examples and Table-1 summary),
tfx/ (pipeline artifacts), metadata/ (ML Metadata SQLite), serving_model/<model>/<version>/ (pushed models),
timings-<dataset>.json (wall time of each component in the last run). A second run reuses cached artifacts.

It prints a line as each component starts and ends, real warnings and errors, and ends with a summary
(pipeline/summary.py): the Evaluator's verdict and metrics, the pushed model, the next commands. The stack's known
noise (promo_env.KNOWN_NOISE) is kept out unless --verbose.

One run writes an output root at a time: a second ``local_runner.py`` or ``trainer.refresh`` on the same root is
refused at once, naming the running one (data/outputs.py); the lock goes with the run, however it ends.

Exit status: 0 the run's model is blessed and pushed; 3 the Evaluator refused it (nothing pushed; TF Serving keeps
an earlier run's version if there is one); 2 bad input data; 75 another run is writing the same output root;
130 interrupted (Ctrl-C); 1 any other failure.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

import promo_env  # (must precede TensorFlow)
from data import datasets
from data.errors import DataError, reported
from data.outputs import check_output_folder, exclusive, folder_lock, root_lock
from data.prepare import PrepareSettings, at_least, prepare, summary_markdown
from transforms.features import HISTORY_LENGTH, MAX_HISTORY  # names and sizes: no TensorFlow import
from pipeline import artifacts, configs
from pipeline.interrupt import EXIT_CODE, StopOnInterrupt, exit_now
from pipeline.progress import ComponentProgress
from pipeline.relocation import relocate
from trainer.variants import DEFAULT_VARIANT, VARIANTS

NOT_BLESSED = 3  # exit status of a run whose model the Evaluator refused, whether or not an earlier one is served


def ran_to_the_end(status: int) -> bool:
    """Whether a :func:`main` status is a run that finished every component (its model blessed or refused): what
    the benchmarks need, which read the run's Transform and Trainer outputs, not its verdict."""
    return status in (0, NOT_BLESSED)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k", choices=sorted(datasets.LOADERS))
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's published files")
    parser.add_argument("--output-root", default="runs", help="where data, artifacts and models go")
    parser.add_argument("--quick", action="store_true", help="train one epoch (fast end-to-end check)")
    parser.add_argument("--epochs", type=at_least(1), default=None,
                        help="epochs of both Trainers (default: 10 for the base, 3 for the prompt stage; 1 with --quick)")
    parser.add_argument("--variant", default=DEFAULT_VARIANT, choices=VARIANTS,
                        help="what the prompt-stage Trainer produces (default PROMO-LS; promo: the paper's PROMO)")
    parser.add_argument("--seed", type=at_least(0), default=0)
    parser.add_argument("--whole-history", action="store_true",
                        help="examples carry up to 100 earlier likes and the base's user tower reads them all beside the "
                             "last 20 (off by default: no gain on ML-100K's eval split; docs/model.md)")
    parser.add_argument("--base-patience", type=at_least(0), default=0, metavar="N",
                        help="stop the base after N epochs without a higher whole-catalogue recall@10 on eval, keeping its best "
                             "epoch's weights (default 0: off, every epoch; docs/model.md)")
    parser.add_argument(
        "--beam-workers", type=at_least(0), default=1,
        help="Beam DirectRunner worker processes (0 = one per core)",
    )
    parser.add_argument("--metadata-config", default=None, metavar="FILE",
                        help="an ML Metadata ConnectionConfig in text format (e.g. a MySQL server's) to keep the run's "
                             "metadata in, instead of SQLite under the output root; recorded there, so later runs, the "
                             "refresh and the summary use it too (docs/robustness.md)")
    parser.add_argument("--no-cache", action="store_true", help="rerun every component instead of reusing results")
    parser.add_argument("--verbose", action="store_true", help="show everything: INFO logs of TFX, Beam and TensorFlow, and the known noise "
                             "(promo_env.KNOWN_NOISE) that is kept out by default")
    return parser.parse_args(argv)


def quiet_logs(verbose: bool) -> None:
    """Routes log records to stderr at WARNING and above, without promo_env's known noise; with ``verbose``,
    every record from INFO up, and TensorFlow's C++ log and the known warnings too (promo_env.show_everything).

    Installing the root handler first also turns Beam's later ``logging.basicConfig`` into a no-op.
    """
    if verbose:
        promo_env.show_everything()
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_promo", False)]
    if not ours:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        handler._promo = True
        root.addHandler(handler)
        ours = [handler]
    for handler in root.handlers:
        handler.setLevel(logging.INFO if verbose else logging.WARNING)
    ours[0].filters = [] if verbose else [promo_env.NoiseFilter()]


def main(argv=None) -> int:
    """Prepares the data and runs the pipeline; returns the exit status, EXIT_CODE (130) after Ctrl-C (SIGINT).

    Ctrl-C stops the run within seconds whatever is running (pipeline/interrupt.py); a rerun of the same command
    reuses what finished before it.
    """
    progress = ComponentProgress()
    interrupt = StopOnInterrupt(lambda: progress.current)
    try:
        with interrupt:
            args = parse_args(argv)
            return reported(lambda: run(args, progress))
    except BaseException:
        if not interrupt.interrupted:
            raise
        # TensorFlow and Keras code turn some KeyboardInterrupts into other errors on their way out: after a
        # Ctrl-C, whatever ends the run is the Ctrl-C.
        interrupt.announce()
        return EXIT_CODE


def run(args: argparse.Namespace, progress: ComponentProgress) -> int:
    """Checks the output root, then holds its lock and its data folder's for the whole run (:func:`run_locked`)."""
    quiet_logs(args.verbose)
    check_output_folder(args.output_root, "--output-root")
    root = os.path.abspath(args.output_root)
    data_dir = os.path.join(root, "data", args.dataset)
    with exclusive(root_lock(root), args.output_root, "--output-root"), \
            exclusive(folder_lock(data_dir), args.output_root, "--output-root"):
        return run_locked(args, progress, root, data_dir)


def check_baseline(serving_root: str) -> None:
    """Refuses, before anything runs, an output root whose newest pushed model (the latest blessed one, the
    Evaluator's baseline) lacks the signature the Evaluator calls (pipeline/pipeline.py: RANKING_SIGNATURE): exported
    by code older than data format 7 (one listwise example per query), it cannot score the ranking set, and the
    Evaluator would fail after the Trainers."""
    newest = artifacts.pushed_model_dir(serving_root)
    if newest is None:  # a first run: nothing to check, and no TFX import before the first line
        return
    from pipeline.pipeline import RANKING_SIGNATURE
    from pipeline.summary import signature_names

    if RANKING_SIGNATURE not in signature_names(newest):
        raise DataError(newest, f"this pushed model has no {RANKING_SIGNATURE} signature: older code exported it, and the "
                        "Evaluator calls that signature on its baseline (the latest blessed model) too. Use a new "
                        "--output-root, or move this one's serving_model/ and metadata/ folders aside (the next run then "
                        "has no baseline, as a first run)")


def run_locked(args: argparse.Namespace, progress: ComponentProgress, root: str, data_dir: str) -> int:
    if args.metadata_config:  # refused before anything runs
        artifacts.read_connection_config(args.metadata_config)
    relocate(root)  # a moved or copied output root reads (and caches) its own files, not the original's
    check_baseline(os.path.join(root, "serving_model", configs.MODEL_NAME))
    settings = PrepareSettings(dataset=args.dataset, data_dir=args.data_dir, seed=args.seed,
                               history_length=MAX_HISTORY if args.whole_history else HISTORY_LENGTH)
    print(f"[data] preparing {args.dataset} ...", flush=True)
    summary = prepare(settings, data_dir)
    print(summary_markdown(summary), flush=True)

    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline
    from pipeline.summary import run_blessed, run_summary

    pipeline_name = configs.pipeline_name(args.dataset)
    serving_root = os.path.join(root, "serving_model", configs.MODEL_NAME)
    epochs = args.epochs or (1 if args.quick else None)  # None: each Trainer's own default
    pipeline = create_pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=os.path.join(root, "tfx", pipeline_name),
        examples_dir=os.path.join(root, "data", args.dataset, "examples"),
        serving_model_dir=serving_root,
        **configs.custom_configs(
            cold_threshold=summary["cold_threshold"], alpha=summary["alpha"], beta=summary["beta"], seed=args.seed,
            epochs=epochs, variant=args.variant, whole_history=args.whole_history, base_patience=args.base_patience,
        ),
        beam_pipeline_args=configs.local_beam_args(args.beam_workers, "INFO" if args.verbose else "WARNING"),
        metadata_connection_config=artifacts.pipeline_connection(root, pipeline_name, args.metadata_config),
        enable_cache=not args.no_cache,
    )
    started = time.monotonic()
    with progress:
        tfx.orchestration.LocalDagRunner().run(pipeline)
    total = time.monotonic() - started
    with open(os.path.join(root, f"timings-{args.dataset}.json"), "w") as handle:
        json.dump({"components_s": progress.timings, "cached": sorted(progress.cached), "total_s": total}, handle, indent=2)
    print(f"[pipeline] done in {total:.1f} s", flush=True)

    print(run_summary(root, args.dataset, args.data_dir, args.variant), flush=True)
    return 0 if run_blessed(root, args.dataset) else NOT_BLESSED


if __name__ == "__main__":
    status = main()
    if status == EXIT_CODE:
        exit_now(status)  # not the interpreter's exit: it would spend seconds collecting TensorFlow's objects
    sys.exit(status)
