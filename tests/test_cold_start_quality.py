"""Regression test of cold-start quality on the synthetic run: PROMO-LS ranks cold targets better than its base.

The synthetic generator (data/synthetic.py) plants the signal a cold-start model must find: users like items
of their two favourite genres, whatever the items' popularity, so a cold item's few likers tell which users
like it. The pipeline run's PromoTrainer model (PROMO-LS, the default variant, fixed seed) and its frozen
BaseTrainer model are ranked on the test split's cold targets in the paper's sampled view.
"""
import json
import os

import pandas as pd
import pytest

from data.examples import catalogue
from data.splits import cold_items
from evaluation.protocol import build_cases
from evaluation.scoring import SavedModelRanker, evaluate
from pipeline import configs
from pipeline.artifacts import latest_artifact
from trainer.promo_model import PromoConfig
from trainer.promo_task import CONFIG_FILE

pytestmark = pytest.mark.e2e


def test_promo_ls_ranks_cold_targets_better_than_its_base(run):
    name = configs.pipeline_name("synthetic")
    base_dir = os.path.join(latest_artifact(run, name, "BaseTrainer", "model"), "Format-Serving")
    promo_dir = os.path.join(latest_artifact(run, name, "PromoTrainer", "model"), "Format-Serving")
    config = PromoConfig.from_custom_config(json.load(open(os.path.join(promo_dir, "assets.extra", CONFIG_FILE))))
    assert config.variant == "promo_ls"  # what the pipeline trains by default

    data = os.path.join(run, "data", "synthetic")
    split = pd.read_csv(os.path.join(data, "canonical", "interactions.csv"), dtype={"user_id": str, "item_id": str})
    users = pd.read_csv(os.path.join(data, "canonical", "users.csv"), dtype=str, keep_default_na=False)
    items = pd.read_csv(os.path.join(data, "canonical", "items.csv"), dtype=str, keep_default_na=False)
    test = pd.read_csv(os.path.join(data, "examples", "test", "examples.csv"), dtype=str, keep_default_na=False)
    histories = test[test["label"] == "1"].set_index("user_id")["history"].to_dict()
    threshold = json.load(open(os.path.join(data, "summary.json")))["cold_threshold"]
    cold = cold_items(split, catalogue(items, split), threshold)
    cases = build_cases(split, catalogue(items, split), cold, "sampled", seed=0)
    assert sum(case.is_cold for case in cases) >= 50  # enough cold targets for the comparison to mean something

    def cold_hr(model_dir):
        return evaluate(SavedModelRanker(model_dir, users, items, histories), cases)["cold"]["HR@10"]

    promo_ls, base = cold_hr(promo_dir), cold_hr(base_dir)
    assert promo_ls > base + 0.05, f"PROMO-LS cold HR@10 {promo_ls:.3f} vs its base {base:.3f}"
