"""Quality benchmark (issue "PROMO itself", §5): every model on real data, >= 3 seeds, the paper's protocol.

    python -m benchmarks.quality                       # ML-100K, seeds 0 1 2, every variant
    python -m benchmarks.quality --split eval          # the same on validation (for tuning; never tune on test)
    python -m benchmarks.quality --variants pretrain promo --seeds 0
    python -m benchmarks.quality --seeds 0 1 2 3 4 --jobs 2   # the models shared among 2 processes (2 cores)

Runs the pipeline once (cached after the first time) for the Transform output, then per seed trains the base
and every variant in-process with the pipeline's own training functions, exports each, and ranks the held-out
positives through the exported model's serving signature in three views (evaluation/protocol.py), beside
random, popularity, user-kNN, item-kNN and EASE rankers. Writes benchmarks/results/quality-<dataset>-<split>.{md,json} and
a score-histogram PNG (the paper's Fig. 2) for the base and PROMO. The numbers do not depend on --jobs: every model
is trained from its seed's base, seeded, in one process.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import time
from typing import Dict, List

import numpy as np
import pandas as pd

import promo_env  # noqa: F401
from data.errors import BAD_INPUT, BUSY, reported
import local_runner
from benchmarks import report
from benchmarks.paper import TABLE2_ML100K_COLD
from pipeline import configs
from pipeline.code_version import TRAINER_SOURCES, code_version
from pipeline.artifacts import latest_artifact, transformed_files
from data.examples import catalogue
from data.splits import cold_items
from evaluation.baselines import PopularityRanker, RandomRanker, UserKnnRanker, ease_ranker, item_knn_ranker
from evaluation.protocol import VIEWS, build_cases
from evaluation.scoring import SavedModelRanker, evaluate, flatten_cases

METRICS = ("HR@5", "HR@10", "NDCG@5", "NDCG@10")


def parse_args(argv=None):
    from trainer.variants import VARIANTS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--split", default="test", choices=["test", "eval"], help="held-out split to rank")
    parser.add_argument("--promo", default="{}", help="JSON overrides of PromoConfig, e.g. '{\"lambda2\": 0.5}'")
    parser.add_argument("--views", nargs="+", default=list(VIEWS), choices=VIEWS)
    parser.add_argument("--tag", default="", help="suffix for the results files")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes the (seed, model) tasks are shared among (training uses about one core: 2 on 2 cores)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def workbench_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every benchmark that trains on a pipeline run's output through a :class:`Workbench`."""
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--base-epochs", type=int, default=None, help="the base's epochs (default: TrainingConfig's)")
    parser.add_argument("--base-objective", default=None, choices=("softmax", "pointwise"),
                        help="the base's objective (default: TrainingConfig's, softmax; trainer/task.py)")
    parser.add_argument("--base", default="{}", help="JSON overrides of the base's TrainingConfig, e.g. '{\"history_bag\": true}'")
    parser.add_argument(
        "--reuse-run", action="store_true",
        help="read the last pipeline run's output as it is, without running the pipeline (which, after a trainer/ "
             "edit, first retrains and re-evaluates its own model; the Transform output is what is read)")


def base_overrides(args) -> Dict:
    """The TrainingConfig overrides of :func:`workbench_arguments`' --base-epochs, --base-objective and --base."""
    given = {"epochs": args.base_epochs, "objective": args.base_objective, **json.loads(args.base)}
    return {k: v for k, v in given.items() if v is not None}


def _format(values: List[float]) -> str:
    values = np.asarray(values) * 100
    return f"{values.mean():.1f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.1f}"


def markdown(results: Dict, seeds: List[int], args, elapsed: float) -> str:
    """The body of the results file: one table per view (report.write adds the title, command and machine)."""
    lines = [
        f"Wall time {elapsed / 60:.1f} min; seeds {seeds} (mean ± sample std over seeds, x100).  ",
        "Leak-free: pinnacle lists never hold the scored user; histories hold only earlier training positives.",
        "",
    ]
    for view in args.views:
        lines += [f"## View: {view}", "", "| model | cold " + " | cold ".join(METRICS) + " | warm HR@10 | warm NDCG@10 | all HR@10 | all NDCG@10 | cold cases |",
                  "|---" * 10 + "|"]
        for model, per_view in results.items():
            runs = per_view[view]
            row = [_format([r["cold"][m] for r in runs]) for m in METRICS]
            row += [_format([r[g][m] for r in runs]) for g in ("warm", "all") for m in ("HR@10", "NDCG@10")]
            lines.append(f"| {model} | " + " | ".join(row) + f" | {runs[0]['cold']['cases']} |")
        if view == "sampled" and args.dataset == "ml-100k":
            for model, values in TABLE2_ML100K_COLD.items():
                lines.append(f"| {model} | " + " | ".join(f"{v:.1f}" for v in values) + " | – | – | – | – | – |")
        lines.append("")
    return "\n".join(lines)


