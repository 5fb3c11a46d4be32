"""Reading the new feedback a refresh (trainer/refresh.py) adds to a trained model.

A feedback file is a CSV with a header and the prepared examples' columns (data/examples.py): what the model
was asked (the ``serving_default`` request's user_id, item_id, user_features, item_features, history) and what
happened (``label``: 1 = positive, 0 = not). ``user_id``, ``item_id`` and ``label`` (0 or 1) are required; a missing
``timestamp``, ``cr`` or ``ir`` column is 0 and a missing bag column is empty. ``cr`` and ``ir`` are the two
value signals of Eq. 4 (they rank an item's pinnacle users), ratios in [0, 1] as every loader writes them;
``timestamp`` is a whole number >= 0 in the dataset's own unit.
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd

from data.examples import EXAMPLE_COLUMNS
from data.io import FLAG, Number, read_delimited

OPTIONAL_NUMBERS = {  # column: (accepted values, value when the column is absent or empty)
    "timestamp": (Number(0, 2**53, integer=True, optional=True), 0),
    "cr": (Number(0, 1, optional=True), 0.0),
    "ir": (Number(0, 1, optional=True), 0.0),
}
BAG_COLUMNS = ("user_features", "item_features", "history")


def read_feedback(path: str) -> pd.DataFrame:
    """One feedback file as a frame with EXAMPLE_COLUMNS (see the module docstring); DataError names the
    file, row and field of the first bad value."""
    numeric = {"label": FLAG} | {field: spec for field, (spec, _) in OPTIONAL_NUMBERS.items()}
    frame = read_delimited(path, ",", ids=("user_id", "item_id"), numeric=numeric, optional_columns=OPTIONAL_NUMBERS)
    for field, (_, default) in OPTIONAL_NUMBERS.items():
        frame[field] = frame[field].fillna(default) if field in frame.columns else default
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
