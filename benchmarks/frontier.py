"""The cold-vs-all frontier of the whole-catalogue top 10 (issue "whole-catalogue quality").

    python -m benchmarks.frontier --split eval --seeds 0 1 2      # choose operating points (never on test)
    python -m benchmarks.frontier --split test --seeds 0 1 2 3 4  # the final picture

Per seed: the base (trainer/task.py, its default objective) and PROMO-LS on it are trained in-process on the last
pipeline run's Transform output (benchmarks/quality.py's Workbench) and exported; every held-out positive is ranked
against every catalogue item its user never touched (``full``) and against the paper's 100 sampled ones
(``sampled``), with the exported model's ``user_embeddings`` and ``item_embeddings`` (their inner product is
``serving_default``'s logit for an item the user never liked, which every candidate here is).

Curves, each point a setting of one trained model or one closed-form ranker:
- PROMO-LS at exposure s (Eq. LS-6, trainer/promo_ls.py): the base plus s times the liker-space term; s = 0 is the
  base alone, s = 1 the trained score; the default PromoConfig, and beside it the model trained with the
  whole-catalogue softmax term instead of BPR (Eq. LS-5c: CATALOGUE_TERM);
- EASE (Steck 2019) on training positives, its scores divided by (n_i + 1)^beta (n_i: the item's training
  positives), the usual popularity debiasing;
- user-kNN (evaluation/baselines.py) over its shrinkage; popularity as one point.
Writes benchmarks/results/frontier-<dataset>-<split>.{md,json,png}.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Dict, List

import numpy as np

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import reported
from benchmarks import report
from benchmarks.quality import Workbench, base_overrides, workbench_arguments
from evaluation.baselines import PopularityRanker, UserKnnRanker, ease_ranker
from evaluation.metrics import rank_of_positive, ranking_metrics

EXPOSURES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5)
# PROMO-LS with the whole-catalogue ranking term instead of BPR (trainer/promo_ls.py, Eq. LS-5c), as chosen on eval
# and not adopted (docs/model.md), drawn beside the default.
CATALOGUE_TERM = {"rank_weight": 0.0, "catalogue_weight": 4.0, "cold_weight": 16.0}
EASE_BETAS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8)
KNN_SHRINKAGE = (0.0, 3.0, 10.0, 30.0)


def case_metrics(scores: np.ndarray, cases, rows: Dict[str, int], columns: Dict[str, int]) -> Dict[str, Dict[str, float]]:
    """HR/NDCG@5/10 of cold, warm and all targets, ranking each case's positive among its negatives by ``scores``
    [users, catalogue] (``rows``: user id -> row, ``columns``: item id -> column)."""
    ranks, cold = [], []
    for case in cases:
        row = scores[rows[case.user_id]]
        ranks.append(rank_of_positive(row[columns[case.item_id]], row[[columns[i] for i in case.negatives]]))
        cold.append(case.is_cold)
    ranks, cold = np.array(ranks), np.array(cold)
    return {"cold": ranking_metrics(ranks[cold]), "warm": ranking_metrics(ranks[~cold]), "all": ranking_metrics(ranks)}


def exported_sides(model_dir: str, bench: Workbench, users: List[str], items: List[str]):
    """(user side [users, width], item side [items, width]) of the model exported at ``model_dir``, through its
    ``user_embeddings`` and ``item_embeddings`` signatures (float64; their inner product is ``serving_default``'s
    logit for an item the user never liked)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(model_dir)
    user_features = bench.users.set_index("user_id")["user_features"].to_dict()
    item_features = bench.items.set_index("item_id")["item_features"].to_dict()
    user_side = loaded.signatures["user_embeddings"](
        user_id=tf.constant(users), user_features=tf.constant([user_features.get(u, "") for u in users]),
        history=tf.constant([bench.histories.get(u, "") for u in users]),
    )["embedding"].numpy().astype(np.float64)
    item_side = loaded.signatures["item_embeddings"](
        item_id=tf.constant(items), item_features=tf.constant([item_features.get(i, "") for i in items]),
    )["embedding"].numpy().astype(np.float64)
    return user_side, item_side


def model_parts(model, model_dir: str, bench: Workbench, users: List[str], items: List[str]):
    """(base logits, liker-space term at exposure 1), each [users, items], of PROMO-LS ``model`` exported at
    ``model_dir``: the user side is [e_u ; s z_u ; s] at the served exposure s, the item side
    [h_i ; g_i P_i(m_i) ; c_i] (Eq. LS-6), so the two terms are the products of the first d columns (d the base's
    width) and of the rest divided by s."""
    user_side, item_side = exported_sides(model_dir, bench, users, items)
    d, exposure = model.user_tower.output_shape[-1], float(model.exposure.numpy())
    if exposure == 0:
        raise ValueError("the model serves exposure 0 (PromoConfig.cold_exposure): its user side keeps no liker term to sweep")
    return user_side[:, :d] @ item_side[:, :d].T, user_side[:, d:] @ item_side[:, d:].T / exposure


def case_views(bench: Workbench, seed: int):
    """(users, items, views) of one seed: the held-out users and the catalogue, in the row and column order of a
    score matrix [users, items], and the function from such a matrix to {"full": metrics, "sampled": metrics}."""
    full, sampled = bench.cases("full", seed), bench.cases("sampled", seed)
    users = sorted({case.user_id for case in full})
    items = [str(i) for i in bench.items_index]
    rows, columns = {u: n for n, u in enumerate(users)}, {i: n for n, i in enumerate(items)}

    def views(scores: np.ndarray) -> Dict[str, dict]:
        return {"full": case_metrics(scores, full, rows, columns), "sampled": case_metrics(scores, sampled, rows, columns)}

    return users, items, views


