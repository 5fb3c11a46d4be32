import numpy as np
import pandas as pd
import pytest

from data.canonical import InteractionLog
from data.examples import build_examples, histories, sample_negatives
from data.splits import leave_one_out
from data.synthetic import SYNTHETIC, generate


def test_history_is_strictly_earlier_training_positives_without_own_item():
    train_positives = pd.DataFrame({"user_id": ["u"] * 4, "item_id": ["a", "b", "c", "d"], "timestamp": [1, 2, 3, 4]})
    examples = pd.DataFrame({"user_id": ["u", "u", "u", "u"], "item_id": ["c", "a", "z", "d"], "timestamp": [3, 9, 9, 1]})
    result = histories(examples, train_positives, length=2)
    assert list(result) == ["a b", "c d", "c d", ""]


def test_history_keeps_the_most_recent_items():
    train_positives = pd.DataFrame({"user_id": ["u"] * 5, "item_id": list("abcde"), "timestamp": [1, 2, 3, 4, 5]})
    result = histories(pd.DataFrame({"user_id": ["u"], "item_id": ["q"], "timestamp": [10]}), train_positives, 3)
    assert result.iloc[0] == "c d e"


def test_sampled_negatives_avoid_seen_pairs():
    rng = np.random.default_rng(0)
    seen = np.sort(np.array([0 * 5 + i for i in range(4)]))  # user 0 has seen items 0-3 of 5
    rows, items = sample_negatives(np.array([0, 0]), seen, n_items=5, per_row=3, rng=rng)
    assert len(rows) == 6 and set(items) == {4}


@pytest.fixture(scope="module")
def synthetic_examples():
    log = generate(n_users=120, n_items=200, n_interactions=4000, seed=3)
    split_frame = leave_one_out(log.interactions)
    return log, split_frame, build_examples(log, split_frame, n_train_negatives=2, n_eval_negatives=3, seed=1)


def test_no_history_contains_the_scored_item_or_anything_but_earlier_training_positives(synthetic_examples):
    log, split_frame, examples = synthetic_examples
    train_pos = split_frame[(split_frame["split"] == "train") & (split_frame["label"] == 1)]
    first_positive_time = train_pos.groupby(["user_id", "item_id"])["timestamp"].min().to_dict()
    checked = 0
    for frame in examples.values():
        for user, item, time, history in zip(frame["user_id"], frame["item_id"], frame["timestamp"], frame["history"]):
            items = history.split()
            assert item not in items
            for h in items:
                assert first_positive_time[(user, h)] < time
                checked += 1
    assert checked > 1000


def test_train_rows_are_the_logged_and_sampled_rows_in_a_seeded_mixed_order(synthetic_examples):
    log, split_frame, examples = synthetic_examples
    train = examples["train"]
    logged = split_frame[split_frame["split"] == "train"]
    assert len(train) == len(logged) + 2 * (logged["label"] == 1).sum()  # logged rows + 2 negatives per positive
    keys = ["user_id", "item_id", "timestamp", "label"]
    assert train[keys].merge(logged[keys], how="inner").shape[0] >= len(logged)  # every logged row is there
    share = train["label"].mean()
    for quarter in np.array_split(train["label"].to_numpy(), 4):  # no stretch of negatives only
        assert abs(quarter.mean() - share) < 0.05, (quarter.mean(), share)
    again = build_examples(log, split_frame, n_train_negatives=2, n_eval_negatives=3, seed=1)["train"]
    pd.testing.assert_frame_equal(train, again)  # the order is the seed's


def test_eval_and_test_negatives_were_never_interacted(synthetic_examples):
    log, split_frame, examples = synthetic_examples
    interacted = set(zip(split_frame["user_id"], split_frame["item_id"]))
    for name in ("eval", "test"):
        negatives = examples[name][examples[name]["label"] == 0]
        assert len(negatives) == 3 * (examples[name]["label"] == 1).sum()
        assert not any(pair in interacted for pair in zip(negatives["user_id"], negatives["item_id"]))


def test_features_are_attached_and_missing_ones_are_empty():
    log = generate(n_users=30, n_items=40, n_interactions=600, seed=0)
    log = InteractionLog(SYNTHETIC, log.interactions, log.users.iloc[1:], log.items.iloc[1:])
    split_frame = leave_one_out(log.interactions)
    train = build_examples(log, split_frame)["train"]
    assert (train.loc[train["user_id"] == "u0", "user_features"] == "").all()
    assert (train.loc[train["user_id"] == "u1", "user_features"] != "").all()
