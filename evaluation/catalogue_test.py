"""Whole-catalogue recall@K and the paired gate on hand-checked cases."""
import numpy as np
import pytest

from evaluation.catalogue import first_unseen, no_worse, recall_hits


def test_first_unseen_drops_seen_items_and_blank_ids_before_cutting():
    served = ["a", "b", "c", "d", "", ""]
    assert first_unseen(served, {"b"}, 2) == ["a", "c"]
    assert first_unseen(served, {"a", "b", "c"}, 3) == ["d"]  # the list ran out: fewer than k
    assert first_unseen(served, set(), 10) == ["a", "b", "c", "d"]


def test_recall_counts_each_held_out_pair_once_and_another_target_in_the_list_is_its_own_hit():
    top = {"u1": ["x", "y"], "u2": ["z"]}
    pairs = [("u1", "x"), ("u1", "y"), ("u1", "w"), ("u2", "x"), ("u3", "x")]  # u3 has no list
    hits = recall_hits(top, pairs)
    assert hits.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert hits.mean() == pytest.approx(2 / 5)


def test_identical_models_pass_with_zero_tolerance():
    hits = np.array([1, 0, 1, 1, 0], float)
    result = no_worse(hits, hits, z=2.0)
    assert result.ok and result.tolerance == 0.0 and result.candidate == result.baseline == 0.6


def test_the_tolerance_is_z_paired_standard_errors():
    # d = candidate - baseline = [0, -1, 0, 0, 1, -1, 0, 0]: mean -0.125; squared deviations 5 x 0.125^2,
    # 2 x 0.875^2, 1 x 1.125^2 sum to 2.875, so sd = sqrt(2.875 / 7) = 0.6409 and the standard error 0.2266.
    candidate = np.array([1, 0, 1, 0, 1, 0, 1, 0], float)
    baseline = np.array([1, 1, 1, 0, 0, 1, 1, 0], float)
    d = candidate - baseline
    assert d.tolist() == [0, -1, 0, 0, 1, -1, 0, 0]
    result = no_worse(candidate, baseline, z=1.0)
    assert result.tolerance == pytest.approx(np.sqrt(2.875 / 7) / np.sqrt(8)) == pytest.approx(0.2266, abs=1e-4)
    assert result.ok  # -0.125 >= -0.2266
    assert not no_worse(candidate, baseline, z=0.5).ok  # -0.125 < -0.1133


def test_a_clearly_worse_model_is_refused_and_a_better_one_passes():
    rng = np.random.default_rng(0)
    baseline = (rng.random(1000) < 0.2).astype(float)
    worse = baseline * (rng.random(1000) < 0.5)  # loses half its hits
    assert not no_worse(worse, baseline, z=2.0).ok
    assert no_worse(baseline, worse, z=2.0).ok


def test_models_must_be_scored_on_the_same_pairs():
    with pytest.raises(ValueError, match="same pairs"):
        no_worse(np.ones(3), np.ones(4), z=2.0)
    assert no_worse(np.zeros(0), np.zeros(0), z=2.0).ok
