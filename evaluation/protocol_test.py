import numpy as np
import pandas as pd

from evaluation.protocol import build_cases


def _frame():
    return pd.DataFrame(
        {
            "user_id": ["u", "u", "u", "v", "v", "v"],
            "item_id": ["a", "b", "c", "a", "d", "e"],
            "label": [1, 0, 1, 1, 1, 1],
            "split": ["train", "train", "test", "train", "eval", "test"],
        }
    )


def test_negatives_exclude_every_item_the_user_touched_and_are_seeded():
    catalogue = pd.Index(list("abcdefghij"))
    cases = build_cases(_frame(), catalogue, pd.Index(["c", "h"]), "sampled", n_negatives=4, seed=1)
    assert [(c.user_id, c.item_id, c.is_cold) for c in cases] == [("u", "c", True), ("v", "e", False)]
    assert len(cases[0].negatives) == 4 and not {"a", "b", "c"} & set(cases[0].negatives)
    assert not {"a", "d", "e"} & set(cases[1].negatives)
    again = build_cases(_frame(), catalogue, pd.Index(["c", "h"]), "sampled", n_negatives=4, seed=1)
    assert all(np.array_equal(x.negatives, y.negatives) for x, y in zip(cases, again))


def test_cold_view_draws_only_cold_items_and_full_view_takes_all_untouched():
    catalogue = pd.Index(list("abcdefghij"))
    cold = pd.Index(["c", "g", "h"])
    cold_cases = build_cases(_frame(), catalogue, cold, "cold_sampled", n_negatives=100)
    assert set(cold_cases[0].negatives) == {"g", "h"}  # c is u's own positive
    full = build_cases(_frame(), catalogue, cold, "full")
    assert set(full[1].negatives) == set("bcfghij")


def test_the_allowed_items_are_the_pool_without_every_item_the_user_touched_as_np_isin_gives():
    """The pool masked by position (build_cases) equals np.isin's filtering, draw for draw: duplicate rows, items
    outside the pool, users whose rows lie in other splits, a shuffled index."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"user_id": rng.choice(list("uvwxyz"), 300), "item_id": rng.choice([f"i{k}" for k in range(60)], 300),
                          "label": rng.integers(0, 2, 300), "split": rng.choice(["train", "eval", "test"], 300)})
    frame.index = rng.permutation(300) + 1000
    catalogue = pd.Index([f"i{k}" for k in range(50)])  # i50-i59 are touched but outside the pool
    cold = pd.Index([f"i{k}" for k in range(0, 50, 3)])
    for view in ("sampled", "cold_sampled", "full"):
        cases = build_cases(frame, catalogue, cold, view, n_negatives=7, seed=5)
        draws = np.random.default_rng(5)
        touched = frame.groupby("user_id")["item_id"].agg(set)
        pool = np.asarray(cold if view == "cold_sampled" else catalogue)
        held_out = frame[(frame["split"] == "test") & (frame["label"] == 1)]
        assert len(cases) == len(held_out) > 10
        for case, user in zip(cases, held_out["user_id"]):
            allowed = pool[~np.isin(pool, list(touched[user]))]
            if view != "full" and allowed.size > 7:
                allowed = draws.choice(allowed, size=7, replace=False)
            assert np.array_equal(case.negatives, allowed), view
