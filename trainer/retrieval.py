"""The ``recommend`` signature's index: top-K catalogue items for a user, the items of the given history excluded.

Uses ``tfrs.layers.factorized_top_k.BruteForce`` and its ``query_with_exclusions``: the exact top K by inner
product over item vectors held in the SavedModel as variables (a matmul and a ``top_k``, ops stock TF Serving runs
with nothing else installed). Not TFRS's ScaNN layer: its ops are a custom-op library stock TF Serving does not
load, it is approximate (the scores must equal ``serving_default``'s ranking), and the catalogues here are small
(1.7K items for ML-100K; benchmarks/serving_latency.py times 100K).

The catalogue is every item the Transform vocabulary knows (``vocabulary_by_name(F.ITEM_VOCAB)``, item index =
position in it) plus the items a refresh added (trainer/refresh.py; their raw ids and table rows are the model's
``new_item_rows``), never the OOV row. Each item's vector is the model's item side (``item_fn`` of
trainer/export.py: ``embedding_functions``) of its index, its table row and its training feature bag, computed
once at export. The feature bags come from the model's own per-item table where it has one (PROMO-LS and PROMO
keep ``item_features``, built by trainer/item_tables.py from the transformed training examples, with added items'
bags appended by a refresh); the base two-tower model (and the ``pretrain`` / ``finetune`` variants) has none, so
its Trainer collects the bags with :func:`item_feature_table` (one pass over the transformed training examples,
ITEM_INDEX and ITEM_FEATURE_INDICES only) and passes them to ``export_serving_model``. Every vocabulary item has a
training example (the vocabulary is computed over the training split), so every catalogue item has its bag.

Scores are ``sigmoid(user . item)``, the probability ``serving_default`` gives, so a client can compare them.
They are equal for every item of the base models and of PROMO-LS, whose served score is
``user_embedding(u) . item_embedding(i)`` (no user left out of an item's likers: trainer/promo_ls.py), exactly
``serving_default``'s logit up to float rounding (~1e-7: the index sums the product in another order). The paper's
PROMO removes the scored user from the item's pinnacle list, which the index cannot, so there the scores differ
for the items on whose pinnacle list (own or pseudo-pinnacle donor's) the user is.

K is fixed at export (RECOMMEND_K = 100; TF Serving requires every signature input, so an optional ``k`` input
is not possible): clients that want fewer items take the first ones (the lists are sorted by score). The
``history`` string may hold at most MAX_EXCLUDED items (TFRS's ``query_with_exclusions`` needs a fixed exclusion
width); a longer one is refused with an InvalidArgumentError naming the rows. All its items are excluded; the
model reads them as in ``serving_default`` (the last HISTORY_LENGTH (20); all of them as the whole-history bag of
TowerConfig.history_bag). When the catalogue has fewer than K items outside the history, the list ends with ``''``
ids scored 0.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from transforms import features as F

RECOMMEND_K = 100  # items returned per user by the recommend signature
MAX_EXCLUDED = F.MAX_HISTORY  # history items (space-separated ids) the recommend signature accepts per row
ITEM_IDS = "item_ids"
SCORES = "scores"
CHUNK = 8192  # catalogue rows per call of the item side at export


class _BruteForce(tfrs.layers.factorized_top_k.BruteForce):
    """BruteForce that asks ``tf.math.top_k`` for at most as many items as the index holds (``query_with_exclusions``
    asks for K + the exclusion width, more than a small catalogue has)."""

    def call(self, queries, k=None):
        k = self._k if k is None else k
        return super().call(queries, k=tf.minimum(k, tf.shape(self._candidates)[0]))


def collect_item_features(dataset: tf.data.Dataset, n_rows: int) -> np.ndarray:
    """[n_rows, MAX_ITEM_TOKENS] feature bag per item index from ``dataset``'s (features, label) batches holding
    ITEM_INDEX and ITEM_FEATURE_INDICES (the last example of an item wins; rows never seen stay empty)."""
    table = np.zeros((n_rows, F.MAX_ITEM_TOKENS), np.int64)
    for features, _ in dataset.as_numpy_iterator():
        keep_item_features(table, features)
    return table


def keep_item_features(table: np.ndarray, features) -> None:
    """Writes one numpy batch's item feature bags into ``table`` at their item index (a later example wins)."""
    table[features[F.ITEM_INDEX]] = features[F.ITEM_FEATURE_INDICES]


def item_feature_table(tf_transform_output, train_files: List[str], dataset_factory=None) -> np.ndarray:
    """The training feature bag of every item index (vocabulary + OOV rows), from the transformed training examples:
    what the base model's export needs for the recommend index. ``dataset_factory``: trainer/inputs.py's (default
    ``file_dataset_factory``)."""
    from trainer.base_model import VocabularySizes
    from trainer.inputs import file_dataset_factory, transformed_dataset

    sizes = VocabularySizes.from_transform_output(tf_transform_output)
    dataset = transformed_dataset(
        train_files, tf_transform_output, 8192, (F.ITEM_INDEX, F.ITEM_FEATURE_INDICES), False,
        dataset_factory=dataset_factory or file_dataset_factory,
    )
    return collect_item_features(dataset, sizes.items)


def catalogue_features(model, tf_transform_output, train_files: List[str], dataset_factory=None) -> np.ndarray:
    """The model's own per-item feature table when it keeps one, else :func:`item_feature_table`."""
    if hasattr(model, "item_features"):
        return model.item_features.numpy()
    return item_feature_table(tf_transform_output, train_files, dataset_factory)


