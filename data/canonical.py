"""The canonical interaction log every loader produces, and the per-dataset settings.

One log holds three tables:
- ``interactions``: user_id, item_id (strings), timestamp (int64), label (1 = positive feedback),
  cr and ir (the two value signals of Eq. 4: v(u,i) = alpha * CR(u,i) + beta * IR(u,i)).
- ``users``: user_id, user_features (a space-separated bag of ``field=value`` tokens).
- ``items``: item_id, item_features (the same, for items).
Feature bags keep one schema, one Transform and one model for every dataset.
"""
from __future__ import annotations

import dataclasses
from typing import Dict

import pandas as pd

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
        self.interactions = _typed_interactions(self.interactions)
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
        return self.config.alpha * self.interactions["cr"] + self.config.beta * self.interactions["ir"]


def _typed_interactions(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.loc[:, list(INTERACTION_COLUMNS)].copy()
    frame["user_id"] = frame["user_id"].astype(str)
    frame["item_id"] = frame["item_id"].astype(str)
    frame["timestamp"] = frame["timestamp"].astype("int64")
    frame["label"] = frame["label"].astype("int64")
    frame["cr"] = frame["cr"].astype("float64")
    frame["ir"] = frame["ir"].astype("float64")
    return frame.reset_index(drop=True)


def _count_fields(bags: pd.Series) -> int:
    fields = bags.str.split().explode().dropna().str.split("=", n=1).str[0]
    return int(fields.nunique())