def histogram(scores: Dict[str, Dict[str, np.ndarray]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scores), figsize=(5 * len(scores), 3.5), squeeze=False)
    for ax, (model, groups) in zip(axes[0], scores.items()):
        for name, values in groups.items():
            ax.hist(values, bins=40, range=(0, 1), alpha=0.5, density=True, label=f"{name} (n={len(values)})")
        ax.set_title(f"{model}: predicted scores")
        ax.set_xlabel("score")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def group_scores(ranker, cases, cold: pd.Index) -> Dict[str, np.ndarray]:
    """Scores of cold positives, cold negatives and warm negatives over ``cases`` (the paper's Fig. 2)."""
    users, items, starts = flatten_cases(cases)
    scores = ranker.score_many(users, items)
    positive = np.zeros(len(items), bool)
    positive[starts[:-1]] = True
    is_cold = np.isin(np.asarray(items), np.asarray(cold))
    return {
        "cold positives": scores[positive & is_cold],
        "cold negatives": scores[~positive & is_cold],
        "warm negatives": scores[~positive & ~is_cold],
    }


def run_pipeline_once(dataset: str, root: str, data_dir=None) -> None:
    """`python local_runner.py` on ``dataset`` under ``root`` (from the cache after the first time)."""
    pipeline_args = ["--dataset", dataset, "--output-root", root] + (["--data-dir", data_dir] if data_dir else [])
    status = local_runner.main(pipeline_args)
    if status in (BAD_INPUT, BUSY):
        raise SystemExit(status)  # local_runner.py has printed the one error line
    if not local_runner.ran_to_the_end(status):
        raise RuntimeError(f"the pipeline failed on {dataset}")


