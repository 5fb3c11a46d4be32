"""KuaiRand-Pure in its published format (Gao et al., CIKM 2022; see the release's README).

Files read from ``data_dir``: the two standard logs ``log_standard_4_08_to_4_21_pure.csv`` and
``log_standard_4_22_to_5_08_pure.csv`` (columns user_id, video_id, time_ms, is_click, is_like, is_follow,
is_comment, is_forward, play_time_ms, duration_ms, ...), ``user_features_pure.csv`` and
``video_features_basic_pure.csv``.

Positives are ``is_click == 1``. Eq. 4's value: CR = play ratio ``min(play_time_ms / duration_ms, 1)``,
IR = mean of is_like, is_follow, is_comment, is_forward; alpha = beta = 1.
User features are the 26 categorical fields of the release (8 named + onehot_feat0..17); item features are
type, upload type, visibility, music type, author, tags and a duration bucket.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd

from data.canonical import DatasetConfig, InteractionLog
from data.io import FLAG, UNIX_MILLISECONDS, Number, join_tokens, read_delimited, tokens

KUAIRAND = DatasetConfig(
    "kuairand-pure", 50, 1.0, 1.0, "is_click == 1", "min(play_time_ms / duration_ms, 1)",
    "mean(is_like, is_follow, is_comment, is_forward)",
)
LOG_FILES = ("log_standard_4_08_to_4_21_pure.csv", "log_standard_4_22_to_5_08_pure.csv")
USER_FILE = "user_features_pure.csv"
VIDEO_FILE = "video_features_basic_pure.csv"
INTERACTION_FLAGS = ("is_like", "is_follow", "is_comment", "is_forward")
USER_FIELDS = (
    "user_active_degree", "is_lowactive_period", "is_live_streamer", "is_video_author",
    "follow_user_num_range", "fans_user_num_range", "friend_user_num_range", "register_days_range",
) + tuple(f"onehot_feat{i}" for i in range(18))
VIDEO_FIELDS = ("video_type", "upload_type", "visible_status", "music_type", "author_id")
DURATION_MS = Number(0, 1e12)
LOG_NUMBERS = {  # every log row has all of these (the feature table leaves some video durations empty)
    "time_ms": UNIX_MILLISECONDS, "is_click": FLAG, "play_time_ms": DURATION_MS, "duration_ms": DURATION_MS,
} | {flag: FLAG for flag in INTERACTION_FLAGS}


def load_logs(data_dir: str) -> pd.DataFrame:
    frames = [
        read_delimited(os.path.join(data_dir, name), ",", ids=("user_id", "video_id"), numeric=LOG_NUMBERS)
        for name in LOG_FILES
    ]
    logs = pd.concat(frames, ignore_index=True)
    duration = logs["duration_ms"]
    play_ratio = np.where(duration > 0, logs["play_time_ms"] / duration.where(duration > 0, 1.0), 0.0)
    return pd.DataFrame(
        {
            "user_id": logs["user_id"],
            "item_id": logs["video_id"],
            "timestamp": logs["time_ms"].astype("int64"),
            "label": (logs["is_click"] == 1).astype("int64"),
            "cr": np.minimum(play_ratio, 1.0),
            "ir": logs[list(INTERACTION_FLAGS)].mean(axis=1),
        }
    )


def load_users(data_dir: str) -> pd.DataFrame:
    users = read_delimited(os.path.join(data_dir, USER_FILE), ",", ids=("user_id",))
    return pd.DataFrame(
        {"user_id": users["user_id"], "user_features": join_tokens({f: tokens(f, users[f]) for f in USER_FIELDS if f in users})}
    )


def load_videos(data_dir: str) -> pd.DataFrame:
    videos = read_delimited(
        os.path.join(data_dir, VIDEO_FILE), ",", ids=("video_id",), present=("tag",),
        numeric={"video_duration": dataclasses.replace(DURATION_MS, optional=True)},
    )
    seconds = videos["video_duration"].fillna(0.0) / 1000.0
    duration_bucket = np.floor(np.log2(seconds.clip(lower=1.0))).astype(int).astype(str)
    tag_tokens = videos["tag"].fillna("").apply(lambda tags: " ".join(f"tag={t.strip()}" for t in tags.split(",") if t.strip()))
    columns = {f: tokens(f, videos[f]) for f in VIDEO_FIELDS if f in videos}
    columns["tag"] = tag_tokens
    columns["duration"] = tokens("duration_log2s", pd.Series(duration_bucket))
    return pd.DataFrame({"item_id": videos["video_id"], "item_features": join_tokens(columns)})


def load_kuairand(data_dir: str) -> InteractionLog:
    """Reads KuaiRand-Pure's standard logs and feature tables from ``data_dir``."""
    return InteractionLog(KUAIRAND, load_logs(data_dir), load_users(data_dir), load_videos(data_dir))
