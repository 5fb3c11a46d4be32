"""CatalogueEvaluator: the production view's gate, after TFX's Evaluator and before the Pusher.

TFX's Evaluator ranks each eval positive among 100 sampled items (the paper's view). A deployment shows
``recommend``'s top 10 of the whole catalogue, so this component scores that too, through the model's own
``recommend`` signature, and blesses a model only when

- TFX's Evaluator blessed it, and
- its whole-catalogue recall@K on the eval split (evaluation/catalogue.py), overall and on the cold targets, is no
  worse than the latest blessed model's (the Evaluator's baseline, from the same Resolver) beyond z standard errors
  of the paired per-target difference. A first run (no baseline) is gated by the Evaluator alone.

Per eval user: ``recommend`` with the user's features and the eval example's own history (the training likes
before it, as many as data.prepare's --history-length: what the Evaluator's queries and the Trainers' validation
carry), the returned RECOMMEND_K items with every training like of the user removed (recommend excluded the
history's), cut at K. A user whose older likes fill all but fewer than K of the RECOMMEND_K places gets a shorter
list (counted in ``short_lists``).
Targets: the eval split's positives; cold: the model's own ``transform_features`` ``is_cold`` of the target's row.
Popularity (the K items with most training likes, the user's likes removed) is scored on the same targets, as a
reference line in the summary. Outputs: ``evaluation`` (``metrics.json``: candidate, baseline and popularity recall
overall and cold, the tolerances, the verdict) and ``blessing``, a ModelBlessing with the Evaluator's properties
(``blessed``, ``current_model``/``_id``, ``baseline_model``/``_id``) and its BLESSED / NOT_BLESSED file, which the
Pusher and the Resolver read. Its cost on ML-100K: one pass over the raw training examples and ~1K users through
``recommend`` per model (a few seconds).
"""

import collections
import json
import os
from typing import Dict, List, Optional

import numpy as np
from tfx import v1 as tfx
from tfx.dsl.io import fileio
from tfx.types import artifact_utils, standard_artifacts

from data.examples import EVAL_RANKING, QUERY_IS_COLD
from evaluation.catalogue import first_unseen, no_worse, recall_hits
from evaluation.metrics import rank_of_positive
from transforms import features as F

METRICS_FILE = "metrics.json"
BATCH = 512  # users per recommend call


def _read_raw(split_uri: str, names, serialized: bool = False) -> Dict[str, np.ndarray]:
    """Columns ``names`` of the raw examples under ``split_uri`` (ImportExampleGen's gzipped TFRecords), plus, with
    ``serialized``, the rows themselves as ``_serialized``; bags missing from a row read as ''."""
    import tensorflow as tf

    spec = {
        F.USER_ID: tf.io.FixedLenFeature([], tf.string), F.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
        F.LABEL: tf.io.FixedLenFeature([], tf.int64),
        F.USER_FEATURES: tf.io.VarLenFeature(tf.string), F.HISTORY: tf.io.VarLenFeature(tf.string),  # [0..1] values
    }
    spec = {name: spec[name] for name in names}
    files = sorted(fileio.glob(os.path.join(split_uri, "*")))
    columns = collections.defaultdict(list)
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(8192):
        parsed = tf.io.parse_example(batch, spec)
        if serialized:
            columns["_serialized"].append(batch.numpy())
        for name in names:
            value = parsed[name]
            if isinstance(value, tf.SparseTensor):
                value = tf.sparse.to_dense(tf.sparse.reset_shape(value, [tf.shape(batch, tf.int64)[0], 1]), "")[:, 0]
            columns[name].append(value.numpy())
    return {name: np.concatenate(parts) if parts else np.array([]) for name, parts in columns.items()}


