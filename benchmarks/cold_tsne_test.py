"""benchmarks/cold_tsne.py's numbers on hand-checked cases."""
import numpy as np
import pytest

from benchmarks.cold_tsne import chance_agreement, genre_agreement, genres, popularity_group


def test_genres_are_the_genre_tokens():
    assert genres("genre=Action genre=Comedy decade=1990") == {"genre=Action", "genre=Comedy"}
    assert genres("decade=1990") == frozenset()


def test_genre_agreement_counts_neighbours_sharing_a_genre():
    # Two tight pairs far apart: each item's nearest neighbour is its pair.
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]])
    same_pairs = [genres("genre=A"), genres("genre=A genre=B"), genres("genre=C"), genres("genre=C")]
    crossed = [genres("genre=A"), genres("genre=C"), genres("genre=A"), genres("genre=C")]
    assert genre_agreement(vectors, same_pairs, k=1) == 1.0
    assert genre_agreement(vectors, crossed, k=1) == 0.0
    # k=2: the pair plus the nearer of the other two (cosine): one of two neighbours agrees for every item.
    assert genre_agreement(vectors, same_pairs, k=2) == pytest.approx(0.5)


def test_chance_agreement_is_the_share_of_item_pairs_sharing_a_genre():
    # Pairs (ordered, distinct): 0-1 share A; 0-2, 1-2 share nothing -> 2 of 6.
    assert chance_agreement([genres("genre=A"), genres("genre=A genre=B"), genres("genre=C")]) == pytest.approx(2 / 6)


def test_popularity_groups_cover_every_count():
    assert [popularity_group(c) for c in (0, 1, 5, 6, 10, 11, 20, 50)] == ["0", "1-5", "1-5", "6-10", "6-10", "11+", "11+", "11+"]
