"""Size of PROMO's per-item tables, and where one machine stops.

    python -m benchmarks.prompt_tables                  # default PromoConfig (prompt_dims 32, 32; embeddings 32)
    python -m benchmarks.prompt_tables --items 10000 100000 --prompt-dims 16 16

Per item the prompt stage keeps its prompt-network row (Eq. 6: W and b of every layer, float32), its pinnacle
and negative lists and its donor (int64, in the model and, for the lists, as Transform-graph constants) and
the base's id embedding. Training adds the optimizer's two moments per prompt weight. The table gives bytes per
item, then the served and training footprints by catalogue size against --memory-gib and the
PromoConfig.max_prompt_table_gib guard (the error it raises is quoted). Sizes of actually built tables are
measured for --items. Writes benchmarks/results/prompt-tables.{md,json}.
"""
from __future__ import annotations

import argparse
import resource
import sys

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import reported
from benchmarks import report
from transforms import features as F

EMBEDDING_DIM = 32  # trainer.task.TrainingConfig.embedding_dim: the prompt network's input width


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, nargs="+", default=[10_000, 100_000], help="catalogue sizes to build")
    parser.add_argument("--prompt-dims", type=int, nargs="+", default=[32, 32])
    parser.add_argument("--memory-gib", type=float, default=24.0, help="the machine's memory")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import numpy as np

    from trainer.promo_model import PromoConfig, check_prompt_table_size
    from trainer.prompt_network import PersonalizedPromptNetwork, row_width

    config = PromoConfig(prompt_dims=tuple(args.prompt_dims))
    prompt_bytes = 4 * row_width(EMBEDDING_DIM, config.prompt_dims)
    list_bytes = 8 * ((F.PINNACLE_K + 1) + F.PINNACLE_K + 1)  # pinnacle candidates, negatives, donor
    embedding_bytes = 4 * EMBEDDING_DIM
    served = prompt_bytes + 2 * list_bytes + embedding_bytes  # lists twice: model variables and Transform constants
    training = 3 * prompt_bytes + 2 * list_bytes + embedding_bytes  # the base is frozen: no moments for it
    lines = [
        f"Prompt dims {config.prompt_dims}, input (user-embedding) width {EMBEDDING_DIM}, k = {F.PINNACLE_K}.",
        "",
        "| per item | bytes |",
        "|---|---|",
        f"| prompt-network row (Eq. 6, float32) | {prompt_bytes:,} |",
        f"| pinnacle + negative lists + donor (int64), model and Transform graph | {2 * list_bytes:,} |",
        f"| base item-id embedding | {embedding_bytes:,} |",
        f"| **served model** | **{served:,}** |",
        f"| training the prompt stage (prompt row x3 with LazyAdam's moments) | {training:,} |",
        "",
        "| catalogue | served model | training | fits --memory-gib? | max_prompt_table_gib guard |",
        "|---|---|---|---|---|",
    ]
    for n in (10_000, 100_000, 1_000_000, 10_000_000):
        try:
            check_prompt_table_size(n, EMBEDDING_DIM, config)
            guard = "passes"
        except ValueError as err:
            guard = "refuses"
            message = str(err)
        fits = "yes" if training * n / 2**30 < args.memory_gib * 0.5 else "no (over half the memory)"
        lines.append(f"| {n:,} | {served * n / 2**30:.2f} GiB | {training * n / 2**30:.2f} GiB | {fits} | {guard} |")
    lines += ["", f"The guard's error at 10M items: `{message}`" if guard == "refuses" else "", ""]

    measured = {}
    lines += ["| built items | prompt-table variables (MiB) | process peak RSS after building (MiB) |", "|---|---|---|"]
    for n in args.items:
        network = PersonalizedPromptNetwork(n, EMBEDDING_DIM, config.prompt_dims)
        network((np.zeros(1, np.int64), np.zeros((1, F.PINNACLE_K, EMBEDDING_DIM), np.float32)))
        variable_bytes = sum(int(np.prod(v.shape)) * 4 for v in network.weights)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        measured[n] = {"variable_bytes": variable_bytes, "peak_rss_mib": peak, "bytes_per_item": variable_bytes / n}
        lines.append(f"| {n:,} | {variable_bytes / 2**20:,.1f} ({variable_bytes / n:,.0f} B/item) | {peak:,.0f} |")
        del network
    body = "\n".join(lines)
    print(report.write("prompt-tables", "Per-item table sizes and scaling limits", body,
                       {"args": vars(args), "per_item": {"prompt": prompt_bytes, "served": served, "training": training}, "measured": measured}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
