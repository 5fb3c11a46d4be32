"""The one builder of the components' custom_config dicts, as the local runner uses it (the Kubeflow runner's
use is checked in tests/test_kubeflow_v2_runner.py)."""
import pytest

from pipeline import configs
from pipeline.progress import ComponentProgress


def test_custom_configs_are_create_pipelines_three_settings():
    built = configs.custom_configs(cold_threshold=5.0, alpha=2.0, beta=0.5, seed=1, epochs=4, variant="promo_ls")
    assert built == {
        "transform_config": {"cold_threshold": 5, "alpha": 2.0, "beta": 0.5, "seed": 1},
        "training_config": {"epochs": 4, "seed": 1},
        "promo_config": {"variant": "promo_ls", "epochs": 4, "seed": 1},
    }
    assert isinstance(built["transform_config"]["cold_threshold"], int)
    defaults = configs.custom_configs(cold_threshold=5, alpha=2.0, beta=0.5, seed=1, epochs=None, variant="promo_ls")
    assert defaults["training_config"] == {"seed": 1} and defaults["promo_config"] == {"variant": "promo_ls", "seed": 1}
    whole = configs.custom_configs(cold_threshold=5, alpha=2.0, beta=0.5, seed=1, epochs=None, variant="promo_ls", whole_history=True)
    assert whole["training_config"] == {"seed": 1, "history_bag": True} and whole["promo_config"] == defaults["promo_config"]
    assert whole["transform_config"] == {**defaults["transform_config"], "whole_history": True}
    stopping = configs.custom_configs(cold_threshold=5, alpha=2.0, beta=0.5, seed=1, epochs=None, variant="promo_ls", base_patience=2)
    assert stopping["training_config"] == {"seed": 1, "patience": 2} and stopping["promo_config"] == defaults["promo_config"]


@pytest.mark.parametrize("flags, epochs, whole, patience", [
    ([], None, False, 0), (["--quick"], 1, False, 0), (["--epochs", "2"], 2, False, 0), (["--whole-history"], None, True, 0),
    (["--base-patience", "3"], None, False, 3),
])
def test_local_runner_builds_them_from_the_prepared_summary_and_its_flags(tmp_path, monkeypatch, flags, epochs, whole, patience):
    import local_runner
    from pipeline import pipeline as pipeline_module

    summary = {"cold_threshold": 7, "alpha": 2.0, "beta": 0.5}
    monkeypatch.setattr(local_runner, "quiet_logs", lambda verbose: None)
    prepared = []
    monkeypatch.setattr(local_runner, "prepare", lambda settings, out: prepared.append(settings) or summary)
    monkeypatch.setattr(local_runner, "summary_markdown", lambda s: "")
    seen = {}

    def create_pipeline(**kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop before running")

    monkeypatch.setattr(pipeline_module, "create_pipeline", create_pipeline)
    args = local_runner.parse_args(["--dataset", "synthetic", "--seed", "5", "--variant", "promo",
                                    "--output-root", str(tmp_path)] + flags)
    with pytest.raises(RuntimeError, match="stop before running"):
        local_runner.run(args, ComponentProgress())
    assert {k: seen[k] for k in ("transform_config", "training_config", "promo_config")} == configs.custom_configs(
        cold_threshold=7, alpha=2.0, beta=0.5, seed=5, epochs=epochs, variant="promo", whole_history=whole, base_patience=patience)
    assert prepared[0].history_length == (100 if whole else 20)  # the examples carry what the tower reads
