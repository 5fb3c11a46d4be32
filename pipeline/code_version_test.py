"""The code hash in the components' settings: what changes it, and that the pipeline's components carry it."""
import json
import shutil

from pipeline import code_version as cv
from pipeline import configs


def _copy_sources(tmp_path):
    for package in ("transforms", "trainer"):
        shutil.copytree(f"{cv.REPO_ROOT}/{package}", tmp_path / package)
    return str(tmp_path)


def _hashes(root):
    return cv.code_version(cv.TRANSFORM_SOURCES, root), cv.code_version(cv.TRAINER_SOURCES, root)


def test_a_trainer_edit_changes_the_trainers_hash_only_and_a_transforms_edit_changes_both(tmp_path):
    root = _copy_sources(tmp_path)
    transform, trainer = _hashes(root)
    assert (transform, trainer) == _hashes(cv.REPO_ROOT)  # the same tree gives the same hash wherever it is
    assert len(transform) == 64 and transform != trainer

    with open(tmp_path / "trainer" / "task.py", "a") as handle:
        handle.write("# an edit\n")
    edited = _hashes(root)
    assert edited[0] == transform and edited[1] != trainer

    with open(tmp_path / "transforms" / "features.py", "a") as handle:
        handle.write("# an edit\n")
    both = _hashes(root)
    assert both[0] != transform and both[1] not in (trainer, edited[1])


def test_tests_caches_and_other_files_do_not_count_but_a_new_or_renamed_module_does(tmp_path):
    root = _copy_sources(tmp_path)
    before = _hashes(root)
    (tmp_path / "trainer" / "new_test.py").write_text("def test(): pass\n")
    (tmp_path / "transforms" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "transforms" / "__pycache__" / "stale.py").write_text("x = 1\n")
    (tmp_path / "transforms" / "notes.txt").write_text("not code\n")
    assert _hashes(root) == before

    (tmp_path / "transforms" / "extra.py").write_text("X = 1\n")
    added = _hashes(root)
    assert added[0] != before[0] and added[1] != before[1]
    (tmp_path / "transforms" / "extra.py").rename(tmp_path / "transforms" / "extra2.py")
    assert _hashes(root)[0] not in (before[0], added[0])


def test_the_pipelines_components_carry_their_code_hash_and_the_config_readers_ignore_it(tmp_path):
    from pipeline.pipeline import create_pipeline
    from trainer.base_model import TowerConfig
    from trainer.promo_model import PromoConfig
    from trainer.task import TrainingConfig

    settings = configs.custom_configs(cold_threshold=20, alpha=1.0, beta=0.5, seed=3, epochs=2, variant="promo")
    pipeline = create_pipeline(
        pipeline_name="p", pipeline_root=str(tmp_path / "root"), examples_dir=str(tmp_path / "examples"),
        serving_model_dir=str(tmp_path / "serving"), **settings,
    )
    custom = {c.id: json.loads(c.exec_properties["custom_config"]) for c in pipeline.components
              if c.id in ("Transform", "BaseTrainer", "PromoTrainer")}
    transform_hash, trainer_hash = _hashes(cv.REPO_ROOT)
    assert custom["Transform"] == {**settings["transform_config"], cv.KEY: transform_hash}
    assert custom["BaseTrainer"] == {**settings["training_config"], cv.KEY: trainer_hash}
    assert custom["PromoTrainer"] == {**settings["promo_config"], cv.KEY: trainer_hash}
    (judge,) = [c for c in pipeline.components if c.id == "CatalogueEvaluator"]
    assert judge.exec_properties[cv.KEY] == cv.code_version(cv.CATALOGUE_EVALUATOR_SOURCES) != trainer_hash
    assert settings["transform_config"] == {"cold_threshold": 20, "alpha": 1.0, "beta": 0.5, "seed": 3}
    assert cv.KEY not in settings["training_config"]  # the builder's dicts are not changed

    # The Trainers' config readers take the same keys as before and skip the hash.
    assert TrainingConfig.from_custom_config(custom["BaseTrainer"]) == TrainingConfig(epochs=2, seed=3)
    assert PromoConfig.from_custom_config(custom["PromoTrainer"]) == PromoConfig(variant="promo", epochs=2, seed=3)
    tower = TrainingConfig.from_custom_config({"embedding_dim": 8, "hidden_units": 16, "output_dim": 4, "epochs": 1})
    assert tower.epochs == 1 and tower.tower_config() == TowerConfig(embedding_dim=8, hidden_units=16, output_dim=4)
