import numpy as np
import pytest

from benchmarks.throughput import BASE, PROMPT, summarise


def test_summary_takes_medians_of_round_medians_and_per_round_ratios():
    results = {BASE: [np.array([0.010, 0.011, 0.030]), np.array([0.020, 0.020, 0.020])],
               PROMPT: [np.array([0.022, 0.022, 0.001]), np.array([0.030, 0.030, 0.030])]}
    summary = summarise(results, 1000)
    assert summary[BASE]["median_step_s_per_repeat"] == pytest.approx([0.011, 0.020])
    assert summary[BASE]["median_step_s"] == pytest.approx(0.0155)
    assert summary[BASE]["examples_per_s"] == pytest.approx(1000 / 0.0155)
    assert summary[PROMPT]["ratios"] == pytest.approx([2.0, 1.5])
    assert summary[PROMPT]["ratio"] == pytest.approx(1.75)
    assert summary[BASE]["ratio"] == 1.0
    assert summary[PROMPT]["steps"] == 6