class EvalTargets:
    """The eval split's positives and what ``recommend`` needs for their users (module docstring)."""

    def __init__(self, train_uri: str, eval_uri: str):
        train = _read_raw(train_uri, (F.USER_ID, F.ITEM_ID, F.LABEL))
        liked = train[F.LABEL] == 1
        likes = collections.defaultdict(list)  # user -> training likes
        for user, item in zip(train[F.USER_ID][liked], train[F.ITEM_ID][liked]):
            likes[user.decode()].append(item.decode())
        held_out = _read_raw(eval_uri, (F.USER_ID, F.ITEM_ID, F.LABEL, F.USER_FEATURES, F.HISTORY), serialized=True)
        positive = held_out[F.LABEL] == 1
        self.pairs = [(u.decode(), i.decode()) for u, i in zip(held_out[F.USER_ID][positive], held_out[F.ITEM_ID][positive])]
        self.rows = held_out["_serialized"][positive]  # for transform_features' is_cold
        self.seen = {user: set(items) for user, items in likes.items()}
        self.users, self.user_features, self.histories, added = [], [], [], set()
        for user, user_features, window in zip(held_out[F.USER_ID][positive], held_out[F.USER_FEATURES][positive], held_out[F.HISTORY][positive]):
            user = user.decode()
            if user not in added:
                added.add(user)
                self.users.append(user)
                self.user_features.append(user_features.decode())
                self.histories.append(window.decode())  # the eval example's own window, as the Evaluator's queries
        counts = collections.Counter(item for items in likes.values() for item in items)
        self.popular = sorted(counts, key=lambda item: (-counts[item], item))  # ties by id: the same list every run

    def cold(self, model) -> np.ndarray:
        """Each target's ``is_cold`` by the model's own Transform graph (its transform_features signature)."""
        import tensorflow as tf

        flags = [model.signatures["transform_features"](examples=tf.constant(self.rows[s:s + BATCH]))[F.IS_COLD].numpy()
                 for s in range(0, len(self.rows), BATCH)]
        return np.concatenate(flags).reshape(-1).astype(bool) if flags else np.zeros(0, bool)

    def top(self, model, k: int) -> Dict[str, List[str]]:
        """user -> the model's recommend list with the user's training likes removed, cut at ``k``."""
        import tensorflow as tf

        result = {}
        for start in range(0, len(self.users), BATCH):
            users = self.users[start:start + BATCH]
            served = model.signatures["recommend"](
                user_id=tf.constant(users), user_features=tf.constant(self.user_features[start:start + BATCH]),
                history=tf.constant(self.histories[start:start + BATCH]),
            )["item_ids"].numpy()
            for user, items in zip(users, served):
                result[user] = first_unseen([i.decode() for i in items], self.seen.get(user, set()), k)
        return result

    def popularity_top(self, k: int) -> Dict[str, List[str]]:
        return {user: first_unseen(self.popular[:k + len(self.seen.get(user, ()))], self.seen.get(user, set()), k) for user in self.users}


def _read_queries(split_uri: str) -> Dict[str, object]:
    """The listwise examples of the ranking eval set under ``split_uri`` (data/tfrecords.py): the user columns and
    QUERY_IS_COLD as arrays (one value per query, missing bags ''), the candidate columns and LABEL as lists of
    arrays (one per query)."""
    import tensorflow as tf

    one = {name: tf.io.FixedLenFeature([], tf.string, default_value="") for name in F.USER_RAW_FEATURES}
    spec = {**one, QUERY_IS_COLD: tf.io.FixedLenFeature([], tf.int64), F.LABEL: tf.io.RaggedFeature(tf.int64),
            F.ITEM_ID: tf.io.RaggedFeature(tf.string), F.ITEM_FEATURES: tf.io.RaggedFeature(tf.string)}
    columns = collections.defaultdict(list)
    files = sorted(fileio.glob(os.path.join(split_uri, "*")))
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(1024):
        for name, value in tf.io.parse_example(batch, spec).items():
            columns[name].extend(value.numpy() if isinstance(value, tf.Tensor) else [v.numpy() for v in value])
    return {name: np.array(values) if name in one or name == QUERY_IS_COLD else values for name, values in columns.items()}


