"""Tmall (IJCAI-15 repeat-buyer data) in its published format.

``user_log_format1.csv``: user_id, item_id, cat_id, seller_id, brand_id, time_stamp (``mmdd`` of 2015 as an
integer), action_type (0 click, 1 add-to-cart, 2 purchase, 3 favourite). ``user_info_format1.csv``
(user_id, age_range, gender) is read when present; without it users have no features.

Positives are add-to-cart, purchase and favourite. Eq. 4's value: CR = 0 (no dwell time is logged),
IR = 1.0 purchase, 0.6 favourite, 0.4 add-to-cart, 0 click; alpha = 0, beta = 1. The timestamp is the
``mmdd`` integer, which orders days within the one year the log covers. Item features (category, seller,
brand) come from the log itself.
"""
from __future__ import annotations

import os

import pandas as pd

from data.canonical import DatasetConfig, InteractionLog
from data.io import Number, join_tokens, read_delimited, tokens

TMALL = DatasetConfig("tmall", 20, 0.0, 1.0, "action_type in {1, 2, 3}", "none (CR = 0)", "purchase 1.0, favourite 0.6, cart 0.4")
LOG_FILE = "user_log_format1.csv"
USER_INFO_FILE = "user_info_format1.csv"
ACTION_VALUE = {0: 0.0, 1: 0.4, 2: 1.0, 3: 0.6}
ITEM_FIELDS = ("cat_id", "seller_id", "brand_id")
LOG_NUMBERS = {"time_stamp": Number(101, 1231, integer=True), "action_type": Number(0, 3, integer=True)}


def load_tmall(data_dir: str) -> InteractionLog:
    """Reads the Tmall user log (and user info when present) from ``data_dir``."""
    path = os.path.join(data_dir, LOG_FILE)
    log = read_delimited(path, ",", ids=("user_id", "item_id"), present=ITEM_FIELDS, numeric=LOG_NUMBERS)
    action = log["action_type"].astype(int)
    interactions = pd.DataFrame(
        {
            "user_id": log["user_id"],
            "item_id": log["item_id"],
            "timestamp": log["time_stamp"].astype("int64"),
            "label": action.isin([1, 2, 3]).astype("int64"),
            "cr": 0.0,
            "ir": action.map(ACTION_VALUE),
        }
    )
    first = log.drop_duplicates("item_id")
    items = pd.DataFrame(
        {
            "item_id": first["item_id"],
            "item_features": join_tokens({f: tokens(f, first[f]) for f in ITEM_FIELDS}),
        }
    )
    info_path = os.path.join(data_dir, USER_INFO_FILE)
    if os.path.exists(info_path):
        info = read_delimited(info_path, ",", ids=("user_id",), present=("age_range", "gender"))
        users = pd.DataFrame(
            {"user_id": info["user_id"], "user_features": join_tokens({f: tokens(f, info[f]) for f in ("age_range", "gender")})}
        )
    else:
        users = pd.DataFrame({"user_id": interactions["user_id"].unique(), "user_features": ""})
    return InteractionLog(TMALL, interactions, users, items)
