"""Quality benchmark (issue "PROMO itself", §5): every model on real data, >= 3 seeds, the paper's protocol.

    python -m benchmarks.quality                       # ML-100K, seeds 0 1 2, every variant
    python -m benchmarks.quality --split eval          # the same on validation (for tuning; never tune on test)
    python -m benchmarks.quality --variants pretrain promo --seeds 0

Runs the pipeline once (cached after the first time) for the Transform output, then per seed trains the base
and every variant in-process with the pipeline's own training functions, exports each, and ranks the held-out
positives through the exported model's serving signature in three views (evaluation/protocol.py), beside
random, popularity and user-kNN rankers. Writes benchmarks/results/quality-<dataset>-<split>.{md,json} and
a score-histogram PNG (the paper's Fig. 2) for the base and PROMO.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Dict, List

import numpy as np
import pandas as pd

import promo_env  # noqa: F401
import local_runner
from benchmarks import report
from benchmarks.paper import TABLE2_ML100K_COLD
from pipeline import configs
from pipeline.artifacts import latest_artifact, transformed_files
from data.examples import catalogue
from data.splits import cold_items
from evaluation.baselines import PopularityRanker, RandomRanker, UserKnnRanker
from evaluation.protocol import VIEWS, build_cases
from evaluation.scoring import SavedModelRanker, evaluate, flatten_cases

METRICS = ("HR@5", "HR@10", "NDCG@5", "NDCG@10")


def parse_args(argv=None):
    from trainer.variants import VARIANTS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--split", default="test", choices=["test", "eval"], help="held-out split to rank")
    parser.add_argument("--base-epochs", type=int, default=3)
    parser.add_argument("--promo", default="{}", help="JSON overrides of PromoConfig, e.g. '{\"lambda2\": 0.5}'")
    parser.add_argument("--views", nargs="+", default=list(VIEWS), choices=VIEWS)
    parser.add_argument("--tag", default="", help="suffix for the results files")
    return parser.parse_args(argv)


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


class Workbench:
    """A pipeline run's Transform output and held-out split, loaded once, to train and rank models in-process
    (used by :func:`main` and by benchmarks/tune.py)."""

    def __init__(self, dataset: str, output_root: str, split: str, data_dir=None):
        import tensorflow_transform as tft

        root = os.path.abspath(output_root)
        pipeline_args = ["--dataset", dataset, "--output-root", root] + (["--data-dir", data_dir] if data_dir else [])
        if local_runner.main(pipeline_args) != 0:
            raise RuntimeError(f"the pipeline failed on {dataset}")
        pipeline_name = configs.pipeline_name(dataset)
        self.dataset, self.root, self.split = dataset, root, split
        self.transform_graph = latest_artifact(root, pipeline_name, "Transform", "transform_graph")
        self.tf_transform_output = tft.TFTransformOutput(self.transform_graph)
        self.train_files = transformed_files(root, pipeline_name, "train")
        self.eval_files = transformed_files(root, pipeline_name, "eval")
        from trainer.retrieval import item_feature_table

        self.item_features = item_feature_table(self.tf_transform_output, self.train_files)  # for the recommend index
        data = os.path.join(root, "data", dataset)
        self.split_frame = pd.read_csv(os.path.join(data, "canonical", "interactions.csv"), dtype={"user_id": str, "item_id": str})
        self.users = pd.read_csv(os.path.join(data, "canonical", "users.csv"), dtype=str, keep_default_na=False)
        self.items = pd.read_csv(os.path.join(data, "canonical", "items.csv"), dtype=str, keep_default_na=False)
        held_out = pd.read_csv(os.path.join(data, "examples", split, "examples.csv"), dtype=str, keep_default_na=False)
        self.histories = held_out[held_out["label"] == "1"].set_index("user_id")["history"].to_dict()
        summary = json.load(open(os.path.join(data, "summary.json")))
        self.items_index = catalogue(self.items, self.split_frame)
        self.cold = cold_items(self.split_frame, self.items_index, summary["cold_threshold"])
        self.train_positives = self.split_frame[(self.split_frame["split"] == "train") & (self.split_frame["label"] == 1)]

    def cases(self, view: str, seed: int):
        return build_cases(self.split_frame, self.items_index, self.cold, view, seed=seed, split=self.split)

    def base_dir(self, seed: int, epochs: int) -> str:
        """The base model of ``seed``, trained once and kept under the output root for later runs on the same
        Transform output."""
        from trainer.export import export_serving_model
        from trainer.task import TrainingConfig, train_base_model

        path = os.path.join(
            self.root, "benchmark-models", self.dataset,
            f"base-transform{os.path.basename(self.transform_graph)}-seed{seed}-epochs{epochs}",
        )
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            base = train_base_model(self.tf_transform_output, self.train_files, self.eval_files, TrainingConfig(epochs=epochs, seed=seed))
            export_serving_model(base, self.tf_transform_output, path, item_features=self.item_features)
        return path

    def train(self, custom_config: Dict, base_dir: str, model_dir: str) -> SavedModelRanker:
        """Trains the prompt stage of ``custom_config`` (PromoConfig keys) on ``base_dir``, exports it at
        ``model_dir`` and returns its ranker."""
        from trainer.export import export_serving_model
        from trainer.promo_model import PromoConfig
        from trainer.promo_task import load_base_model, train_prompt_stage

        config = PromoConfig.from_custom_config(custom_config)
        model = train_prompt_stage(load_base_model(base_dir), self.tf_transform_output, self.train_files, self.eval_files, config)
        export_serving_model(model, self.tf_transform_output, model_dir, item_features=self.item_features)
        return SavedModelRanker(model_dir, self.users, self.items, self.histories)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    bench = Workbench(args.dataset, args.output_root, args.split, args.data_dir)
    overrides = json.loads(args.promo)

    results: Dict[str, Dict[str, list]] = {}
    fig2: Dict[str, Dict[str, np.ndarray]] = {}

    def record(name, ranker, seed):
        per_view = results.setdefault(name, {v: [] for v in args.views})
        for view in args.views:
            per_view[view].append(evaluate(ranker, bench.cases(view, seed)))
        line = per_view[args.views[0]][-1]
        print(f"[quality] seed {seed} {name:>14}: {args.views[0]} cold HR@10 {100 * line['cold']['HR@10']:.1f} "
              f"NDCG@10 {100 * line['cold']['NDCG@10']:.1f} | all HR@10 {100 * line['all']['HR@10']:.1f}", flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            record("random", RandomRanker(seed), seed)
            record("popularity", PopularityRanker(bench.train_positives), seed)
            record("user-kNN", UserKnnRanker(bench.train_positives), seed)
            record("user-kNN (shrink 3)", UserKnnRanker(bench.train_positives, shrinkage=3), seed)
            base_dir = bench.base_dir(seed, args.base_epochs)
            for variant in args.variants:
                ranker = bench.train({"seed": seed, **overrides, "variant": variant}, base_dir, os.path.join(scratch, f"{variant}-{seed}"))
                record(variant, ranker, seed)
                if seed == args.seeds[0] and variant in ("pretrain", "promo"):
                    fig2[variant] = group_scores(ranker, bench.cases("sampled", seed), bench.cold)

    elapsed = time.monotonic() - started
    name = f"quality-{args.dataset}-{args.split}{('-' + args.tag) if args.tag else ''}"
    print(report.write(name, f"Quality on {args.dataset}, {args.split} split", markdown(results, args.seeds, args, elapsed),
                       {"args": vars(args), "results": results}))
    if fig2:
        histogram(fig2, os.path.join(report.RESULTS, name + "-fig2.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
