"""The paper's ablations (Tables 3 and 4) beside ours, from one `benchmarks.quality` run.

    python -m benchmarks.ablation benchmarks/results/quality-ml-100k-test.json   # a run with every variant

Reads the run's JSON (every variant, every seed) and writes benchmarks/results/ablation-<run>.md/.json: per
variant the paper's claimed ML-100K cold-target HR@10 / NDCG@10 and ours (mean ± sample std over the run's seeds,
x100) in the paper's view (`sampled`) and against cold negatives only (`cold_sampled`). Table 5 of the paper is
an online A/B test and has no offline counterpart. The paper's numbers come from its leaky protocol (pinnacle
lists holding the scored user); ours are leak-free (docs/cold-start-quality.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List

import numpy as np

from data.errors import reported
from benchmarks import report
from benchmarks.paper import ABLATIONS_ML100K_COLD, TABLE2_ML100K_COLD


def _paper(table2_name: str):
    """(HR@10, NDCG@10) of a Table 2 row."""
    _, hr10, _, ndcg10 = TABLE2_ML100K_COLD[table2_name]
    return hr10, ndcg10


# (our variant, what it tests, the paper's table, its claimed ML-100K cold (HR@10, NDCG@10) or None)
PAPER_ABLATIONS = (
    ("pretrain", "Pre-train", "Table 2", _paper("Pre-train (paper)")),
    ("finetune", "Fine-tune", "Table 2", _paper("Fine-tune (paper)")),
    ("promo_i", "PROMO-I (item id as prompt information)", "Table 3", ABLATIONS_ML100K_COLD["promo_i"]),
    ("promo_f", "PROMO-F (item features)", "Table 3", ABLATIONS_ML100K_COLD["promo_f"]),
    ("promo_if", "PROMO-IF (item id + features)", "Table 3", ABLATIONS_ML100K_COLD["promo_if"]),
    ("promo_m", "PROMO-M (one shared prompt network)", "Table 4", ABLATIONS_ML100K_COLD["promo_m"]),
    ("promo_t", "PROMO-T (no prompt network)", "Table 4", ABLATIONS_ML100K_COLD["promo_t"]),
    ("promo", "PROMO (pinnacle feedback, per-item networks)", "Tables 2-4", _paper("PROMO (paper)")),
    ("promo_ls", "PROMO-LS (ours, not in the paper)", "-", None),
    ("dropoutnet", "DropoutNet (learned cold-start baseline)", "Table 2", _paper("DropoutNet (paper)")),
    ("content_mapper", "content mapper (CB2CF's idea)", "Table 2 (CB2CF)", _paper("CB2CF (paper)")),
    ("aldi", "ALDI (SIGIR 2023; not in the paper)", "-", None),
)
VIEWS = ("sampled", "cold_sampled")


def mean_std(runs: List[Dict], metric: str) -> str:
    """'mean ± std' (x100, sample std over seeds) of the cold-target ``metric`` of ``runs``."""
    values = np.array([r["cold"][metric] for r in runs]) * 100
    return f"{values.mean():.1f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.1f}"


def ablation_rows(results: Dict[str, Dict[str, List[Dict]]]) -> List[List[str]]:
    """One row per variant of PAPER_ABLATIONS present in ``results`` (a quality run's {model: {view: [runs]}})."""
    rows = []
    for variant, name, table, paper_values in PAPER_ABLATIONS:
        if variant not in results:
            continue
        paper = "–" if paper_values is None else "{:.1f} / {:.1f}".format(*paper_values)
        ours = [f"{mean_std(results[variant][v], 'HR@10')} / {mean_std(results[variant][v], 'NDCG@10')}"
                for v in VIEWS if v in results[variant]]
        rows.append([f"`{variant}`", name, table, paper] + ours)
    return rows


def markdown(run: Dict) -> str:
    views = [v for v in VIEWS if v in run["args"]["views"]]
    seeds = run["args"]["seeds"]
    lines = [
        f"From `{run.get('command', 'an older benchmarks.quality run')}` (seeds {seeds}; mean ± sample std over seeds, x100; cold targets only).",
        "Paper: ML-100K cold-target numbers of its Tables 2-4 (leaky protocol). Ours: leak-free, same split rule.",
        "",
        "| variant | what it tests | paper table | paper HR@10 / NDCG@10 | " + " | ".join(f"ours, {v}: HR@10 / NDCG@10" for v in views) + " |",
        "|---" * (4 + len(views)) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in ablation_rows(run["results"])]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="a benchmarks.quality JSON results file")
    args = parser.parse_args(argv)
    with open(args.results) as handle:
        run = json.load(handle)
    name = "ablation-" + os.path.splitext(os.path.basename(args.results))[0].removeprefix("quality-")
    body = markdown(run)
    print(report.write(name, "The paper's ablations (Tables 3-4) beside ours", body, {"source": args.results, "rows": ablation_rows(run["results"])}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