def catalogue_rows(model, item_vocabulary: Sequence[str]):
    """(raw ids, Transform item index, table row) of every catalogue item: the vocabulary, then added items."""
    ids = list(item_vocabulary)
    rows = list(range(len(ids)))
    added = getattr(model, "new_item_rows", None)
    if added is not None:
        keys, values = (t.numpy() for t in added.export())
        order = np.argsort(values)
        ids += [k.decode() for k in keys[order]]
        rows += values[order].tolist()
    rows = np.array(rows, np.int64)
    return ids, np.minimum(rows, len(item_vocabulary)), rows  # added items are the base's OOV item


def item_vectors(model, item_fn, item_index: np.ndarray, item_rows: np.ndarray, features: np.ndarray) -> np.ndarray:
    """``item_fn`` (the model's item side) of the given items, with no user left out, in chunks."""
    parts = []
    for start in range(0, len(item_index), CHUNK):
        batch = {
            F.ITEM_INDEX: tf.constant(item_index[start:start + CHUNK]),
            F.ITEM_FEATURE_INDICES: tf.constant(features[item_rows[start:start + CHUNK]]),
        }
        if hasattr(model, "table_rows"):  # the prompt-stage models read their per-item tables at ITEM_ROW
            batch[F.ITEM_ROW] = tf.constant(item_rows[start:start + CHUNK])
        parts.append(item_fn(batch).numpy())
    return np.concatenate(parts).astype(np.float32)


class Recommender(tf.Module):
    """Top-K catalogue items of user vectors with a history excluded; everything it holds is saved with the model."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray, k: int = RECOMMEND_K, max_excluded: int = MAX_EXCLUDED):
        super().__init__(name="recommender")
        n = len(ids)
        if n == 0 or vectors.shape[0] != n:
            raise ValueError(f"the catalogue has {n} ids and {vectors.shape[0]} vectors")
        self.k, self.max_excluded = int(min(k, n)), int(max_excluded)
        self.index = _BruteForce(k=self.k, name="recommend_index")
        self.index.index(tf.constant(vectors), tf.range(n, dtype=tf.int64))  # identifiers: catalogue positions
        self.ids = tf.Variable(tf.constant(list(ids), tf.string), trainable=False, name="catalogue_ids")
        self.position = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(list(ids)), tf.range(n, dtype=tf.int64)), default_value=-1
        )

    def exclusions(self, history: tf.Tensor) -> tf.Tensor:
        """[B, max_excluded] catalogue positions of the items of ``history`` ([B] space-separated ids; -1 pads and
        stands for ids outside the catalogue); a row with more than max_excluded items is refused."""
        tokens = tf.strings.split(history)
        counts = tokens.row_lengths()
        too_long = tf.where(counts > self.max_excluded)[:, 0]
        message = tf.strings.format(
            f"history rows {{}} hold more than {self.max_excluded} items; recommend excludes at most "
            f"{self.max_excluded} per row (trainer/retrieval.py: MAX_EXCLUDED)", too_long)
        with tf.control_dependencies([tf.debugging.Assert(tf.size(too_long) == 0, [message])]):
            positions = tf.ragged.map_flat_values(self.position.lookup, tokens)
            return positions.to_tensor(-1, shape=[None, self.max_excluded])

    def __call__(self, user_vectors: tf.Tensor, history: tf.Tensor) -> Dict[str, tf.Tensor]:
        """``user_vectors`` [B, d] (the model's user side) and ``history`` [B] strings -> ITEM_IDS [B, k] and
        SCORES [B, k], the probability sigmoid(user . item), highest first."""
        exclusions = self.exclusions(history)
        logits, found = self.index.query_with_exclusions(user_vectors, exclusions, k=self.k)
        logits, found = tf.ensure_shape(logits, [None, self.k]), tf.ensure_shape(found, [None, self.k])  # k <= the catalogue
        # Excluded items come last, with their own scores, only when fewer than k others exist: blank them.
        excluded = tf.reduce_any(tf.equal(found[:, :, tf.newaxis], exclusions[:, tf.newaxis, :]), axis=2)
        return {
            ITEM_IDS: tf.where(excluded, tf.constant(""), tf.gather(self.ids, found)),
            SCORES: tf.where(excluded, 0.0, tf.sigmoid(logits)),
        }


def build_recommender(model, item_fn, tf_transform_output, item_features: Optional[np.ndarray] = None,
                      k: int = RECOMMEND_K, max_excluded: int = MAX_EXCLUDED) -> Recommender:
    """The index over ``model``'s catalogue (module docstring); ``item_features`` [table rows, MAX_ITEM_TOKENS]
    defaults to the model's own ``item_features`` table."""
    if item_features is None:
        if not hasattr(model, "item_features"):
            raise ValueError(
                "the recommend index needs each item's feature bag: this model keeps no item_features table, so pass "
                "item_features=trainer.retrieval.item_feature_table(tf_transform_output, train_files)"
            )
        item_features = model.item_features.numpy()
    vocabulary = [v.decode() if isinstance(v, bytes) else v for v in tf_transform_output.vocabulary_by_name(F.ITEM_VOCAB)]
    ids, item_index, rows = catalogue_rows(model, vocabulary)
    if len(item_features) <= rows.max():
        raise ValueError(f"item_features has {len(item_features)} rows; the catalogue needs row {rows.max()}")
    return Recommender(ids, item_vectors(model, item_fn, item_index, rows, item_features), k, max_excluded)
