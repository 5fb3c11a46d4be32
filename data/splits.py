"""Leave-one-out splits by time and the cold/warm item groups (paper §5.1)."""
from __future__ import annotations

import numpy as np
import pandas as pd

TRAIN, EVAL, TEST = "train", "eval", "test"


def leave_one_out(interactions: pd.DataFrame) -> pd.DataFrame:
    """Adds a ``split`` column: per user, over positives ordered by time, last -> test, second-to-last -> eval.

    Ties in time keep the file's order. The remaining positives, and the non-positive interactions that come
    before the eval positive, are ``train``; non-positive interactions at or after it are dropped (they lie
    beyond the training cut). Users with fewer than three positives keep everything in ``train``.
    """
    frame = interactions.copy()
    frame["_order"] = np.arange(len(frame))
    frame = frame.sort_values(["user_id", "timestamp", "_order"], kind="stable")
    frame["_position"] = frame.groupby("user_id").cumcount()
    positives = frame[frame["label"] == 1]
    from_end = positives.groupby("user_id").cumcount(ascending=False)
    eligible = positives.groupby("user_id")["label"].transform("size") >= 3

    frame["split"] = TRAIN
    frame.loc[positives.index[(from_end == 0) & eligible], "split"] = TEST
    frame.loc[positives.index[(from_end == 1) & eligible], "split"] = EVAL
    cut = frame[frame["split"] == EVAL].set_index("user_id")["_position"]
    cut_of_row = frame["user_id"].map(cut)
    beyond_cut = (frame["label"] != 1) & cut_of_row.notna() & (frame["_position"] >= cut_of_row)
    frame = frame[~beyond_cut]
    return frame.sort_values("_order").drop(columns=["_order", "_position"]).reset_index(drop=True)


def train_positive_counts(split_frame: pd.DataFrame) -> pd.Series:
    """Positive interactions per item in the training part only (items without any are absent)."""
    train_positives = split_frame[(split_frame["split"] == TRAIN) & (split_frame["label"] == 1)]
    return train_positives.groupby("item_id").size()


def cold_items(split_frame: pd.DataFrame, catalogue: pd.Index, threshold: int) -> pd.Index:
    """Items of ``catalogue`` with at most ``threshold`` positive training interactions (paper §5.1)."""
    counts = train_positive_counts(split_frame).reindex(catalogue, fill_value=0)
    return counts.index[counts <= threshold]
