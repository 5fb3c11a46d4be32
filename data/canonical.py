"""The canonical interaction log every loader produces, and the per-dataset settings.

One log holds three tables:
- ``interactions``: user_id, item_id (strings), timestamp (int64), label (1 = positive feedback),
  cr and ir (the two value signals of Eq. 4: v(u,i) = alpha * CR(u,i) + beta * IR(u,i)).
- ``users``: user_id, user_features (a space-separated bag of ``field=value`` tokens).
- ``items``: item_id, item_features (the same, for items).
Feature bags keep one schema, one Transform and one model for every dataset.

Repeated (user_id, item_id) pairs are merged into one interaction (``merge_duplicates``): otherwise an
earlier copy of a held-out positive would sit in training and leak it.
"""
from __future__ import annotations

import dataclasses
from typing import Dict

import numpy as np
import pandas as pd

from transforms.pinnacle_value import pinnacle_value  # no TensorFlow import

INTERACTION_COLUMNS = ("user_id", "item_id", "timestamp", "label", "cr", "ir")
USER_COLUMNS = ("user_id", "user_features")
ITEM_COLUMNS = ("item_id", "item_features")


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    """What a dataset's positives and values are, and where its cold tail starts.

    ``cold_threshold``: an item with at most this many positive *training* interactions is cold
    (paper §5.1: 20, 50, 50, 20 for ML-100K, ML-1M, KuaiRand, Tmall).
    ``alpha``/``beta`` weight CR and IR in the pinnacle value of Eq. 4.
    ``positive_rule``/``cr_signal``/``ir_signal`` document how the loader derived label, cr and ir.
    """

    name: str
    cold_threshold: int
    alpha: float
    beta: float
    positive_rule: str
    cr_signal: str
    ir_signal: str


@dataclasses.dataclass
class InteractionLog:
    """A dataset in canonical form (see the module docstring)."""

    config: DatasetConfig
    interactions: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame

    def __post_init__(self):
        self.interactions, self.merged_duplicates = merge_duplicates(_typed_interactions(self.interactions))
        self.users = self.users.loc[:, list(USER_COLUMNS)].astype(str)
        self.items = self.items.loc[:, list(ITEM_COLUMNS)].astype(str)

    def feature_fields(self) -> Dict[str, int]:
        """Number of distinct feature fields (the part of a token before '=') for users and items."""
        return {
            "user": _count_fields(self.users["user_features"]),
            "item": _count_fields(self.items["item_features"]),
        }

    def value(self) -> pd.Series:
        """Eq. 4: the value of every interaction, alpha * CR + beta * IR."""
        return pinnacle_value(self.interactions["cr"], self.interactions["ir"], self.config.alpha, self.config.beta)


def _typed_interactions(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.loc[:, list(INTERACTION_COLUMNS)].copy()
    frame["user_id"] = frame["user_id"].astype(str)
    frame["item_id"] = frame["item_id"].astype(str)
    frame["timestamp"] = frame["timestamp"].astype("int64")
    frame["label"] = frame["label"].astype("int64")
    frame["cr"] = frame["cr"].astype("float64")
    frame["ir"] = frame["ir"].astype("float64")
    return frame.reset_index(drop=True)


def merge_duplicates(frame: pd.DataFrame):
    """One row per (user_id, item_id): the highest label, first reached at the earliest such timestamp (ties in
    file order), with the pair's highest cr and ir. Returns (frame in file order, number of rows merged away)."""
    key = ["user_id", "item_id"]
    if not frame.duplicated(key).any():
        return frame, 0
    ordered = frame.assign(_row=np.arange(len(frame))).sort_values(
        key + ["label", "timestamp", "_row"], ascending=[True, True, False, True, True], kind="stable"
    )
    best = ordered.drop_duplicates(key).drop(columns=["cr", "ir"])
    merged = best.join(frame.groupby(key)[["cr", "ir"]].max(), on=key).sort_values("_row")
    return merged.loc[:, list(INTERACTION_COLUMNS)].reset_index(drop=True), len(frame) - len(merged)


def _count_fields(bags: pd.Series) -> int:
    fields = bags.str.split().explode().dropna().str.split("=", n=1).str[0]
    return int(fields.nunique())
