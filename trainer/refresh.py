"""New items without retraining the base: adds feedback to a trained PROMO or PROMO-LS model and pushes a new version.

    python -m trainer.refresh --feedback new_feedback.csv [--feedback more.csv] [--dataset ml-100k] [--output-root runs]

The feedback files (data/feedback.py) hold what was gathered since the pipeline last ran. Starting from the model
the pipeline's Pusher last pushed and what it was trained from (Transform graph, base model, transformed and
prepared training examples), found through the run's ML Metadata (pipeline/artifacts.py: pushed_lineage):
1. New items: feedback items the Transform vocabulary does not know. Each gets its own row in the per-item
   tables, after the base vocabulary's rows; the frozen base still sees it as its OOV item with its features.
2. The pinnacle and negative-feedback lists (paper §4.1.1, Eq. 4) are recomputed over the training rows plus the
   feedback, with the Transform analyzer's own code (transforms/pinnacle.py). Feedback users the vocabulary
   does not know cannot be embedded by the frozen base and stay out of the lists.
3. PROMO (the paper's model and its variants): a new item's prompt-network rows (Eq. 6) start as a copy of its
   pseudo-pinnacle donor's, the most similar popular item by Eq. 5 on the base's item vectors; then only the
   prompt tables are tuned, on the feedback, with the prompt stage's loss (Eq. 13); the base and the fusion MLP
   stay frozen.
4. PROMO-LS (the default, trainer/promo_ls.py): the feedback's likes are added to each item's likers in the
   liker space (sum and count, Eq. LS-2); a new item's prompt rows start at the identity. Nothing is tuned
   (``--epochs`` is ignored): a new item is scored through its likers, which is what the model does for every
   cold item. Known items whose likers did not change keep their scores.
5. The model is written beside the served versions under a hidden name and renamed to the next version number
   when complete, so TF Serving serves the previous version until the new one is whole.
Every refresh starts from the pipeline's PROMO model: pass all feedback since the pipeline's last run, and rerun
the pipeline to retrain the base once enough has gathered.

The feedback files are checked first, before TensorFlow loads (a bad file is refused in about 2 s: one
``error: ...`` line naming file, row and field, exit 2). A refresh holds its output root's lock
(data/outputs.py): it is refused (exit 75) while ``local_runner.py`` or another refresh writes there.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from typing import Dict, List, Sequence

import numpy as np
import pandas as pd

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import DataError, reported
from data.feedback import read_feedback_files
from data.outputs import exclusive, owner_alive, owner_tag, remove_leftover, root_lock
from pipeline import configs
from pipeline.artifacts import has_run, metadata_path, pushed_lineage, split_files
from pipeline.relocation import relocate
from transforms import features as F
from transforms.pinnacle_value import pinnacle_value

REFRESH_FILE = "refresh.json"  # what a refresh added, in the new version's assets.extra/
FEEDBACK_BATCH = 4096


@dataclasses.dataclass(frozen=True)
class RunArtifacts:
    """What a refresh reads from a local pipeline run (``local_runner.py --output-root ROOT``)."""

    transform_graph: str
    train_files: List[str]  # transformed training examples
    base_model: str
    promo_model: str
    train_examples_csv: str  # the prepared training examples ImportExampleGen ingested
    data_summary: str  # alpha and beta of Eq. 4
    data_manifest: str  # the seed of the negative-feedback sampling
    serving_root: str

    @classmethod
    def locate(cls, output_root: str, dataset: str) -> "RunArtifacts":
        name = configs.pipeline_name(dataset)
        data_dir = os.path.join(output_root, "data", dataset)
        run_first = _run_pipeline_first(dataset, output_root)
        if not has_run(output_root, name):
            raise DataError(output_root, f"no pipeline run of {dataset} here (no {metadata_path(output_root, name)}): {run_first}")
        try:
            served = pushed_lineage(output_root, name)  # the pushed model and what it was trained from
        except FileNotFoundError as err:
            raise DataError(output_root, f"{err}: {run_first}") from None
        found = cls(
            transform_graph=served["transform_graph"],
            train_files=split_files(served["examples"], "train"),
            base_model=os.path.join(served["base_model"], "Format-Serving"),
            promo_model=os.path.join(served["model"], "Format-Serving"),
            train_examples_csv=os.path.join(data_dir, "examples", "train", "examples.csv"),
            data_summary=os.path.join(data_dir, "summary.json"),
            data_manifest=os.path.join(data_dir, "manifest.json"),
            serving_root=os.path.join(output_root, "serving_model", configs.MODEL_NAME),
        )
        for path in (found.base_model, found.promo_model, found.train_examples_csv, found.data_summary, found.data_manifest):
            if not os.path.exists(path):
                raise DataError(path, f"missing: {run_first}")
        return found


def _run_pipeline_first(dataset: str, output_root: str) -> str:
    """What a refresh without a pipeline run to start from tells the user to do."""
    return f"run `python local_runner.py --dataset {dataset} --output-root {output_root}` first"


def transform_rows(frame: pd.DataFrame, tf_transform_output) -> Dict[str, np.ndarray]:
    """Raw example rows -> the Transform graph's features, as numpy arrays."""
    import tensorflow as tf

    from data.tfrecords import to_examples

    layer = tf_transform_output.transform_features_layer()
    spec = tf_transform_output.raw_feature_spec()
    parts = []
    for start in range(0, len(frame), FEEDBACK_BATCH):
        rows = frame.iloc[start:start + FEEDBACK_BATCH].to_dict("records")
        serialized = tf.constant(to_examples(rows))
        parts.append({k: v.numpy() for k, v in layer(tf.io.parse_example(serialized, spec)).items()})
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def new_items(feedback: pd.DataFrame, item_vocabulary: Sequence[str]) -> List[str]:
    """Feedback item ids the vocabulary does not know, in order of first appearance."""
    known = set(item_vocabulary)
    return list(dict.fromkeys(i for i in feedback["item_id"] if i not in known))


