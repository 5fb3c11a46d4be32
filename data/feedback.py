"""Reading the new feedback a refresh (trainer/refresh.py) adds to a trained model.

A feedback file is a CSV with a header and the prepared examples' columns (data/examples.py): what the model
was asked (the ``serving_default`` request's user_id, item_id, user_features, item_features, history) and what
happened (``label``: 1 = positive, 0 = not). ``user_id``, ``item_id`` and ``label`` are required; a missing
``timestamp``, ``cr`` or ``ir`` column is 0 and a missing bag column is empty. ``cr`` and ``ir`` are the two
value signals of Eq. 4 (they rank an item's pinnacle users).
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd

from data.errors import DataError
from data.examples import EXAMPLE_COLUMNS
from data.io import numbers, read_delimited

REQUIRED = ("user_id", "item_id", "label")
NUMERIC_DEFAULTS = {"timestamp": 0, "cr": 0.0, "ir": 0.0}
BAG_COLUMNS = ("user_features", "item_features", "history")


def read_feedback(path: str) -> pd.DataFrame:
    """One feedback file as a frame with EXAMPLE_COLUMNS (see the module docstring); DataError names the
    file, row and field of the first bad value."""
    frame = read_delimited(path, ",", required=REQUIRED, numeric=("label",))
    bad_label = ~frame["label"].isin([0, 1])
    if bad_label.any():
        row = int(bad_label.to_numpy().argmax())
        raise DataError(path, f"label must be 0 or 1, got {frame['label'].iloc[row]!r}", row=row + 2, field="label")
    for field, default in NUMERIC_DEFAULTS.items():
        frame[field] = numbers(frame, field, path).fillna(default) if field in frame.columns else default
    for field in BAG_COLUMNS:
        if field not in frame.columns:
            frame[field] = ""
    frame["timestamp"] = frame["timestamp"].astype("int64")
    frame["label"] = frame["label"].astype("int64")
    return frame.loc[:, list(EXAMPLE_COLUMNS)]


def read_feedback_files(paths: Iterable[str]) -> pd.DataFrame:
    """Every file of ``paths``, in order, as one frame."""
    frames = [read_feedback(path) for path in paths]
    if not frames:
        raise ValueError("no feedback files given")
    return pd.concat(frames, ignore_index=True)
