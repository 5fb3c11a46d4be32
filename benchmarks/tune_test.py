"""benchmarks/tune.py's grid and selection rule on hand-made results."""
import pytest

from benchmarks import tune


def test_grid_points_are_the_product_of_the_lists_in_order():
    assert tune.grid_points({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]


def test_a_list_grid_is_its_points_as_given():
    assert tune.grid_points([{}, {"a": 1}]) == [{}, {"a": 1}]


def _run(cold_hr, all_hr):
    group = lambda hr: {"HR@10": hr, "NDCG@10": hr / 2}  # noqa: E731
    return {"sampled": {"cold": group(cold_hr), "all": group(all_hr)}, "cold_sampled": {"cold": group(cold_hr)}}


def test_the_best_cold_point_above_the_all_target_floor_is_chosen():
    summaries = [
        tune.summarize([_run(0.60, 0.60), _run(0.70, 0.62)]),  # best cold, below the floor (61 < 65)
        tune.summarize([_run(0.50, 0.70), _run(0.52, 0.70)]),
        tune.summarize([_run(0.55, 0.66), _run(0.55, 0.66)]),
    ]
    assert summaries[0]["cold_hr10"] == pytest.approx(65.0) and summaries[0]["all_hr10"] == pytest.approx(61.0)
    assert summaries[0]["cold_hr10_std"] == pytest.approx(7.0711, abs=1e-3)
    assert tune.select(summaries, min_all=65.0) == 2
    assert tune.select(summaries, min_all=60.0) == 0
    assert tune.select(summaries, min_all=80.0) == 1  # none reaches the floor: the nearest to it


def _base_run(full_all):
    group = lambda hr: {"HR@10": hr, "NDCG@10": hr / 2}  # noqa: E731
    return {view: {g: group(full_all if view == "full" else 0.5) for g in ("cold", "warm", "all")} for view in ("full", "sampled")}


def test_the_base_defaults_stay_unless_beaten_by_more_than_the_seed_noise():
    default = tune.summarize_base([_base_run(0.17), _base_run(0.19)])  # 18.0 ± 1.41
    assert default["full all HR@10"] == pytest.approx(18.0) and default["full all HR@10 std"] == pytest.approx(1.4142, abs=1e-3)
    assert default["sampled all HR@10"] == pytest.approx(50.0)
    within_noise = tune.summarize_base([_base_run(0.19), _base_run(0.19)])  # +1.0 < 1.41
    beyond_noise = tune.summarize_base([_base_run(0.20), _base_run(0.20)])  # +2.0 > 1.41
    worse = tune.summarize_base([_base_run(0.10), _base_run(0.10)])
    assert tune.select_base([default, within_noise, worse]) == 0
    assert tune.select_base([default, within_noise, beyond_noise]) == 2
    assert tune.select_base([worse, default]) == 1  # defaults beaten by 8 points
