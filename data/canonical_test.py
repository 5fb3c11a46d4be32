import pandas as pd

from data.canonical import DatasetConfig, InteractionLog

CONFIG = DatasetConfig("t", 20, 1.0, 1.0, "label", "cr", "ir")


def _log(rows):
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "label", "cr", "ir"])
    return InteractionLog(CONFIG, frame, pd.DataFrame(columns=["user_id", "user_features"]), pd.DataFrame(columns=["item_id", "item_features"]))


def test_repeated_pairs_merge_into_one_interaction_at_the_first_positive():
    log = _log([
        ("u1", "a", 5, 0, 0.1, 0.0),
        ("u2", "a", 6, 1, 0.2, 0.0),
        ("u1", "a", 9, 1, 0.3, 0.0),  # u1 first liked a at 9
        ("u1", "a", 7, 0, 0.9, 1.0),  # highest cr and ir of the pair
        ("u1", "a", 12, 1, 0.0, 0.0),  # a later copy of the positive: would leak into training if kept
    ])
    frame = log.interactions
    assert log.merged_duplicates == 3 and len(frame) == 2
    u1 = frame[frame["user_id"] == "u1"].iloc[0]
    assert (u1["timestamp"], u1["label"], u1["cr"], u1["ir"]) == (9, 1, 0.9, 1.0)
    assert frame["user_id"].tolist() == ["u2", "u1"]  # file order of the kept rows


def test_a_log_without_repeats_is_kept_as_it_is():
    log = _log([("u1", "a", 5, 1, 0.1, 0.0), ("u1", "b", 4, 0, 0.0, 0.0)])
    assert log.merged_duplicates == 0 and log.interactions["item_id"].tolist() == ["a", "b"]