def _embeddings(model, signature: str, columns: Dict[str, np.ndarray]) -> np.ndarray:
    """The ``embedding`` output of ``signature`` for the rows of ``columns`` (its inputs by name), BATCH at a time."""
    import tensorflow as tf

    n = len(next(iter(columns.values())))
    return np.concatenate([model.signatures[signature](**{name: tf.constant(values[s:s + BATCH]) for name, values in columns.items()})
                           ["embedding"].numpy() for s in range(0, n, BATCH)])


def sampled_hits(model, ranking_uri: str, cutoff: int):
    """(hit, is_cold) per query of the ranking eval set (the Evaluator's queries: an eval positive among sampled
    items its user never touched), each candidate scored by the model's user_embeddings . item_embeddings (for such
    items exactly serving_default's logit), ranked as evaluation/metrics.py does (ties count against the positive);
    PAD_ITEM places are no candidates."""
    queries = _read_queries(ranking_uri)
    users = _embeddings(model, "user_embeddings", {name: queries[name] for name in F.USER_RAW_FEATURES})
    flat_items, flat_features = (np.concatenate(queries[name]) for name in (F.ITEM_ID, F.ITEM_FEATURES))
    real = flat_items != F.PAD_ITEM.encode()
    items, first = np.unique(flat_items[real], return_index=True)
    vectors = _embeddings(model, "item_embeddings", {F.ITEM_ID: items, F.ITEM_FEATURES: flat_features[real][first]})
    hits = []
    for user, candidates, labels in zip(users, queries[F.ITEM_ID], queries[F.LABEL]):
        kept = candidates != F.PAD_ITEM.encode()
        scores = vectors[np.searchsorted(items, candidates[kept])] @ user
        positive = labels[kept] == 1
        hits.append(float(rank_of_positive(scores[positive][0], scores[~positive]) <= cutoff))
    return np.array(hits), queries[QUERY_IS_COLD].astype(bool)


def evaluate(model_dir: str, baseline_dir: Optional[str], split_uri, cutoff: int, z: float) -> dict:
    """The metrics.json content (module docstring) of the model at ``model_dir`` against ``baseline_dir`` (None: no
    baseline, nothing to compare)."""
    import tensorflow as tf

    targets = EvalTargets(split_uri("train"), split_uri("eval"))
    model = tf.saved_model.load(model_dir)
    cold = targets.cold(model)
    top = targets.top(model, cutoff)
    hits = {"candidate": recall_hits(top, targets.pairs),
            "popularity": recall_hits(targets.popularity_top(cutoff), targets.pairs)}
    if baseline_dir:
        hits["baseline"] = recall_hits(targets.top(tf.saved_model.load(baseline_dir), cutoff), targets.pairs)
    result = {
        "cutoff": cutoff, "z": z, "targets": len(targets.pairs), "cold_targets": int(cold.sum()), "users": len(targets.users),
        "short_lists": sum(len(items) < cutoff for items in top.values()),  # the candidate's
        "recall": {name: {"all": float(h.mean()) if h.size else float("nan"), "cold": float(h[cold].mean()) if cold.any() else float("nan")}
                   for name, h in hits.items()},
    }
    sampled, sampled_cold = sampled_hits(model, split_uri(EVAL_RANKING), cutoff)
    result["sampled_hr"] = {"all": float(sampled.mean()), "cold": float(sampled[sampled_cold].mean()) if sampled_cold.any() else float("nan")}
    checks = {}
    if baseline_dir:
        for group, mask in (("all", np.ones_like(cold)), ("cold", cold)):
            comparison = no_worse(hits["candidate"][mask], hits["baseline"][mask], z)
            checks[group] = {"tolerance": comparison.tolerance, "ok": comparison.ok}
    result["checks"] = checks
    result["ok"] = all(check["ok"] for check in checks.values())
    return result


