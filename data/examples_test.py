import numpy as np
import pandas as pd
import pytest

import dataclasses

from data.canonical import InteractionLog
from data.examples import QUERY_ID, QUERY_IS_COLD, build_examples, build_ranking_examples, histories, sample_negatives
from data.splits import leave_one_out
from data.synthetic import SYNTHETIC, generate
from evaluation.protocol import build_cases
from transforms.features import HISTORY_LENGTH, MAX_HISTORY


def test_history_is_strictly_earlier_training_positives_without_own_item():
    train_positives = pd.DataFrame({"user_id": ["u"] * 4, "item_id": ["a", "b", "c", "d"], "timestamp": [1, 2, 3, 4]})
    examples = pd.DataFrame({"user_id": ["u", "u", "u", "u"], "item_id": ["c", "a", "z", "d"], "timestamp": [3, 9, 9, 1]})
    result = histories(examples, train_positives, length=2)
    assert list(result) == ["a b", "c d", "c d", ""]


def test_examples_at_one_point_of_a_history_share_it_but_each_drops_its_own_item():
    train_positives = pd.DataFrame({"user_id": ["u"] * 4, "item_id": ["a", "b", "c", "d"], "timestamp": [1, 2, 3, 4]})
    examples = pd.DataFrame({"user_id": ["u"] * 4, "item_id": ["z", "c", "y", "a"], "timestamp": [9, 9, 9, 9]})
    assert list(histories(examples, train_positives, length=3)) == ["b c d", "a b d", "b c d", "b c d"]


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


def test_long_histories_are_the_last_max_history_earlier_training_positives():
    """Users with hundreds of likes: every example's history is, by a direct reading of the rule, the user's training
    positives strictly before it without its own item, the last MAX_HISTORY of them, oldest first."""
    log = generate(n_users=6, n_items=600, n_interactions=6000, seed=5)
    split_frame = leave_one_out(log.interactions)
    examples = build_examples(log, split_frame, n_train_negatives=1, n_eval_negatives=1, history_length=MAX_HISTORY, seed=0)
    likes = split_frame[(split_frame["split"] == "train") & (split_frame["label"] == 1)].sort_values("timestamp", kind="stable")
    lengths = []
    for frame in examples.values():
        for user, item, time, history in zip(frame["user_id"], frame["item_id"], frame["timestamp"], frame["history"]):
            mine = likes[(likes["user_id"] == user) & (likes["timestamp"] < time) & (likes["item_id"] != item)]
            assert history.split() == mine["item_id"].tolist()[-MAX_HISTORY:]
            lengths.append(len(history.split()))
    assert max(lengths) == MAX_HISTORY and sum(HISTORY_LENGTH < n < MAX_HISTORY for n in lengths) > 100


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


def _tiny_log():
    """Three users, items a..l, cold threshold 1. By time: u likes a, b, skips c, likes d (eval), e (test); v likes
    a, f, b (eval), g (test); w likes a, b, i (eval), j (test). Training positives: a 3, b 2, f 1: a and b are warm."""
    rows = [("u", "a", 1), ("u", "b", 1), ("u", "c", 0), ("u", "d", 1), ("u", "e", 1),
            ("v", "a", 1), ("v", "f", 1), ("v", "b", 1), ("v", "g", 1),
            ("w", "a", 1), ("w", "b", 1), ("w", "i", 1), ("w", "j", 1)]
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "label"])
    interactions["timestamp"] = np.arange(len(rows)) * 10
    interactions["cr"] = 0.5 * interactions["label"]
    interactions["ir"] = 1.0 * interactions["label"]
    users = pd.DataFrame({"user_id": ["u", "v", "w"], "user_features": ["age=1", "age=2", "age=3"]})
    items = pd.DataFrame({"item_id": list("abcdefghijkl"), "item_features": [f"genre={k % 3}" for k in range(12)]})
    config = dataclasses.replace(SYNTHETIC, cold_threshold=1)
    return InteractionLog(config, interactions, users, items)


def test_ranking_set_has_one_query_per_eval_positive_with_negatives_the_user_never_touched():
    log = _tiny_log()
    split_frame = leave_one_out(log.interactions)
    rows = build_ranking_examples(log, split_frame, n_negatives=4, seed=0)
    assert list(rows[QUERY_ID].drop_duplicates()) == [0, 1, 2] and (rows.groupby(QUERY_ID).size() == 5).all()
    positives = rows[rows["label"] == 1]
    assert list(positives[QUERY_ID]) == [0, 1, 2] and list(positives["item_id"]) == ["d", "b", "i"]
    assert list(positives.index % 5) == [4, 0, 2]  # each query's positive at its seeded place among the 5
    touched = {"u": set("abcde"), "v": set("abfg"), "w": set("abij")}
    for query, group in rows.groupby(QUERY_ID):
        user = group["user_id"].iloc[0]
        negatives = group[group["label"] == 0]
        assert (group["user_id"] == user).all() and len(negatives) == 4 and negatives["item_id"].is_unique
        assert not set(negatives["item_id"]) & touched[user]  # c, u's logged skip, counts as touched
        assert (negatives[["cr", "ir"]] == 0).all().all()
        for column in ("timestamp", "history", "user_features", QUERY_IS_COLD):  # one value per query
            assert group[column].nunique() == 1, (query, column)
    # Per query: the positive's cold flag (d and i have no training positive, b has 2 > 1); a and b are warm
    # negatives, cold queries included.
    assert rows.groupby(QUERY_ID)[QUERY_IS_COLD].first().tolist() == [1, 0, 1]
    assert positives["history"].tolist() == ["a b", "a f", "a b"]  # training positives before the eval positive
    assert list(positives[["cr", "ir"]].itertuples(index=False, name=None)) == [(0.5, 1.0)] * 3


