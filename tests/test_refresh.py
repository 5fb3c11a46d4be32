"""`python -m trainer.refresh` on a copy of the synthetic pipeline run: a brand-new item gets its own score.

Both refresh paths: the pipeline's own model (PROMO-LS, the default) and the paper's PROMO, trained in-process
for one epoch on the same run and put in place of the PromoTrainer's and the pushed model."""
import filecmp
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from data.errors import DataError
from pipeline import configs
from pipeline.artifacts import latest_artifact, pushed_model_dir, transformed_files
from trainer import refresh
from trainer.export import export_serving_model
from trainer.promo_model import PromoConfig
from trainer.promo_task import CONFIG_FILE, config_json, load_base_model, train_prompt_stage

pytestmark = pytest.mark.e2e

NEW_ITEM = "brand-new-item"
OTHER_UNKNOWN = "never-seen-item"  # same features, no feedback: keeps the default (OOV) score


def _replace_with_paper_promo(root: str, serving_dir: str) -> None:
    """Puts a paper-PROMO model (one epoch) where the run's PromoTrainer model and pushed version are."""
    name = configs.pipeline_name("synthetic")
    transform_output = tft.TFTransformOutput(latest_artifact(root, name, "Transform", "transform_graph"))
    base_dir = os.path.join(latest_artifact(root, name, "BaseTrainer", "model"), "Format-Serving")
    config = PromoConfig(variant="promo", epochs=1, seed=0)
    model = train_prompt_stage(
        load_base_model(base_dir), transform_output, transformed_files(root, name, "train"), transformed_files(root, name, "eval"), config
    )
    for target in (os.path.join(latest_artifact(root, name, "PromoTrainer", "model"), "Format-Serving"), serving_dir):
        shutil.rmtree(target)
        export_serving_model(model, transform_output, target, {CONFIG_FILE: config_json(config)})


@pytest.fixture(scope="module", params=["promo_ls", "promo"])
def refreshed(request, copy_run, tmp_path_factory):
    root = copy_run("refresh")
    serving_root = os.path.join(root, "serving_model", "promo")
    old_dir = pushed_model_dir(serving_root)
    if request.param == "promo":
        _replace_with_paper_promo(root, old_dir)
    old_copy = str(tmp_path_factory.mktemp("old-version"))
    shutil.copytree(old_dir, old_copy, dirs_exist_ok=True)

    train = pd.read_csv(os.path.join(root, "data", "synthetic", "examples", "train", "examples.csv"), dtype=str, keep_default_na=False)
    features = train["item_features"].iloc[0]
    users = train["user_id"].drop_duplicates().tolist()
    likes, dislikes = users[:20], users[20:40]
    rows = [{"user_id": u, "item_id": NEW_ITEM, "label": 1, "ir": 1.0, "item_features": features} for u in likes]
    rows += [{"user_id": u, "item_id": NEW_ITEM, "label": 0, "item_features": features} for u in dislikes]
    feedback = os.path.join(root, "feedback.csv")
    pd.DataFrame(rows).to_csv(feedback, index=False)
    os.makedirs(os.path.join(serving_root, ".refresh-99", "variables"))  # what a killed refresh leaves behind
    new_dir = refresh.refresh([feedback], root, "synthetic", epochs=3)
    variant = json.load(open(os.path.join(new_dir, "assets.extra", CONFIG_FILE)))["variant"]
    assert variant == request.param
    return {"old": old_dir, "old_copy": old_copy, "new": new_dir, "likes": likes, "dislikes": dislikes, "features": features,
            "variant": variant}


def _scores(model_dir, users, items, item_features):
    loaded = tf.saved_model.load(model_dir)
    n = len(users)
    return loaded.signatures["serving_default"](
        user_id=tf.constant(users), item_id=tf.constant(items), user_features=tf.constant([""] * n),
        item_features=tf.constant([item_features] * n), history=tf.constant([""] * n),
    )["score"].numpy()


