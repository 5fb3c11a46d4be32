import numpy as np

from evaluation.protocol import Case
from evaluation.scoring import case_ranks, evaluate

SCORES = {"a": 0.9, "b": 0.5, "c": 0.1, "d": 0.7}


class _Lookup:
    def score(self, user_id, item_ids):
        return np.array([SCORES[i] for i in item_ids])


class _BatchedLookup(_Lookup):
    def score_many(self, user_ids, item_ids):
        return self.score(None, item_ids)


CASES = [
    Case("u", "b", True, np.array(["a", "c"])),  # b ranks 2nd
    Case("v", "a", False, np.array(["b", "c", "d"])),  # a ranks 1st
    Case("w", "c", True, np.array(["a", "b", "d"])),  # c ranks 4th
]


def test_ranks_agree_between_per_case_and_batched_scoring():
    assert case_ranks(_Lookup(), CASES).tolist() == [2, 1, 4]
    assert case_ranks(_BatchedLookup(), CASES).tolist() == [2, 1, 4]


def test_metrics_are_split_by_the_target_items_cold_flag():
    result = evaluate(_BatchedLookup(), CASES)
    assert result["cold"]["cases"] == 2 and result["warm"]["cases"] == 1
    assert result["warm"]["HR@5"] == 1.0 and result["cold"]["HR@5"] == 1.0
    np.testing.assert_allclose(result["cold"]["NDCG@5"], (1 / np.log2(3) + 1 / np.log2(5)) / 2)
    np.testing.assert_allclose(result["all"]["NDCG@10"], (1 / np.log2(3) + 1 + 1 / np.log2(5)) / 3)