def recomputed_lists(train: pd.DataFrame, feedback: pd.DataFrame, item_rows: np.ndarray, user_vocabulary: Sequence[str],
                     item_vocabulary: Sequence[str], n_rows: int, alpha: float, beta: float, seed: int):
    """(pinnacle, negatives) tables over the training rows and the feedback (whose table rows are ``item_rows``)."""
    from transforms.pinnacle import tables_in_memory  # imports TensorFlow and Beam

    users = pd.Index(user_vocabulary)
    train_users = users.get_indexer(train["user_id"])
    train_items = pd.Index(item_vocabulary).get_indexer(train["item_id"])
    feedback_users = users.get_indexer(feedback["user_id"])
    items = np.concatenate([train_items, item_rows])
    user_index = np.concatenate([train_users, feedback_users])
    values = pinnacle_value(np.concatenate([train["cr"], feedback["cr"]]), np.concatenate([train["ir"], feedback["ir"]]), alpha, beta)
    labels = np.concatenate([train["label"], feedback["label"]])
    known = (user_index >= 0) & (items >= 0)
    return tables_in_memory(items[known], user_index[known], values[known], labels[known], n_rows, len(users), F.PINNACLE_K, seed)


def restore_weights(model, model_dir: str, sample: Dict[str, np.ndarray]):
    """``model`` (built like the prompt-stage model at ``model_dir``) holding that SavedModel's weights."""
    import tensorflow as tf

    model(sample)
    tf.train.Checkpoint(root=model).read(os.path.join(model_dir, "variables", "variables")).expect_partial()
    return model


def next_version(serving_root: str) -> int:
    """The pushed-version number after every existing one (seconds since the epoch, as the Pusher uses)."""
    existing = [int(d) for d in os.listdir(serving_root) if d.isdigit()] if os.path.isdir(serving_root) else []
    return max([int(time.time())] + [v + 1 for v in existing])


