import pandas as pd

from data.synthetic import generate


def test_same_seed_same_log_other_seed_other_log():
    a, b, c = generate(seed=5, n_interactions=3000), generate(seed=5, n_interactions=3000), generate(seed=6, n_interactions=3000)
    pd.testing.assert_frame_equal(a.interactions, b.interactions)
    assert not a.interactions.equals(c.interactions)


def test_popularity_is_long_tailed_and_labels_follow_taste():
    log = generate(n_users=400, n_items=1000, n_interactions=40_000, seed=0)
    counts = log.interactions["item_id"].value_counts()
    top_decile_share = counts.iloc[: len(counts) // 10].sum() / counts.sum()
    assert top_decile_share > 0.5
    assert (counts <= 20).mean() > 0.5
    assert 0.3 < log.interactions["label"].mean() < 0.9
    assert set(log.interactions.columns) == {"user_id", "item_id", "timestamp", "label", "cr", "ir"}
    assert log.interactions["timestamp"].is_monotonic_increasing
