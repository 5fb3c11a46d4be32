import numpy as np
import tensorflow as tf

from trainer.promo_layers import PinnacleLists, PseudoPinnacleDonors, final_item_embedding, slot_mean


def test_slot_mean_averages_the_real_slots_only_and_gives_zero_without_any():
    values = tf.constant([[[1.0, 2.0], [3.0, 6.0], [100.0, 100.0]], [[5.0, 5.0], [7.0, 7.0], [9.0, 9.0]]])
    mask = tf.constant([[True, True, False], [False, False, False]])
    np.testing.assert_array_equal(slot_mean(values, mask).numpy(), [[2.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(slot_mean(values).numpy(), [[104 / 3, 108 / 3], [7.0, 7.0]], rtol=1e-6)  # no mask: every slot


def test_pinnacle_lists_leave_the_scored_user_out_then_fill_from_the_donor():
    pinnacle = np.array([[5, 2, 7, 0], [9, 8, 6, 4], [0, 0, 0, 0]])  # k = 3: k + 1 candidates per item
    negatives = np.array([[2, 3, 0], [1, 1, 1], [0, 0, 0]])
    lists = PinnacleLists(pinnacle, negatives, k=3)
    users, mask = lists(*(tf.constant(v, tf.int64) for v in ([0, 0, 2], [1, 1, 1], [2, 4, 3])))
    assert users.numpy().tolist() == [[5, 7, 9], [5, 2, 7], [9, 8, 6]]  # user 2 left out; item 2 is all donor
    assert mask.numpy().all()
    users, mask = lists.negatives(tf.constant([0, 2], tf.int64), tf.constant([3, 1], tf.int64))
    assert users.numpy().tolist() == [[2, 3, 0], [0, 0, 0]]
    assert mask.numpy().tolist() == [[True, False, False], [False, False, False]]  # the scored user 3 and empty slots


def test_donors_are_the_most_similar_warm_item_by_eq_5_and_unknown_items_use_their_served_vector():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.1], [0.1, 3.0], [5.0, 5.0]], np.float32)  # row 4: OOV
    features = np.arange(10).reshape(5, 2)
    calls = []

    def item_vectors_of(index, feature_indices):
        calls.append(index.numpy().tolist())
        return tf.gather(vectors, index)

    donors = PseudoPinnacleDonors(item_vectors_of, features, np.array([0, 0, 1, 1, 1]), oov_row=4)
    # Eq. 5 against warm rows 0 and 1: row 2 (2, .1) -> 0: 2/(1+4.01-2) = .66 > .1/(1+4.01-.1) = .02; row 3 -> 1
    assert donors.donor_table.numpy().tolist()[:4] == [0, 1, 0, 1]
    served = tf.constant([[0.0, 2.0], [1.0, 0.0]])
    assert donors(tf.constant([4, 2], tf.int64), served).numpy().tolist() == [1, 0]  # OOV: (0, 2) is closest to row 1
    assert calls[0] == [0, 1]  # warm vectors first, then every row from its training features (OOV row as index 4)


def test_final_item_embedding_is_the_item_vector_beside_the_mlp_of_it_and_the_prompt_parts():
    item, part_a, part_b = tf.constant([[1.0, 2.0]]), tf.constant([[3.0]]), tf.constant([[4.0, 5.0]])
    out = final_item_embedding(lambda x: 10.0 * x, item, [part_a, part_b])
    assert out.numpy().tolist() == [[1.0, 2.0, 10.0, 20.0, 30.0, 40.0, 50.0]]
