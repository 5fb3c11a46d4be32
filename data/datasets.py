"""The datasets this project reads, by name."""
from __future__ import annotations

from typing import Callable, Dict, Optional

from data.canonical import DatasetConfig, InteractionLog
from data.errors import DataError
from data.kuairand import KUAIRAND, load_kuairand
from data.ml100k_source import cache_dir, load_real_ml100k
from data.movielens import ML1M, ML100K, load_ml1m
from data.synthetic import SYNTHETIC, generate
from data.tmall import TMALL, load_tmall


def _needs_dir(loader: Callable[[str], InteractionLog], name: str) -> Callable[[Optional[str]], InteractionLog]:
    def load(data_dir: Optional[str]) -> InteractionLog:
        if not data_dir:
            raise DataError(name, "this dataset is not downloadable here: pass --data-dir with its published files")
        return loader(data_dir)

    return load


LOADERS: Dict[str, Callable[[Optional[str]], InteractionLog]] = {
    "ml-100k": load_real_ml100k,
    "ml-1m": _needs_dir(load_ml1m, "ml-1m"),
    "kuairand-pure": _needs_dir(load_kuairand, "kuairand-pure"),
    "tmall": _needs_dir(load_tmall, "tmall"),
    "synthetic": lambda data_dir: generate(),
    # The scale runs (benchmarks/pipeline_timings.py): 100K items, about 100 interactions per user.
    "synthetic-1m": lambda data_dir: generate(n_users=10_000, n_items=100_000, n_interactions=1_000_000),
    "synthetic-10m": lambda data_dir: generate(n_users=100_000, n_items=100_000, n_interactions=10_000_000),
}

# What each dataset's loader produces (cold threshold, Eq. 4 weights): for runners that do not load the data
# themselves (kubeflow_v2_runner.py reads a prepared folder).
CONFIGS: Dict[str, DatasetConfig] = {
    "ml-100k": ML100K, "ml-1m": ML1M, "kuairand-pure": KUAIRAND, "tmall": TMALL,
    "synthetic": SYNTHETIC, "synthetic-1m": SYNTHETIC, "synthetic-10m": SYNTHETIC,
}


def input_dir(name: str, data_dir: Optional[str] = None) -> Optional[str]:
    """The folder whose files dataset ``name`` is read from (None for a generated dataset)."""
    if name.startswith("synthetic"):
        return None
    return data_dir or (cache_dir() if name == "ml-100k" else None)


def load(name: str, data_dir: Optional[str] = None) -> InteractionLog:
    """Loads dataset ``name`` (one of :data:`LOADERS`) from ``data_dir``."""
    if name not in LOADERS:
        raise DataError(name, f"unknown dataset (choose from {', '.join(LOADERS)})")
    return LOADERS[name](data_dir)
