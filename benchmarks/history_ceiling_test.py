"""The history inputs of benchmarks/history_ceiling.py on a hand-checked case."""
import numpy as np

from benchmarks.history_ceiling import history_rows


def test_last_items_indicator_and_normalised_bag():
    histories = {"u": ["a", "b", "c", "d"], "v": []}
    columns = {"a": 0, "b": 1, "c": 2, "d": 3}
    np.testing.assert_array_equal(history_rows(histories, ["u", "v", "w"], columns, 4, last=2),
                                  [[0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(history_rows(histories, ["u"], columns, 4, normalised=True), [[0.5, 0.5, 0.5, 0.5]])
