"""benchmarks/liker_space_scale.py: its memory model on hand-made points, and one small dataset end to end."""
import pytest

from benchmarks import liker_space_scale


def test_the_memory_model_recovers_bytes_per_positive_and_per_row():
    # 40 bytes per positive, 1,000 per row: 1M positives + 20K rows, 10M + 200K
    points = [{"positives": p, "users": rows // 2, "items": rows // 2, "peak_alloc_mib": (40 * p + 1000 * rows) / 2**20}
              for p, rows in ((1_000_000, 20_000), (10_000_000, 110_000))]
    model = liker_space_scale.memory_model(points)
    assert model["bytes_per_positive"] == pytest.approx(40.0)
    assert model["bytes_per_row"] == pytest.approx(1000.0)


def test_one_small_dataset_measures_its_positives_and_rows():
    point = liker_space_scale.run_one("synthetic", rank=8)
    assert point["positives"] > 0 and point["users"] > 100 and point["items"] > 100
    assert point["liker_space_s"] > 0 and point["peak_alloc_mib"] > 0 and point["peak_rss_mib"] >= point["peak_alloc_mib"]
