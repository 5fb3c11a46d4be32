"""Whole-catalogue recall@K on the eval split after every epoch: a Keras callback both Trainers log.

For the eval split's positive examples (u, i): the model's user side v_u (its user vector of the example's
transformed user features; PROMO-LS at its served exposure) and every vocabulary item's item side h_j (of its
training feature bag); top_K(u) the K items j with the highest v_u . h_j among those u did not like in training:

    val_catalogue_recall@K = mean over eval positives of 1[i in top_K(u)]     (evaluation/catalogue.py: recall_hits)

and ``val_cold_catalogue_recall@K`` over the cold ones (Transform's ``is_cold``), written into the epoch's Keras logs
(the Trainer's TensorBoard callback, after this one, records them). It is the number CatalogueEvaluator gates on
(pipeline/catalogue_evaluator.py; there through the exported ``recommend``), so a training log shows the production
view as it moves. Why not ``tfrs.metrics.FactorizedTopK``: it ranks each query against every candidate, the user's
training likes included, which a served list never shows (recommend excludes them); with exclusions the top K is
no longer a streaming top-K over candidate batches, and a catalogue of this size is one matrix per epoch.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf
from scipy import sparse
from tensorflow import keras

from evaluation.catalogue import recall_hits
from trainer.base_model import USER_INPUTS
from trainer.retrieval import item_vectors
from transforms import features as F

CHUNK = 1024  # eval positives scored against the whole catalogue at once


def eval_positives(dataset: tf.data.Dataset):
    """(user features by USER_INPUTS name, item index, is_cold) of the positive examples of ``dataset``'s
    (features, label) batches, which must hold USER_INPUTS, ITEM_INDEX and IS_COLD."""
    parts = {name: [] for name in (*USER_INPUTS, F.ITEM_INDEX, F.IS_COLD)}
    for features, labels in dataset.as_numpy_iterator():
        positive = labels.reshape(-1) == 1
        for name in parts:
            parts[name].append(features[name][positive])
    columns = {name: np.concatenate(values) for name, values in parts.items()}
    return {n: columns[n] for n in USER_INPUTS}, columns[F.ITEM_INDEX], columns[F.IS_COLD].reshape(-1).astype(bool)


class CatalogueRecall(keras.callbacks.Callback):
    """Logs the module docstring's recall of ``user_fn`` / ``item_fn`` (the scored model's two sides; ``model``: the
    model they belong to, for trainer/retrieval.py's item_vectors) after each epoch.

    ``positives``: :func:`eval_positives`; ``train_likes``: (user index, item index) of every training positive;
    ``item_features``: [item rows, MAX_ITEM_TOKENS] training feature bags; ``n_items``: vocabulary items (the OOV
    row is never recommended)."""

    def __init__(self, model, user_fn: Callable, item_fn: Callable, positives, train_likes, item_features: np.ndarray,
                 n_items: int, k: int = 10):
        super().__init__()
        self.scored, self.user_fn, self.item_fn, self.k = model, user_fn, item_fn, k
        self.user_features, self.targets, self.cold = positives
        users, items = (np.asarray(a, np.int64) for a in train_likes)
        n_users = int(max(users.max(initial=-1), self.user_features[F.USER_INDEX].max(initial=-1))) + 1
        keep = items < n_items
        self.likes = sparse.csr_matrix((np.ones(keep.sum(), bool), (users[keep], items[keep])), shape=(n_users, n_items))
        self.item_features, self.n_items = item_features, n_items
        self.names = (f"val_catalogue_recall@{k}", f"val_cold_catalogue_recall@{k}")

    def recall(self) -> Sequence[float]:
        """(recall@K over every eval positive, over the cold ones) of the model as it is now."""
        rows = np.arange(self.n_items, dtype=np.int64)
        catalogue = item_vectors(self.scored, self.item_fn, rows, rows, self.item_features)
        hits = []
        for start in range(0, len(self.targets), CHUNK):
            batch = {n: tf.constant(v[start:start + CHUNK]) for n, v in self.user_features.items()}
            scores = self.user_fn(batch).numpy() @ catalogue.T
            liked_rows, liked_items = self.likes[batch[F.USER_INDEX].numpy()].nonzero()
            scores[liked_rows, liked_items] = -np.inf  # the training likes: only their cells, not a dense mask
            # TF's top_k: multi-threaded over rows, where np.argpartition over a [CHUNK, catalogue] matrix is not
            top = tf.math.top_k(scores, min(self.k, self.n_items)).indices.numpy()
            users = [str(n) for n in range(len(top))]
            hits.append(recall_hits(dict(zip(users, top.tolist())), zip(users, self.targets[start:start + CHUNK].tolist())))
        hits = np.concatenate(hits) if hits else np.zeros(0)
        return (float(hits.mean()) if hits.size else float("nan"),
                float(hits[self.cold].mean()) if self.cold.any() else float("nan"))

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        """Adds the two numbers to the epoch's logs (Keras prints them on the epoch's line: its progress logger runs
        after the callbacks it was given)."""
        if logs is not None:
            logs.update(zip(self.names, self.recall()))


def catalogue_recall(model, user_fn: Callable, item_fn: Callable, tf_transform_output, eval_files, train_likes,
                     item_features: np.ndarray, dataset_factory, k: int = 10) -> CatalogueRecall:
    """The callback for a Trainer: eval positives read from the transformed eval examples (one pass, through
    ``dataset_factory``); ``train_likes``: (users, items) of the training positives (trainer/memory_input.py's
    TrainingRows.likes, from the pass the Trainer makes for its own training input)."""
    from trainer.base_model import VocabularySizes
    from trainer.inputs import transformed_dataset

    names = (*USER_INPUTS, F.ITEM_INDEX, F.IS_COLD)
    positives = eval_positives(transformed_dataset(eval_files, tf_transform_output, 8192, names, False, dataset_factory=dataset_factory))
    n_items = VocabularySizes.from_transform_output(tf_transform_output).items - F.OOV_BUCKETS
    return CatalogueRecall(model, user_fn, item_fn, positives, train_likes, item_features, n_items, k)