def _set_model_id(blessing, key: str, evaluator_blessing, model) -> None:
    """Names ``model`` in ``blessing``'s ``key`` as the orchestrator's resolver expects: as the Evaluator's blessing
    does (it judged the same two models). Locally that is the ML Metadata id; on KFP / Vertex the artifact's name,
    which TFX's entry point writes for an Evaluator only (kubeflow_v2_entrypoint_utils.refactor_model_blessing) and
    which the compiled model resolver matches (`name="{{...current_model_id}}"`): an id there would never match, and
    no model this component blessed would become a baseline."""
    value = evaluator_blessing.get_custom_property(key) if evaluator_blessing.has_custom_property(key) else model.id
    if isinstance(value, str):
        blessing.set_string_custom_property(key, value)
    else:
        blessing.set_int_custom_property(key, int(value))


def judge(examples, model, evaluator_blessing, evaluation, blessing, baseline_model=None, cutoff: int = 10, z: float = 2.0) -> dict:
    """The component's work on its artifacts (TFX Artifact objects; ``baseline_model`` None on a first run): writes
    ``evaluation``'s METRICS_FILE and ``blessing``'s properties and file, and returns the metrics."""
    from tfx.utils import path_utils

    model_dir = path_utils.serving_model_path(model.uri)
    baseline_dir = path_utils.serving_model_path(baseline_model.uri) if baseline_model is not None else None
    result = evaluate(model_dir, baseline_dir, lambda split: artifact_utils.get_split_uri([examples], split), int(cutoff), float(z))
    result["evaluator_blessed"] = bool(evaluator_blessing.get_int_custom_property("blessed"))
    result["blessed"] = result["ok"] and result["evaluator_blessed"]
    # Through TFX's filesystem layer, which creates the folders: a KFP / Vertex task gets its output artifacts' URIs
    # only (gs:// on Vertex), not the folders a local run's launcher makes.
    for artifact in (evaluation, blessing):
        fileio.makedirs(artifact.uri)
    with fileio.open(os.path.join(evaluation.uri, METRICS_FILE), "w") as handle:
        handle.write(json.dumps(result, indent=2, sort_keys=True))
    blessing.set_int_custom_property("blessed", int(result["blessed"]))
    blessing.set_string_custom_property("current_model", model.uri)
    if baseline_model is not None:
        blessing.set_string_custom_property("baseline_model", baseline_model.uri)
    for key, artifact in (("current_model_id", model), ("baseline_model_id", baseline_model)):
        if artifact is not None:
            _set_model_id(blessing, key, evaluator_blessing, artifact)
    with fileio.open(os.path.join(blessing.uri, "BLESSED" if result["blessed"] else "NOT_BLESSED"), "w") as handle:
        handle.write("")  # the file is created at the first write, not at open
    return result


@tfx.dsl.components.component
def CatalogueEvaluator(
    examples: tfx.dsl.components.InputArtifact[standard_artifacts.Examples],
    model: tfx.dsl.components.InputArtifact[standard_artifacts.Model],
    evaluator_blessing: tfx.dsl.components.InputArtifact[standard_artifacts.ModelBlessing],
    evaluation: tfx.dsl.components.OutputArtifact[standard_artifacts.ModelEvaluation],
    blessing: tfx.dsl.components.OutputArtifact[standard_artifacts.ModelBlessing],
    baseline_model: tfx.dsl.components.InputArtifact[standard_artifacts.Model] = None,
    cutoff: tfx.dsl.components.Parameter[int] = 10,
    z: tfx.dsl.components.Parameter[float] = 2.0,
    code_version: tfx.dsl.components.Parameter[str] = "",
):
    """The component of the module docstring (its work: :func:`judge`). ``code_version`` is read by nobody: the hash
    of the code it runs (pipeline/code_version.py), which puts an edit of that code into TFX's cache key."""
    judge(examples, model, evaluator_blessing, evaluation, blessing, baseline_model, cutoff, z)
