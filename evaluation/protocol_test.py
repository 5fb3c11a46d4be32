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