def load_promo_config(promo_model: str):
    """The PromoConfig the prompt-stage Trainer saved beside its model (trainer/promo_task.py)."""
    from trainer.promo_model import PromoConfig
    from trainer.promo_task import CONFIG_FILE
    from trainer.variants import LIKER_SPACE, PAPER_VARIANTS

    path = os.path.join(promo_model, "assets.extra", CONFIG_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: the PROMO model predates refresh support; rerun the pipeline")
    with open(path) as handle:
        config = PromoConfig.from_custom_config(json.load(handle))
    paper = PAPER_VARIANTS.get(config.variant)
    if config.variant != LIKER_SPACE and not (paper and paper.has_prompt_network):
        raise ValueError(f"the pipeline's variant {config.variant!r} has no per-item prompt tables to refresh")
    return config


def first_rows_of(items: Sequence[str], row_ids: pd.Series, values: np.ndarray) -> np.ndarray:
    """``values`` at the first row of each of ``items`` in ``row_ids`` (e.g. a new item's feature bag)."""
    first = pd.Series(np.arange(len(row_ids))).groupby(row_ids.to_numpy()).first()
    return values[first.loc[list(items)].to_numpy()] if len(items) else values[:0]


def extended_model(old, tables, added: Sequence[str], sample: Dict[str, np.ndarray]):
    """A PromoModel over ``tables`` (the base's rows, then one per ``added`` item) holding ``old``'s weights, each
    added item's prompt-network rows copied from its pseudo-pinnacle donor's (Eq. 5)."""
    from trainer.promo_model import PromoModel

    model = PromoModel(old.base, tables, old.config, new_item_ids=added)
    model(sample)
    for target, source in zip(model.fusion.weights, old.fusion.weights):
        target.assign(source)
    if model.variant.has_prompt_network:
        shared = model.variant.shared_network  # PROMO-M: one network for every item
        donors = model.donors.donor_table.numpy()[model.oov_row + 1:]  # each added item's, from its features
        for target, source in zip(model.prompt_network.weights, old.prompt_network.weights):
            rows = source.numpy()
            target.assign(rows if shared else np.concatenate([rows, rows[donors]]))
    model.fusion.trainable = False  # with the frozen base: only the prompt tables are tuned
    return model


def extended_liker_space_model(old, tables, added: Sequence[str], feedback_users: np.ndarray, feedback_rows: np.ndarray,
                               feedback_labels: np.ndarray, sample: Dict[str, np.ndarray]):
    """A PROMO-LS model (trainer/promo_ls.py) over ``tables`` (the base's rows, then one per ``added`` item) holding
    ``old``'s weights, with the feedback's positives (user index ``feedback_users``, table row ``feedback_rows``)
    added to the items' likers: S_i += z_u, n_i += 1 for each pair not already a training positive. Feedback users
    the vocabulary does not know (index < 0) have no liker-space vector and are left out. An added item's prompt
    table rows start at zero (P_i = identity), where every item started before training."""
    from trainer.liker_space import LikerSpace
    from trainer.promo_ls import LikerSpacePromo

    n_old, n_new = old.n_items, old.n_items + len(added)
    user_vectors = old.user_vectors.numpy()
    keys = old.training_likes.keys
    keys = np.sort((keys // n_old) * n_new + keys % n_old)  # the same pairs, keyed by the wider table
    positive = (np.asarray(feedback_labels) == 1) & (np.asarray(feedback_users) >= 0)
    fresh = np.setdiff1d(np.asarray(feedback_users, np.int64)[positive] * n_new + np.asarray(feedback_rows, np.int64)[positive], keys)
    liker_sums = np.concatenate([old.liker_sums.numpy(), np.zeros((len(added), user_vectors.shape[1]), np.float32)])
    liker_counts = np.concatenate([old.liker_counts.numpy(), np.zeros(len(added), np.float32)])
    np.add.at(liker_sums, fresh % n_new, user_vectors[fresh // n_new])
    np.add.at(liker_counts, fresh % n_new, 1.0)
    space = LikerSpace(user_vectors, old.history_vectors.embeddings.numpy(), liker_sums, liker_counts, np.union1d(keys, fresh))
    model = LikerSpacePromo(old.base, tables, space, old.config, new_item_ids=added)
    model(sample)
    prompts = old.prompt.weights_table.embeddings.numpy()
    model.prompt.weights_table.embeddings.assign(np.concatenate([prompts, np.zeros((len(added), prompts.shape[1]), prompts.dtype)]))
    for target, source in zip(model.gate.weights, old.gate.weights):
        target.assign(source)
    model.exposure.assign(old.exposure)  # the served operating point (Eq. LS-6)
    print(f"[refresh] PROMO-LS: {len(fresh):,} feedback like(s) added to the items' likers; nothing to tune "
          "(a new item is scored through its likers)", flush=True)
    return model


def tune_prompt_tables(model, features: Dict[str, np.ndarray], epochs: int) -> None:
    """Trains ``model``'s trainable weights (the prompt tables) on ``features`` with the loss of Eq. 13."""
    import tensorflow as tf

    from trainer.base_model import MODEL_INPUTS
    from trainer.optimizers import LazyAdam

    names = MODEL_INPUTS + (F.IS_COLD, F.ITEM_ROW)
    dataset = tf.data.Dataset.from_tensor_slices(({n: features[n] for n in names}, features[F.LABEL_FLOAT]))
    dataset = dataset.shuffle(len(features[F.LABEL_FLOAT]), seed=model.config.seed).batch(model.config.batch_size)
    model.compile(optimizer=LazyAdam(model.config.learning_rate))
    weights = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    print(f"[refresh] tuning the prompt tables ({weights:,} weights) for {epochs} epoch(s)", flush=True)
    if epochs > 0:
        model.fit(dataset, epochs=epochs, verbose=2)


STAGING_PREFIX = ".refresh-"


def remove_stale_staging(serving_root: str) -> None:
    """Deletes the half-exported ``.refresh-*`` folders a killed refresh left beside the served versions (not one
    whose writer still runs: data/outputs.py's owner tag)."""
    for name in os.listdir(serving_root):
        if name.startswith(STAGING_PREFIX) and not owner_alive(name):
            print(f"[refresh] deleting {name}, left by an interrupted refresh", flush=True)
            remove_leftover(os.path.join(serving_root, name))


def push(model, tf_transform_output, serving_root: str, extra_files: Dict[str, str]) -> str:
    """Exports ``model`` under a hidden name beside the served versions, then renames it to the next version."""
    from trainer.export import export_serving_model

    version = next_version(serving_root)
    os.makedirs(serving_root, exist_ok=True)
    remove_stale_staging(serving_root)
    staging = os.path.join(serving_root, f"{STAGING_PREFIX}{version}{owner_tag()}")  # not a number: TF Serving ignores it
    target = os.path.join(serving_root, str(version))
    try:
        export_serving_model(model, tf_transform_output, staging, extra_files)
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    return target


def refresh(feedback_files: Sequence[str], output_root: str, dataset: str, epochs: int = 2) -> str:
    """Runs the steps of the module docstring; returns the pushed version's folder. Raises DataError for bad
    feedback or a missing run, OutputBusy while another process writes ``output_root``."""
    feedback = read_feedback_files(feedback_files)  # first: bad feedback is refused before anything heavy
    if not os.path.isdir(output_root):
        raise DataError(output_root, f"--output-root is not a folder: {_run_pipeline_first(dataset, output_root)}")
    with exclusive(root_lock(os.path.abspath(output_root)), output_root, "--output-root"):
        return _refresh_locked(feedback, feedback_files, os.path.abspath(output_root), dataset, epochs)


def _refresh_locked(feedback: pd.DataFrame, feedback_files: Sequence[str], output_root: str, dataset: str, epochs: int) -> str:
    relocate(output_root)  # a moved or copied root reads its own run (pipeline/relocation.py)
    run = RunArtifacts.locate(output_root, dataset)
    import tensorflow_transform as tft

    from trainer.base_model import MODEL_INPUTS
    from trainer.inputs import training_positives
    from trainer.item_tables import ItemTables
    from trainer.promo_ls import LikerSpacePromo
    from trainer.promo_model import PromoModel
    from trainer.promo_task import CONFIG_FILE, config_json, item_tables, load_base_model, training_liker_space
    from trainer.reproducibility import make_reproducible
    from trainer.variants import LIKER_SPACE

    config = load_promo_config(run.promo_model)
    make_reproducible(config.seed)
    tf_transform_output = tft.TFTransformOutput(run.transform_graph)
    user_vocabulary = [u.decode() for u in tf_transform_output.vocabulary_by_name(F.USER_VOCAB)]
    item_vocabulary = [i.decode() for i in tf_transform_output.vocabulary_by_name(F.ITEM_VOCAB)]
    added = new_items(feedback, item_vocabulary)
    print(f"[refresh] {len(feedback):,} feedback rows from {len(feedback_files)} file(s); {len(added):,} new item(s)", flush=True)
    features = transform_rows(feedback, tf_transform_output)
    n_base = len(item_vocabulary) + F.OOV_BUCKETS
    row_of = {item: n_base + n for n, item in enumerate(added)}
    features[F.ITEM_ROW] = np.array([row_of.get(i, index) for i, index in zip(feedback["item_id"], features[F.ITEM_INDEX])])

    old_tables = item_tables(tf_transform_output, run.train_files)
    sample = {name: features[name][:1] for name in MODEL_INPUTS}
    base = load_base_model(run.base_model)
    liker_space = config.variant == LIKER_SPACE
    if liker_space:
        likes = training_positives(run.train_files, tf_transform_output)
        built = LikerSpacePromo(base, old_tables, training_liker_space(tf_transform_output, likes, config), config)
    else:
        built = PromoModel(base, old_tables, config)
    old = restore_weights(built, run.promo_model, sample)

    with open(run.data_summary) as handle:
        summary = json.load(handle)
    with open(run.data_manifest) as handle:
        seed = int(json.load(handle)["settings"]["seed"])
    train = pd.read_csv(run.train_examples_csv, dtype={"user_id": str, "item_id": str}, keep_default_na=False)
    pinnacle, negatives = recomputed_lists(
        train, feedback, features[F.ITEM_ROW], user_vocabulary, item_vocabulary, n_base + len(added),
        summary["alpha"], summary["beta"], seed,
    )
    tables = ItemTables(
        pinnacle, negatives,
        np.concatenate([old_tables.features, first_rows_of(added, feedback["item_id"], features[F.ITEM_FEATURE_INDICES])]),
        np.concatenate([old_tables.is_cold, np.ones(len(added), np.int64)]),
    )
    sample |= {F.ITEM_ROW: features[F.ITEM_ROW][:1]}
    if liker_space:
        users = pd.Index(user_vocabulary).get_indexer(feedback["user_id"])
        model = extended_liker_space_model(old, tables, added, users, features[F.ITEM_ROW], feedback["label"].to_numpy(), sample)
        epochs = 0
    else:
        model = extended_model(old, tables, added, sample)
        tune_prompt_tables(model, features, epochs)
    record = {
        "promo_model": run.promo_model, "feedback_files": [os.path.abspath(p) for p in feedback_files],
        "feedback_rows": len(feedback), "new_items": added, "epochs": epochs,
    }
    target = push(model, tf_transform_output, run.serving_root, {CONFIG_FILE: config_json(config), REFRESH_FILE: json.dumps(record, indent=2)})
    print(f"[refresh] pushed {target}", flush=True)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feedback", action="append", required=True, help="a feedback CSV (data/feedback.py); repeatable")
    parser.add_argument("--dataset", default="ml-100k", help="the dataset the pipeline ran on (names its artifacts)")
    parser.add_argument("--output-root", default="runs", help="the pipeline run's --output-root")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of prompt-table tuning on the feedback (PROMO; PROMO-LS tunes nothing)")
    args = parser.parse_args(argv)

    def run() -> int:
        refresh(args.feedback, args.output_root, args.dataset, args.epochs)
        return 0

    return reported(run)


if __name__ == "__main__":
    sys.exit(main())
