import numpy as np

from transforms.pinnacle import _per_item_in_batch, rank_pinnacle_users, sample_negative_users


def test_ranking_by_value_keeps_each_user_once_with_their_best_value():
    users = np.array([5, 3, 5, 7, 2])
    values = np.array([0.1, 0.9, 1.0, 0.9, 0.2])
    # user 5's best is 1.0; users 3 and 7 tie at 0.9 -> smaller index first; then 2 (0.2)
    assert rank_pinnacle_users(users, values, 3).tolist() == [6, 4, 8]
    assert rank_pinnacle_users(users, values, 10).tolist() == [6, 4, 8, 3]
    assert rank_pinnacle_users(np.array([], np.int64), np.array([]), 3).tolist() == []


def test_negative_users_never_have_positive_feedback_and_are_seeded():
    positives = np.array([0, 2, 4, 6, 8])
    a = sample_negative_users(positives, n_users=50, k=10, seed=1, item=3)
    assert len(a) == 10 and len(set(a.tolist())) == 10
    assert not set((a - 1).tolist()) & set(positives.tolist())
    assert a.tolist() == sample_negative_users(positives, 50, 10, seed=1, item=3).tolist()
    assert a.tolist() != sample_negative_users(positives, 50, 10, seed=1, item=4).tolist()


def test_negative_users_when_too_few_exist():
    assert sorted(sample_negative_users(np.array([0, 1]), n_users=4, k=10, seed=0, item=0).tolist()) == [3, 4]


def test_batches_are_grouped_per_item_with_only_positive_users():
    batch = (np.array([2, 1, 2, 1, 3]), np.array([10, 11, 12, 13, 14]), np.array([.5, .6, .7, .8, .9]), np.array([1, 0, 1, 1, 0]))
    grouped = {item: (users.tolist(), values.tolist()) for item, (users, values) in _per_item_in_batch(batch)}
    assert grouped == {1: ([13], [0.8]), 2: ([10, 12], [0.5, 0.7]), 3: ([], [])}