def base_folder(config, transform_id: str, trainer_code: str) -> str:
    """The folder name of a base trained with TrainingConfig ``config`` on Transform output ``transform_id`` by the
    trainer code whose hash is ``trainer_code`` (pipeline/code_version.py): readable parts and a digest of every field
    and of the code, so neither a changed default nor a trainer/ edit (the optimizer's rounding, say) finds a base
    trained before it."""
    key = json.dumps({"config": dataclasses.asdict(config), "trainer_code": trainer_code}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"base-transform{transform_id}-seed{config.seed}-epochs{config.epochs}-{config.objective}-{digest}"


class Workbench:
    """A pipeline run's Transform output and held-out split, loaded once, to train and rank models in-process
    (used by :func:`main` and by benchmarks/tune.py)."""

    def __init__(self, dataset: str, output_root: str, split: str, data_dir=None, run_pipeline: bool = True):
        """``run_pipeline`` False: read the output of an earlier run (--jobs' worker processes, whose parent ran it)."""
        import tensorflow_transform as tft

        root = os.path.abspath(output_root)
        if run_pipeline:
            run_pipeline_once(dataset, root, data_dir)
        pipeline_name = configs.pipeline_name(dataset)
        self.dataset, self.root, self.split = dataset, root, split
        self.transform_graph = latest_artifact(root, pipeline_name, "Transform", "transform_graph")
        self.tf_transform_output = tft.TFTransformOutput(self.transform_graph)
        self.train_files = transformed_files(root, pipeline_name, "train")
        self.eval_files = transformed_files(root, pipeline_name, "eval")
        from trainer.memory_input import read_training_rows

        # the training positives the softmax base trains on, and the recommend index's feature bags (one pass)
        self.base_rows = read_training_rows(self.tf_transform_output, self.train_files, False)
        self.item_features = self.base_rows.item_features
        data = os.path.join(root, "data", dataset)
        self.split_frame = pd.read_csv(os.path.join(data, "canonical", "interactions.csv"), dtype={"user_id": str, "item_id": str})
        self.users = pd.read_csv(os.path.join(data, "canonical", "users.csv"), dtype=str, keep_default_na=False)
        self.items = pd.read_csv(os.path.join(data, "canonical", "items.csv"), dtype=str, keep_default_na=False)
        held_out = pd.read_csv(os.path.join(data, "examples", split, "examples.csv"), dtype=str, keep_default_na=False)
        self.histories = held_out[held_out["label"] == "1"].set_index("user_id")["history"].to_dict()
        self.summary = summary = json.load(open(os.path.join(data, "summary.json")))  # data.prepare's (cold threshold, alpha, beta)
        self.items_index = catalogue(self.items, self.split_frame)
        self.cold = cold_items(self.split_frame, self.items_index, summary["cold_threshold"])
        self.train_positives = self.split_frame[(self.split_frame["split"] == "train") & (self.split_frame["label"] == 1)]

    @classmethod
    def from_args(cls, args, split: str, run_pipeline: bool = True) -> "Workbench":
        """The Workbench of :func:`workbench_arguments`' options (no pipeline run with ``--reuse-run``)."""
        return cls(args.dataset, args.output_root, split, args.data_dir, run_pipeline=run_pipeline and not args.reuse_run)

    def cases(self, view: str, seed: int):
        return build_cases(self.split_frame, self.items_index, self.cold, view, seed=seed, split=self.split)

    def base_dir(self, seed: int, **overrides) -> str:
        """The base model of ``seed`` with the TrainingConfig ``overrides`` (none: TrainingConfig's defaults),
        trained once and kept under the output root for later runs on the same Transform output."""
        from trainer.export import export_serving_model
        from trainer.task import TrainingConfig, train_base_model

        config = TrainingConfig(seed=seed, **overrides)
        path = self.base_path(seed, **overrides)
        if not self.has_base(seed, **overrides):
            base = train_base_model(self.tf_transform_output, self.train_files, self.eval_files, config, rows=self.base_rows)
            export_serving_model(base, self.tf_transform_output, path, item_features=self.item_features)
        return path

    def base_path(self, seed: int, **overrides) -> str:
        """Where :meth:`base_dir` keeps the base of ``seed`` and ``overrides``."""
        from trainer.task import TrainingConfig

        config = TrainingConfig(seed=seed, **overrides)
        folder = base_folder(config, os.path.basename(self.transform_graph), code_version(TRAINER_SOURCES))
        return os.path.join(self.root, "benchmark-models", self.dataset, folder)

    def has_base(self, seed: int, **overrides) -> bool:
        """Whether an earlier run left that base under the output root (:meth:`base_dir` then reads it back)."""
        return os.path.exists(os.path.join(self.base_path(seed, **overrides), "saved_model.pb"))

    def fit(self, custom_config: Dict, base_dir: str, callbacks=()):
        """The prompt stage of ``custom_config`` (PromoConfig keys) trained on ``base_dir``, with the Keras
        ``callbacks``."""
        from trainer.promo_model import PromoConfig
        from trainer.promo_task import load_base_model, train_prompt_stage

        config = PromoConfig.from_custom_config(custom_config)
        return train_prompt_stage(load_base_model(base_dir), self.tf_transform_output, self.train_files, self.eval_files, config, callbacks)

    def train(self, custom_config: Dict, base_dir: str, model_dir: str) -> SavedModelRanker:
        """:meth:`fit`, exported at ``model_dir``: its ranker."""
        return self.export(self.fit(custom_config, base_dir), model_dir)

    def export(self, model, model_dir: str) -> SavedModelRanker:
        """Exports ``model`` at ``model_dir`` as the Trainer does and returns its ranker."""
        from trainer.export import export_serving_model

        export_serving_model(model, self.tf_transform_output, model_dir, item_features=self.item_features)
        return SavedModelRanker(model_dir, self.users, self.items, self.histories)


# The rankers that learn nothing, by name: (workbench, seed) -> ranker.
LEARNING_FREE = {
    "random": lambda bench, seed: RandomRanker(seed),
    "popularity": lambda bench, seed: PopularityRanker(bench.train_positives),
    "user-kNN": lambda bench, seed: UserKnnRanker(bench.train_positives),
    "user-kNN (shrink 3)": lambda bench, seed: UserKnnRanker(bench.train_positives, shrinkage=3),
    "item-kNN": lambda bench, seed: item_knn_ranker(bench.train_positives),
    "EASE": lambda bench, seed: ease_ranker(bench.train_positives),
}
FIG2_MODELS = ("pretrain", "promo")


def score_model(bench: Workbench, args, seed: int, name: str):
    """({view: metrics}, the Fig. 2 scores or None) of one model (a learning-free ranker or a variant trained on
    the seed's base) on one seed's cases."""
    with tempfile.TemporaryDirectory() as scratch:
        if name in LEARNING_FREE:
            ranker = LEARNING_FREE[name](bench, seed)
        else:
            custom_config = {"seed": seed, **json.loads(args.promo), "variant": name}
            ranker = bench.train(custom_config, bench.base_dir(seed, **base_overrides(args)), os.path.join(scratch, name))
        metrics = {view: evaluate(ranker, bench.cases(view, seed)) for view in args.views}
        fig2 = group_scores(ranker, bench.cases("sampled", seed), bench.cold) if seed == args.seeds[0] and name in FIG2_MODELS else None
    line = metrics[args.views[0]]
    print(f"[quality] seed {seed} {name:>14}: {args.views[0]} cold HR@10 {100 * line['cold']['HR@10']:.1f} "
          f"NDCG@10 {100 * line['cold']['NDCG@10']:.1f} | all HR@10 {100 * line['all']['HR@10']:.1f}", flush=True)
    return metrics, fig2


def tasks(args) -> List[tuple]:
    """(seed, model) in the order of the results: per seed the learning-free rankers, then ``args.variants``."""
    return [(seed, name) for seed in args.seeds for name in (*LEARNING_FREE, *args.variants)]


def collect(todo: List[tuple], outputs: List[dict], seeds: List[int], views) -> Dict[str, Dict[str, list]]:
    """{model: {view: [metrics of each of ``seeds``, in that order]}} (the results file's form) from the
    ``outputs`` ({view: metrics}) of the ``todo`` tasks (seed, model), in whatever order they ran."""
    by_task = dict(zip(todo, outputs))
    models = list(dict.fromkeys(name for _, name in todo))
    return {name: {view: [by_task[(seed, name)][view] for seed in seeds] for view in views} for name in models}


_worker_bench = None  # the Workbench of a --jobs worker process


def _start_worker(args) -> None:
    global _worker_bench
    _worker_bench = Workbench.from_args(args, args.split, run_pipeline=False)


def _worker_base(args, seed: int) -> str:
    return _worker_bench.base_dir(seed, **base_overrides(args))


def _worker_task(args, task):
    return score_model(_worker_bench, args, *task)


def run_tasks(args, todo: List[tuple]) -> List[tuple]:
    """``score_model`` of every task, in this process or (``args.jobs`` > 1) shared among worker processes: the
    pipeline runs here first, then the workers train the seeds' bases, then take the (seed, model) tasks one by
    one as they become free."""
    if args.jobs == 1:
        bench = Workbench.from_args(args, args.split)
        return [score_model(bench, args, seed, name) for seed, name in todo]
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if not args.reuse_run:
        run_pipeline_once(args.dataset, os.path.abspath(args.output_root), args.data_dir)
    # Started fresh (spawn: TensorFlow does not survive a fork); each loads the run's output once.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=context, initializer=_start_worker, initargs=(args,)) as pool:
        list(pool.map(functools.partial(_worker_base, args), args.seeds))  # before any task needs one
        return list(pool.map(functools.partial(_worker_task, args), todo, chunksize=1))


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    todo = tasks(args)
    outputs = run_tasks(args, todo)
    results = collect(todo, [metrics for metrics, _ in outputs], args.seeds, args.views)
    fig2 = {name: scores for (_, name), (_, scores) in zip(todo, outputs) if scores is not None}

    elapsed = time.monotonic() - started
    name = f"quality-{args.dataset}-{args.split}{('-' + args.tag) if args.tag else ''}"
    print(report.write(name, f"Quality on {args.dataset}, {args.split} split", markdown(results, args.seeds, args, elapsed),
                       {"args": vars(args), "results": results}))
    if fig2:
        histogram(fig2, os.path.join(report.RESULTS, name + "-fig2.png"))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