def curves(bench: Workbench, seed: int, scratch: str, base_config=None) -> Dict[str, Dict[str, dict]]:
    """{curve: {setting: {view: metrics}}} of one seed (module docstring), PROMO-LS on the base of the TrainingConfig
    overrides ``base_config`` (None: the default base)."""
    users, items, views = case_views(bench, seed)
    result: Dict[str, Dict[str, dict]] = {}
    for curve, settings in (("PROMO-LS (exposure s)", {}), ("PROMO-LS, whole-catalogue term (not adopted)", CATALOGUE_TERM)):
        model = bench.fit({"seed": seed, "variant": "promo_ls", **settings}, bench.base_dir(seed, **(base_config or {})))
        model_dir = os.path.join(scratch, f"promo_ls-{seed}-{len(result)}")
        bench.export(model, model_dir)
        base, liker_term = model_parts(model, model_dir, bench, users, items)
        result[curve] = {f"s={exposure:g}": views(base + exposure * liker_term) for exposure in EXPOSURES}
    result["EASE / (n+1)^beta"], result["user-kNN (shrinkage)"] = {}, {}
    ease_model = ease_ranker(bench.train_positives)
    ease = np.stack([ease_model.score(u, np.asarray(items)) for u in users])
    counts = PopularityRanker(bench.train_positives).score("", np.asarray(items))
    for beta in EASE_BETAS:
        result["EASE / (n+1)^beta"][f"beta={beta:g}"] = views(ease / (counts + 1.0) ** beta)
    for shrinkage in KNN_SHRINKAGE:
        knn = UserKnnRanker(bench.train_positives, shrinkage=shrinkage)
        result["user-kNN (shrinkage)"][f"shrinkage={shrinkage:g}"] = views(np.stack([knn.score(u, np.asarray(items)) for u in users]))
    popularity = PopularityRanker(bench.train_positives).score("", np.asarray(items))
    result["popularity"] = {"": views(np.tile(popularity, (len(users), 1)))}
    return result


def _mean_std(values: List[float]) -> str:
    values = 100 * np.asarray(values)
    return f"{values.mean():.1f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.1f}"


# The (view, targets, metric) columns of the tables here and in benchmarks/tune.py.
COLUMNS = [("full", "cold", "HR@10"), ("full", "warm", "HR@10"), ("full", "all", "HR@10"), ("full", "all", "NDCG@10"),
           ("sampled", "cold", "HR@10"), ("sampled", "cold", "NDCG@10"), ("sampled", "all", "HR@10")]


def markdown(per_seed: List[dict], seeds: List[int], elapsed: float) -> str:
    lines = [
        f"Wall time {elapsed / 60:.1f} min; seeds {seeds} (mean ± sample std over seeds, x100). `full`: each held-out positive "
        "against every item its user never touched; `sampled`: against 100 of them (the paper's protocol).", "",
        "| curve | setting | " + " | ".join(f"{v} {g} {m}" for v, g, m in COLUMNS) + " |", "|---" * (2 + len(COLUMNS)) + "|",
    ]
    for curve, settings in per_seed[0].items():
        for setting in settings:
            cells = [_mean_std([run[curve][setting][v][g][m] for run in per_seed]) for v, g, m in COLUMNS]
            lines.append(f"| {curve} | {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(per_seed: List[dict], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for curve, settings in per_seed[0].items():
        xs = [100 * np.mean([run[curve][s]["full"]["cold"]["HR@10"] for run in per_seed]) for s in settings]
        ys = [100 * np.mean([run[curve][s]["full"]["all"]["HR@10"] for run in per_seed]) for s in settings]
        ax.plot(xs, ys, "o-" if len(xs) > 1 else "s", label=curve)
        for x, y, setting in zip(xs, ys, settings):
            ax.annotate(setting, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("whole catalogue: cold-target HR@10 (x100)")
    ax.set_ylabel("whole catalogue: all-target HR@10 (x100)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--split", default="eval", choices=["eval", "test"], help="held-out split (tune on eval only)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tag", default="", help="suffix for the results files")
    args = parser.parse_args(argv)
    started = time.monotonic()
    bench = Workbench.from_args(args, args.split)
    per_seed = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            per_seed.append(curves(bench, seed, scratch, base_overrides(args)))
            point = per_seed[-1]["PROMO-LS (exposure s)"]
            print(f"[frontier] seed {seed}: " + ", ".join(
                f"{s} full cold/all HR@10 {100 * m['full']['cold']['HR@10']:.1f}/{100 * m['full']['all']['HR@10']:.1f}"
                for s, m in point.items()), flush=True)
    name = f"frontier-{args.dataset}-{args.split}" + (f"-{args.tag}" if args.tag else "")
    title = f"Whole-catalogue frontier on {args.dataset}, {args.split} split"
    print(report.write(name, title, markdown(per_seed, args.seeds, time.monotonic() - started), {"args": vars(args), "seeds": per_seed}))
    plot(per_seed, os.path.join(report.RESULTS, name + ".png"), title)
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
