import pandas as pd

from data.splits import cold_items, leave_one_out, train_positive_counts


def _log(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "label"])


def test_last_positive_is_test_second_to_last_is_eval():
    frame = leave_one_out(_log([
        ("u", "a", 1, 1), ("u", "b", 2, 1), ("u", "c", 3, 0), ("u", "d", 4, 1), ("u", "e", 5, 1),
    ]))
    assert dict(zip(frame["item_id"], frame["split"])) == {"a": "train", "b": "train", "c": "train", "d": "eval", "e": "test"}


def test_order_is_by_time_not_by_file_position():
    frame = leave_one_out(_log([("u", "late", 9, 1), ("u", "early", 1, 1), ("u", "mid", 5, 1)]))
    assert dict(zip(frame["item_id"], frame["split"])) == {"late": "test", "mid": "eval", "early": "train"}


def test_non_positives_after_the_eval_cut_are_dropped():
    frame = leave_one_out(_log([
        ("u", "a", 1, 1), ("u", "b", 2, 1), ("u", "n1", 3, 0), ("u", "c", 4, 1), ("u", "n2", 5, 0), ("u", "d", 6, 1),
    ]))
    assert list(frame["item_id"]) == ["a", "b", "n1", "c", "d"]
    assert dict(zip(frame["item_id"], frame["split"]))["c"] == "eval"


def test_users_with_fewer_than_three_positives_stay_in_train():
    frame = leave_one_out(_log([("v", "a", 1, 1), ("v", "b", 2, 1), ("v", "x", 3, 0)]))
    assert set(frame["split"]) == {"train"}


def test_ties_in_time_keep_file_order():
    frame = leave_one_out(_log([("u", "a", 1, 1), ("u", "b", 1, 1), ("u", "c", 1, 1)]))
    assert dict(zip(frame["item_id"], frame["split"])) == {"a": "train", "b": "eval", "c": "test"}


def test_cold_items_count_only_training_positives():
    frame = leave_one_out(_log([
        # item "hot" gets 2 training positives; "warmish" 1 training positive and 1 held-out; "neg" only negatives
        ("u1", "hot", 1, 1), ("u1", "warmish", 2, 1), ("u1", "x", 3, 1), ("u1", "y", 4, 1),
        ("u2", "hot", 1, 1), ("u2", "neg", 2, 0), ("u2", "z", 3, 1), ("u2", "warmish", 4, 1),
    ]))
    counts = train_positive_counts(frame)
    assert counts["hot"] == 2 and counts["warmish"] == 1 and "neg" not in counts and "y" not in counts
    catalogue = pd.Index(["hot", "warmish", "neg", "x", "y", "z"])
    assert set(cold_items(frame, catalogue, threshold=1)) == {"warmish", "neg", "x", "y", "z"}
    assert set(cold_items(frame, catalogue, threshold=2)) == set(catalogue)
