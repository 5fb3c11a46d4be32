"""The paper's Fig. 4 on real data: cold items' final representations under Pre-train and under PROMO.

    python -m benchmarks.cold_tsne                         # ML-100K, seed 0: pretrain, promo, promo_ls
    python -m benchmarks.cold_tsne --variants pretrain promo_ls --seed 1

Each variant is trained on the seed's base with benchmarks/quality.py's Workbench (the pipeline's own training
code on the cached Transform output) and exported; the cold items' vectors come from the exported model's
``item_embeddings`` signature (what the ``recommend`` signature's index holds: the vector a user's vector is
dotted with). They are projected to 2-D with scikit-learn's t-SNE and coloured by the item's number of
training positives (0, 1-5, 6-10, 11 or more; at most 20 on ML-100K). Beside the picture, a number that does not depend on the
projection: genre agreement@10, the share of each cold item's 10 nearest cold items (cosine, in the full
vector space) that share one of its genres (the catalogue's own rate is the chance level). Writes
benchmarks/results/cold-tsne-<dataset>-seed<seed>.{md,json,png}.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Dict, List

import numpy as np
import pandas as pd

from data.errors import reported
from benchmarks import report
from benchmarks.quality import Workbench, base_overrides, workbench_arguments

POPULARITY_GROUPS = ((0, 0, "0"), (1, 5, "1-5"), (6, 10, "6-10"), (11, float("inf"), "11+"))  # training positives


def item_vectors(model_dir: str, item_ids: List[str], features: List[str]) -> np.ndarray:
    """[items, d]: the exported model's ``item_embeddings`` of the items (raw ids and feature strings)."""
    import tensorflow as tf

    signature = tf.saved_model.load(model_dir).signatures["item_embeddings"]
    out = signature(item_id=tf.constant(item_ids), item_features=tf.constant(features))
    return next(iter(out.values())).numpy()


def genres(features: str) -> frozenset:
    """The ``genre=`` tokens of an item's feature string."""
    return frozenset(token for token in features.split() if token.startswith("genre="))


def genre_agreement(vectors: np.ndarray, item_genres: List[frozenset], k: int = 10) -> float:
    """Mean over items of the share of its ``k`` nearest other items (cosine similarity of ``vectors``) that
    share at least one genre with it."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argsort(-similarity, axis=1)[:, :k]
    return float(np.mean([[bool(item_genres[i] & item_genres[j]) for j in row] for i, row in enumerate(neighbours)]))


def chance_agreement(item_genres: List[frozenset]) -> float:
    """The share of ordered pairs of distinct items that share a genre: genre agreement of random neighbours."""
    n = len(item_genres)
    shared = sum(bool(a & b) for i, a in enumerate(item_genres) for j, b in enumerate(item_genres) if i != j)
    return shared / (n * (n - 1))


def popularity_group(count: int) -> str:
    return next(name for low, high, name in POPULARITY_GROUPS if low <= count <= high)


def plot(projections: Dict[str, np.ndarray], groups: List[str], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(projections), figsize=(5 * len(projections), 4.5), squeeze=False)
    labels = np.array(groups)
    for ax, (model, points) in zip(axes[0], projections.items()):
        for _, _, name in POPULARITY_GROUPS:
            chosen = labels == name
            ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.7, label=f"{name} training positives (n={chosen.sum()})")
        ax.set_title(f"{model}: cold items (t-SNE)")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    from sklearn.manifold import TSNE

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=["pretrain", "promo", "promo_ls"])
    args = parser.parse_args(argv)
    started = time.monotonic()
    bench = Workbench.from_args(args, "test")
    catalogue_items = set(bench.items["item_id"])
    cold = [str(i) for i in bench.cold if i in catalogue_items]
    features = bench.items.set_index("item_id").loc[cold, "item_features"].tolist()
    counts = bench.train_positives["item_id"].value_counts().reindex(cold, fill_value=0)
    groups = [popularity_group(int(c)) for c in counts]
    item_genres = [genres(f) for f in features]
    base_dir = bench.base_dir(args.seed, **base_overrides(args))
    projections: Dict[str, np.ndarray] = {}
    agreement: Dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for variant in args.variants:
            model_dir = os.path.join(scratch, variant)
            bench.train({"variant": variant, "seed": args.seed}, base_dir, model_dir)
            vectors = item_vectors(model_dir, cold, features)
            agreement[variant] = genre_agreement(vectors, item_genres)
            projections[variant] = TSNE(2, init="pca", random_state=args.seed, perplexity=30).fit_transform(vectors)
            print(f"[cold-tsne] {variant}: genre agreement@10 {agreement[variant]:.3f}", flush=True)
    chance = chance_agreement(item_genres)
    name = f"cold-tsne-{args.dataset}-seed{args.seed}"
    rows = "\n".join(f"| {variant} | {value:.3f} |" for variant, value in agreement.items())
    body = (f"{len(cold)} cold items (at most {int(counts.max())} training positives); seed {args.seed}; wall time "
            f"{(time.monotonic() - started) / 60:.1f} min.\n\n"
            f"| model | genre agreement@10 of cold items |\n|---|---|\n{rows}\n| (random neighbours) | {chance:.3f} |\n\n"
            f"![Fig. 4]({name}.png)\n")
    print(report.write(name, f"Cold items' representations (the paper's Fig. 4) on {args.dataset}", body,
                       {"args": vars(args), "genre_agreement": agreement, "chance": chance,
                        "popularity_groups": pd.Series(groups).value_counts().to_dict()}))
    plot(projections, groups, os.path.join(report.RESULTS, name + ".png"))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
