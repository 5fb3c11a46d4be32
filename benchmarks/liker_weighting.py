"""Does weighing each liker by its pinnacle value (Eq. 4) help PROMO-LS's liker centroid? Measured in closed form.

    python -m benchmarks.liker_weighting --reuse-run --output-root runs --split eval --seeds 0 1 2

PROMO-LS's item term meets the scored user's liker-space vector z_u (Eq. LS-1, the last HISTORY_LENGTH training
likes folded in) with the item's liker centroid m_i (Eq. LS-2): every training liker counts once. The paper's
pinnacle users are instead ranked by v_ui = alpha CR_ui + beta IR_ui (Eq. 4). The ceiling of weighing likers by it,
before any training: the term z_u . m_i alone, with

    m_i = sum_v w_vi z_v / sum_v w_vi,   w_vi = 1 (PROMO-LS today) or v_vi (Eq. 4) or IR_vi or CR_vi

(trainer/liker_space.py's space of the training likes, rank 32), ranking each held-out positive against the whole
catalogue (``full``) and 100 sampled items (``sampled``). Held-out targets are never training likes, so no user is
left out. With ``--fold-in-lengths``, also every liker once with z_u folded in from the last L training likes
instead (0: all of them): whether Eq. LS-1 should read the whole history the base's user tower reads.
Writes benchmarks/results/liker-weighting-<dataset>-<split>.md/.json.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

import promo_env  # noqa: F401  (must precede TensorFlow)
import tensorflow as tf
from benchmarks import report
from benchmarks.frontier import case_metrics
from benchmarks.quality import Workbench, workbench_arguments
from data.errors import reported
from trainer.liker_space import liker_space
from trainer.promo_ls import fold_in
from transforms.features import HISTORY_LENGTH
from transforms.pinnacle_value import pinnacle_value

RANK = 32


def weighted_centroids(user_vectors: np.ndarray, users: np.ndarray, items: np.ndarray, weights: np.ndarray, n_items: int) -> np.ndarray:
    """m_i = sum_v w_vi z_v / sum_v w_vi over the (users[k], items[k]) likes (module docstring); 0 for no liker."""
    sums = np.zeros((n_items, user_vectors.shape[1]))
    total = np.zeros(n_items)
    np.add.at(sums, items, weights[:, None] * user_vectors[users])
    np.add.at(total, items, weights)
    return sums / np.where(total > 0, total, 1.0)[:, None]


def folded_users(item_vectors: np.ndarray, histories: dict, scored: list, columns: dict, length: int) -> np.ndarray:
    """[len(scored), r]: Eq. LS-1's z_u (trainer/promo_ls.py: fold_in) of each scored user from the last ``length``
    (0: all) of their training likes (``histories``: user -> likes, oldest first; ``item_vectors`` row j + 1 is
    item j, row 0 the padding)."""
    rows = [[columns[item] + 1 for item in (likes[-length:] if length else likes)] for likes in (histories.get(u, []) for u in scored)]
    indices = np.zeros((len(scored), max([len(r) for r in rows] + [1])), np.int64)  # item + 1, 0 pads
    for row, items in enumerate(rows):
        indices[row, :len(items)] = items
    padded = item_vectors[indices] * (indices > 0)[..., np.newaxis]
    return fold_in(tf.constant(padded), tf.constant(indices)).numpy()


def measure(bench: Workbench, seed: int, alpha: float, beta: float, fold_in_lengths=()) -> dict:
    """{weighting: {view: metrics}} of one seed's cases."""
    likes = bench.train_positives.sort_values(["user_id", "timestamp"], kind="stable")
    users = pd.Index(sorted(likes["user_id"].unique()))
    items = [str(i) for i in bench.items_index]
    columns = {item: n for n, item in enumerate(items)}
    u, i = users.get_indexer(likes["user_id"]), np.array([columns[item] for item in likes["item_id"]])
    space = liker_space(u, i, len(users), len(items), RANK, seed)
    full, sampled = bench.cases("full", seed), bench.cases("sampled", seed)
    scored = sorted({case.user_id for case in full})
    rows = {user: n for n, user in enumerate(scored)}
    histories = {user: group["item_id"].tolist() for user, group in likes.groupby("user_id")}
    z = folded_users(space.item_vectors, histories, scored, columns, HISTORY_LENGTH)
    cr, ir = likes["cr"].to_numpy(float), likes["ir"].to_numpy(float)
    weightings = {"every liker once (PROMO-LS)": np.ones(len(likes)), f"Eq. 4 (alpha {alpha:g}, beta {beta:g})": pinnacle_value(cr, ir, alpha, beta),
                  "IR only": ir, "CR only": cr}
    result = {}
    for name, weights in weightings.items():
        scores = z @ weighted_centroids(space.user_vectors, u, i, weights, len(items)).T
        result[name] = {"full": case_metrics(scores, full, rows, columns), "sampled": case_metrics(scores, sampled, rows, columns)}
    once = weighted_centroids(space.user_vectors, u, i, np.ones(len(likes)), len(items))
    for length in fold_in_lengths:
        scores = folded_users(space.item_vectors, histories, scored, columns, length) @ once.T
        name = f"every liker once, z_u from {'all' if not length else f'the last {length}'} training likes"
        result[name] = {"full": case_metrics(scores, full, rows, columns), "sampled": case_metrics(scores, sampled, rows, columns)}
    result["_weights"] = {"cr": [float(cr.min()), float(cr.max())], "ir": [float(ir.min()), float(ir.max())]}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--split", default="eval", choices=("eval", "test"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fold-in-lengths", type=int, nargs="*", default=[],
                        help="also fold z_u in from the last L training likes (0: all), every liker once")
    args = parser.parse_args(argv)
    started = time.time()
    bench = Workbench.from_args(args, args.split, run_pipeline=not args.reuse_run)
    per_seed = [measure(bench, seed, float(bench.summary["alpha"]), float(bench.summary["beta"]), args.fold_in_lengths) for seed in args.seeds]
    names = [name for name in per_seed[0] if not name.startswith("_")]
    columns = [("full", "cold", "HR@10"), ("sampled", "cold", "HR@10"), ("sampled", "cold", "NDCG@10"), ("sampled", "all", "HR@10")]
    lines = ["| liker weight (z_u from the last 20 training likes unless said) | " + " | ".join(f"{v} {g} {m}" for v, g, m in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name in names:
        cells = []
        for view, group, metric in columns:
            values = 100 * np.array([run[name][view][group][metric] for run in per_seed])
            cells.append(f"{values.mean():.1f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.1f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    weights = per_seed[0]["_weights"]
    body = (f"Seeds {args.seeds} (the cases' draws and the space's SVD), mean ± std, x100; the liker-space term "
            f"alone, before training. Training likes' CR range {weights['cr']}, IR range {weights['ir']}. "
            f"Wall time {time.time() - started:.0f} s.\n\n" + "\n".join(lines))
    print(report.write(f"liker-weighting-{args.dataset}-{args.split}", f"Liker weighting in the liker centroid, {args.dataset}, {args.split} split",
                       body, {"seeds": args.seeds, "per_seed": per_seed}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