def test_ranking_set_is_evaluation_protocols_sampled_view_of_the_eval_split_and_seeded():
    log = _tiny_log()
    split_frame = leave_one_out(log.interactions)
    rows = build_ranking_examples(log, split_frame, n_negatives=4, seed=3)
    cases = build_cases(split_frame, pd.Index(list("abcdefghijkl")), pd.Index(list("cdefghijkl")), "sampled", 4, 3, "eval")
    lists = [list(group["item_id"]) for _, group in rows.groupby(QUERY_ID)]
    places = [items.index(c.item_id) for items, c in zip(lists, cases)]
    assert lists == [[*c.negatives[:k], c.item_id, *c.negatives[k:]] for c, k in zip(cases, places)]  # drawn order
    pd.testing.assert_frame_equal(rows, build_ranking_examples(log, split_frame, n_negatives=4, seed=3))
    others = [build_ranking_examples(log, split_frame, n_negatives=4, seed=seed) for seed in (4, 5, 6)]
    assert any(not other["item_id"].equals(rows["item_id"]) for other in others)


def test_ranking_set_shares_each_querys_history_as_per_row_histories_would_give(synthetic_examples):
    log, split_frame, _ = synthetic_examples
    rows = build_ranking_examples(log, split_frame, n_negatives=20, seed=0)
    train_positives = split_frame[(split_frame["split"] == "train") & (split_frame["label"] == 1)]
    assert rows[QUERY_ID].nunique() == (split_frame["split"] == "eval").sum() > 50
    assert (rows["history"] == histories(rows, train_positives, 20)).all() and (rows["history"] != "").mean() > 0.9
    assert 0 < rows.groupby(QUERY_ID)[QUERY_IS_COLD].first().mean() < 1


def test_ranking_set_puts_each_positive_at_a_uniformly_drawn_place_so_a_tied_ranking_scores_at_random(synthetic_examples):
    """A model that scores every candidate alike, ranked as TFMA ranks ties (list order), must score like chance:
    the positive's place is uniform over the 21 places, not first."""
    log, split_frame, _ = synthetic_examples
    rows = build_ranking_examples(log, split_frame, n_negatives=20, seed=0)
    place = rows.groupby(QUERY_ID)["label"].apply(lambda labels: int(np.argmax(labels.to_numpy())))
    counts = np.bincount(place, minlength=21)
    assert len(place) > 50 and counts.size == 21
    expected = len(place) / 21
    assert ((counts - expected) ** 2 / expected).sum() < 45.3  # chi-square, 20 degrees of freedom: p > 0.001
    assert (place < 10).mean() == pytest.approx(10 / 21, abs=0.15)  # what a tied ranking's HR@10 reads: chance


def test_ranking_set_keeps_a_seeded_sample_of_whole_queries_when_capped(synthetic_examples):
    log, split_frame, _ = synthetic_examples
    every = build_ranking_examples(log, split_frame, n_negatives=5, seed=2)
    capped = build_ranking_examples(log, split_frame, n_negatives=5, seed=2, max_queries=20)
    assert list(capped[QUERY_ID].drop_duplicates()) == list(range(20)) and (capped.groupby(QUERY_ID).size() == 6).all()
    queries = lambda rows: [tuple(group["item_id"]) + (group["user_id"].iloc[0],) for _, group in rows.groupby(QUERY_ID)]  # noqa: E731
    kept, all_queries = queries(capped), queries(every)
    positions = [all_queries.index(query) for query in kept]  # whole queries of the uncapped set, in its order
    assert positions == sorted(positions) and len(set(positions)) == 20
    assert queries(build_ranking_examples(log, split_frame, n_negatives=5, seed=2, max_queries=20)) == kept
    positives = lambda rows: set(map(tuple, rows.loc[rows["label"] == 1, ["user_id", "item_id"]].to_numpy()))  # noqa: E731
    assert positives(build_ranking_examples(log, split_frame, n_negatives=5, seed=3, max_queries=20)) != positives(capped)
    pd.testing.assert_frame_equal(build_ranking_examples(log, split_frame, n_negatives=5, seed=2, max_queries=10**6), every)
