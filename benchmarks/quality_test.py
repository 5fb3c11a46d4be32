"""benchmarks/quality.py's bookkeeping: the (seed, model) tasks and putting their results back together."""
import argparse

import pytest

from benchmarks import quality
from benchmarks.quality import LEARNING_FREE, base_overrides, collect, parse_args, tasks


def test_tasks_are_per_seed_the_learning_free_rankers_then_the_variants():
    args = argparse.Namespace(seeds=[3, 1], variants=["pretrain", "promo_ls"])
    models = ("random", "popularity", "user-kNN", "user-kNN (shrink 3)", "item-kNN", "EASE", "pretrain", "promo_ls")
    assert tuple(LEARNING_FREE) == models[:6]
    assert tasks(args) == [(3, name) for name in models] + [(1, name) for name in models]


def test_collect_lists_every_models_metrics_in_the_commands_seed_order_whatever_order_the_tasks_ran_in():
    todo = [(1, "promo"), (3, "random"), (1, "random"), (3, "promo")]  # as two workers might have finished them
    outputs = [{"sampled": f"{name}{seed}", "cold_sampled": f"c-{name}{seed}"} for seed, name in todo]
    merged = collect(todo, outputs, [3, 1], ["sampled", "cold_sampled"])
    assert merged == {
        "promo": {"sampled": ["promo3", "promo1"], "cold_sampled": ["c-promo3", "c-promo1"]},
        "random": {"sampled": ["random3", "random1"], "cold_sampled": ["c-random3", "c-random1"]},
    }
    assert list(merged) == ["promo", "random"]  # models in task order


def test_collect_refuses_a_task_that_did_not_run():
    with pytest.raises(KeyError):
        collect([(0, "random")], [{"sampled": 1}], [0, 1], ["sampled"])


def test_jobs_must_be_positive():
    assert parse_args(["--jobs", "2"]).jobs == 2 and parse_args([]).jobs == 1
    with pytest.raises(SystemExit):
        parse_args(["--jobs", "0"])


def test_base_overrides_merge_the_epoch_and_objective_flags_with_the_base_json():
    assert base_overrides(parse_args([])) == {}
    args = parse_args(["--base-objective", "pointwise", "--base", '{"history_bag": true, "temperature": 0.5}'])
    assert base_overrides(args) == {"objective": "pointwise", "history_bag": True, "temperature": 0.5}
    assert base_overrides(parse_args(["--base-epochs", "3"])) == {"epochs": 3}


def test_a_base_folder_names_every_field_of_its_config_and_the_trainer_code():
    """A cached base is found again only under the same config and trainer code: a changed default (temperature
    here), another Transform output or an edited trainer/ is a new folder."""
    from trainer.task import TrainingConfig

    config = TrainingConfig(seed=1)
    folder = quality.base_folder(config, "5", "code-a")
    assert folder == quality.base_folder(TrainingConfig(seed=1), "5", "code-a")
    assert folder.startswith(f"base-transform5-seed1-epochs{config.epochs}-{config.objective}-")
    assert folder != quality.base_folder(TrainingConfig(seed=1, temperature=config.temperature + 0.1), "5", "code-a")
    assert folder != quality.base_folder(config, "6", "code-a")
    assert folder != quality.base_folder(config, "5", "code-b")
