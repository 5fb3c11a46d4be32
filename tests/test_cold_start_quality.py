"""Regression test of cold-start quality on the synthetic run: PROMO-LS ranks cold targets better than its base.

The synthetic generator (data/synthetic.py) plants the signal a cold-start model must find: users like items
of their two favourite genres, whatever the items' popularity, so a cold item's few likers tell which users
like it. PROMO-LS is trained in-process (one epoch, fixed seed) on the pipeline run's Transform output over its
frozen BaseTrainer model; both are ranked on the test split's cold targets in the paper's sampled view.
"""
import json
import os

import pandas as pd
import pytest
import tensorflow_transform as tft

from data.examples import catalogue
from data.splits import cold_items
from evaluation.protocol import build_cases
from evaluation.scoring import SavedModelRanker, evaluate
from pipeline import configs
from pipeline.artifacts import latest_artifact, transformed_files
from trainer.export import export_serving_model
from trainer.promo_model import PromoConfig
from trainer.promo_task import load_base_model, train_prompt_stage

pytestmark = pytest.mark.e2e


def test_promo_ls_ranks_cold_targets_better_than_its_base(run, tmp_path):
    name = configs.pipeline_name("synthetic")
    transform_output = tft.TFTransformOutput(latest_artifact(run, name, "Transform", "transform_graph"))
    base_dir = os.path.join(latest_artifact(run, name, "BaseTrainer", "model"), "Format-Serving")
    model = train_prompt_stage(
        load_base_model(base_dir), transform_output, transformed_files(run, name, "train"), transformed_files(run, name, "eval"),
        PromoConfig(variant="promo_ls", epochs=1, seed=0),
    )
    export_serving_model(model, transform_output, str(tmp_path / "promo_ls"))

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

    promo_ls, base = cold_hr(str(tmp_path / "promo_ls")), cold_hr(base_dir)
    assert promo_ls > base + 0.05, f"PROMO-LS cold HR@10 {promo_ls:.3f} vs its base {base:.3f}"