def test_new_version_is_pushed_after_the_old_one_which_stays_untouched(refreshed):
    old, new = refreshed["old"], refreshed["new"]
    assert os.path.dirname(old) == os.path.dirname(new) and int(os.path.basename(new)) > int(os.path.basename(old))
    assert pushed_model_dir(os.path.dirname(new)) == new  # what TF Serving now loads
    comparison = filecmp.dircmp(old, refreshed["old_copy"])
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    assert not [d for d in os.listdir(os.path.dirname(new)) if d.startswith(".")]  # no staging left behind
    record = json.load(open(os.path.join(new, "assets.extra", refresh.REFRESH_FILE)))
    assert record["new_items"] == [NEW_ITEM] and record["feedback_rows"] == 40
    assert record["epochs"] == (0 if refreshed["variant"] == "promo_ls" else 3)  # PROMO-LS tunes nothing


def test_brand_new_item_gets_its_own_non_default_score(refreshed):
    users = refreshed["likes"] + refreshed["dislikes"]
    n = len(users)
    before_new = _scores(refreshed["old"], users, [NEW_ITEM] * n, refreshed["features"])
    before_other = _scores(refreshed["old"], users, [OTHER_UNKNOWN] * n, refreshed["features"])
    np.testing.assert_allclose(before_new, before_other, rtol=1e-6)  # before: one default score for unknown items
    after_new = _scores(refreshed["new"], users, [NEW_ITEM] * n, refreshed["features"])
    after_other = _scores(refreshed["new"], users, [OTHER_UNKNOWN] * n, refreshed["features"])
    assert np.all(np.isfinite(after_new)) and np.all((after_new > 0) & (after_new < 1))
    assert np.abs(after_new - after_other).min() > 1e-4  # its own rows and pinnacle list now
    np.testing.assert_allclose(after_other, before_other, rtol=1e-5)  # other unknown items keep the default


def test_base_and_known_items_are_unchanged(refreshed, run):
    rows = pd.read_csv(os.path.join(run, "data", "synthetic", "examples", "test", "examples.csv"), dtype=str, keep_default_na=False).head(64)
    inputs = {n: tf.constant(rows[n].tolist()) for n in ("user_id", "item_id", "user_features", "item_features", "history")}
    old = tf.saved_model.load(refreshed["old"])
    new = tf.saved_model.load(refreshed["new"])
    np.testing.assert_allclose(
        new.signatures["serving_default"](**inputs)["score"].numpy(), old.signatures["serving_default"](**inputs)["score"].numpy(), rtol=1e-5
    )
    user_inputs = {n: inputs[n] for n in ("user_id", "user_features", "history")}
    np.testing.assert_array_equal(
        new.signatures["user_embeddings"](**user_inputs)["embedding"].numpy(), old.signatures["user_embeddings"](**user_inputs)["embedding"].numpy()
    )


def test_a_killed_refreshs_staging_folder_is_deleted_by_the_next_refresh(refreshed):
    serving_root = os.path.dirname(refreshed["new"])
    assert not [name for name in os.listdir(serving_root) if name.startswith(".refresh-")]


def test_refresh_without_a_pipeline_run_says_what_to_run(tmp_path):
    feedback = tmp_path / "feedback.csv"
    feedback.write_text("user_id,item_id,label\nu1,i1,1\n")
    with pytest.raises(DataError, match="no pipeline run of synthetic here .* run `python local_runner.py"):
        refresh.refresh([str(feedback)], str(tmp_path), "synthetic")


def test_the_new_versions_recommend_index_holds_the_new_item_after_the_vocabulary(refreshed):
    old = tf.saved_model.load(refreshed["old"]).recommender.ids.numpy().tolist()
    new = tf.saved_model.load(refreshed["new"]).recommender.ids.numpy().tolist()
    assert NEW_ITEM.encode() not in old and new == old + [NEW_ITEM.encode()]
