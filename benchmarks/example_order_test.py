"""order_breaks on hand-checked permutations."""
from benchmarks.example_order import order_breaks


def test_the_input_order_has_no_breaks_even_with_repeated_records():
    assert order_breaks([b"a", b"b", b"a", b"c"], [b"a", b"b", b"a", b"c"]) == 0


def test_a_record_moved_up_next_to_an_earlier_one_is_one_break():
    # a Reshuffle key collision between records 1 and 3 groups 3 right after 1: 0 1 3 2 4
    assert order_breaks([b"0", b"1", b"2", b"3", b"4"], [b"0", b"1", b"3", b"2", b"4"]) == 1


def test_a_reversed_order_breaks_at_every_step():
    assert order_breaks([b"a", b"b", b"c", b"d"], [b"d", b"c", b"b", b"a"]) == 3
