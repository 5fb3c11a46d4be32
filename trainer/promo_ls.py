"""PROMO-LS: PROMO's prompt stage with the scored user and the pinnacle users in one space (the liker space).

Keeps PROMO's structure (paper §4): the frozen pre-trained two-tower base; an item represented through its
pinnacle users (here every training liker, the scored user left out); a per-item prompt network (a table of
per-item weights); a two-part loss in the shape of Eq. 13. It changes what the diagnosis
(docs/cold-start-quality.md) found broken: the pinnacle users live in the liker space (trainer/liker_space.py),
not in the base's user-id embedding; the prompt output meets the scored user's own liker-space vector; at step 0
the model already ranks like a neighbour model (identity prompts, gate from the config) and training refines it;
the gate depends on the item's number of likers; the ranking term compares each positive with an item drawn from
the whole catalogue instead of L_pape's group means.

Score of user u and item i (each line one function or layer below):
    z_u   = sum_{j in H_u} q_j / sqrt(|H_u|)                                  fold_in          (Eq. LS-1)
    m_i   = (S_i - [u likes i] z_u') / n_i^-u,  n_i^-u = n_i - [u likes i]    pinnacle_centroid (Eq. LS-2)
    P_i(m) = m + W_i m                                                        PromptResidual   (Eq. 6-7, linear)
    g_i   = a + b [i cold] n_i^-u / (n_i^-u + s)                              PopularityGate   (Eq. LS-3)
    c_i   = c0 [i cold] + c1 log(1 + n_i^-u)                                  PopularityGate
    y(u,i) = e_u . h_i + g_i z_u . P_i(m_i) + c_i = [e_u ; z_u ; 1] . [h_i ; g_i P_i(m_i) ; c_i]   (Eq. LS-4,
             replacing Eq. 10's fusion; z_u' is u's liker-space row, the one S_i summed)
Served:  y_s(u,i) = e_u . h_i + s (g_i z_u . P_i(m_i) + c_i) = [e_u ; s z_u ; s] . [item side]    user_embedding (Eq. LS-6)
         with no user left out of m_i (n_i^-u = n_i): the leave-one-out of Eq. LS-2 needs every training (user,
         item) pair (TrainingLikes), which the served model does not hold, so that it grows with the catalogue and
         the users, not with the log. Scores differ only where a user meets an item he liked in training: a
         training example, which only the loss scores; recommend never ranks the history it is sent, and every
         held-out target is an item its user did not like in training.
         s the exposure: 1 in training; the export serves PromoConfig.cold_exposure, and recommend_cold_first
         PromoConfig.cold_first_exposure, from one trained model (how far cold items may displace warm ones in a
         whole-catalogue top 10: benchmarks/results/frontier-ml-100k-eval.md).
Loss (Eq. 13's shape):  L = L_rec + lambda * L_rank, with L_rec the base's binary cross-entropy on the logged
examples and L_rank = mean over positives (u, i) of w_i softplus(y(u, j) - y(u, i)), j drawn uniformly from the
catalogue, w_i = cold_weight for cold items, 1 otherwise (BPR; ranking_loss, Eq. LS-5); plus, with
PromoConfig.catalogue_weight lambda_c > 0, lambda_c * L_cat, L_cat = the same weighted mean of
-log softmax_j(y(u, j) / T)[i], j over the whole catalogue but u's other training likes (catalogue_ranking_loss,
Eq. LS-5c): a cold item gains only by beating that user's warm candidates, the comparison a whole-catalogue top 10
makes, where BPR's uniformly drawn item is mostly a cold one.
Trainable: W (per-item prompt tables), q (the history item vectors), a, b, c0, c1. The base stays frozen.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs
from tensorflow import keras

from trainer.base_model import ITEM_EMBEDDING, USER_INPUTS, recent_window
from trainer.item_tables import ItemTables, added_item_rows, table_rows
from trainer.liker_space import LikerSpace
from trainer.epoch_logs import EpochMeanLogs
from transforms import features as F


def fold_in(item_vectors: tf.Tensor, history_indices: tf.Tensor) -> tf.Tensor:
    """Eq. LS-1: z_u = sum_{j in H_u} q_j / sqrt(|H_u|); ``history_indices`` [B, H] item index + 1 (0 pads),
    ``item_vectors`` [B, H, r] their q rows (zeros at padding)."""
    count = tf.reduce_sum(tf.cast(history_indices > 0, item_vectors.dtype), axis=1, keepdims=True)
    return tf.reduce_sum(item_vectors, axis=1) / tf.sqrt(tf.maximum(count, 1.0))


def pinnacle_centroid(liker_sum, liker_count, own_vector, likes):
    """Eq. LS-2: the mean liker-space vector of item i's training likers without the scored user, and how many
    there are: ((S_i - [u likes i] z_u') / n_i^-u, n_i^-u); zero vector when no liker is left."""
    likes = tf.cast(likes, liker_sum.dtype)
    count = liker_count - likes
    total = liker_sum - likes[:, tf.newaxis] * own_vector
    return tf.math.divide_no_nan(total, count[:, tf.newaxis]), count


class PromptResidual(keras.layers.Layer):
    """Eq. 6-7 with a linear per-item network plus a skip: P_i(m) = m + W_i m, W_i an r x r row of a per-item
    table (PROMO's personalized prompt network, one per item). W starts at zero, so P_i starts as the identity
    and the mean of P_i over the pinnacle users equals P_i of their mean."""

    def __init__(self, n_rows: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.weights_table = keras.layers.Embedding(n_rows, dim * dim, embeddings_initializer="zeros", name="prompt_weights")

    def call(self, rows, vectors):
        w = tf.reshape(self.weights_table(rows), [-1, self.dim, self.dim])
        return vectors + tf.linalg.matvec(w, vectors)


class PopularityGate(keras.layers.Layer):
    """Eq. LS-3: how much the pinnacle term counts for an item, g = a + b [cold] n / (n + s), and the item's
    offset c = c0 [cold] + c1 log(1 + n), from its number of likers n. Five numbers, none per item: the cold/warm
    calibration PROMO left to per-item free parameters (the seed spread of docs/cold-start-quality.md)."""

    def __init__(self, a: float, b: float, s: float, c_cold: float, **kwargs):
        super().__init__(**kwargs)
        self.s = s
        self.a = self.add_weight(name="a", shape=(), initializer=keras.initializers.Constant(a))
        self.b = self.add_weight(name="b", shape=(), initializer=keras.initializers.Constant(b))
        self.c = self.add_weight(name="c", shape=(2,), initializer=keras.initializers.Constant([c_cold, 0.0]))

    def call(self, count, is_cold):
        cold = tf.cast(is_cold, count.dtype)
        gate = self.a + self.b * cold * count / (count + self.s)
        offset = self.c[0] * cold + self.c[1] * tf.math.log1p(count)
        return gate, offset


def ranking_loss(positive_logits, sampled_logits, weights):
    """Eq. LS-5 (BPR): sum_k w_k softplus(y_sampled,k - y_positive,k) / sum_k w_k."""
    return tf.math.divide_no_nan(
        tf.reduce_sum(weights * tf.nn.softplus(sampled_logits - positive_logits)), tf.reduce_sum(weights)
    )


def catalogue_ranking_loss(positive_logits, catalogue_logits, excluded, weights, temperature):
    """Eq. LS-5c: sum_k w_k (-log softmax([y_k,pos ; y_k,j for j not excluded] / T)[0]) / sum_k w_k.

    ``positive_logits`` [P]; ``catalogue_logits`` [P, N] every catalogue item's score for positive k's user;
    ``excluded`` [P, N] True where item j is the positive itself or one of the user's training likes (not a
    competitor: a served list never shows them); ``weights`` [P]."""
    logits = tf.concat([positive_logits[:, tf.newaxis], tf.where(excluded, -np.inf, catalogue_logits)], axis=1) / temperature
    per_positive = -tf.nn.log_softmax(logits, axis=1)[:, 0]
    return tf.math.divide_no_nan(tf.reduce_sum(weights * per_positive), tf.reduce_sum(weights))


class TrainingLikes:
    """Every training positive (user, item) as a lookup for Eq. LS-2's leave-one-out in the loss (training and
    validation). A plain object, not a trackable: Keras does not track it, so the export never saves it and no
    served signature can use it (saving one that did would fail on the untracked table)."""

    def __init__(self, keys: np.ndarray, n_items: int):
        self.keys = keys  # sorted int64 user * n_items + item
        self.n_items = n_items
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(keys), tf.ones(len(keys), tf.int64)), default_value=0
        )

    def lookup(self, user_index: tf.Tensor, rows: tf.Tensor) -> tf.Tensor:
        """1 where user ``user_index`` liked table row ``rows`` in training, else 0 (broadcasting)."""
        return self.table.lookup(user_index * self.n_items + rows)


class LikerSpacePromo(EpochMeanLogs, tfrs.models.Model):
    """PROMO-LS (module docstring): transformed features in, one logit per example out. Items a refresh added
    (trainer/refresh.py) have rows after the base vocabulary's in every per-item table: ``new_item_ids`` maps
    their raw ids to those rows (the base still sees them as its OOV item with their features)."""

    def __init__(self, base: keras.Model, tables: ItemTables, space: LikerSpace, config, new_item_ids=(), **kwargs):
        super().__init__(name="promo_ls_model", **kwargs)
        self.config = config
        self.base = base
        base.trainable = False
        self.user_tower = base.get_layer("user_tower")
        self.item_tower = base.get_layer("item_tower")
        n_items, rank = space.liker_sums.shape
        n_base_rows = self.item_tower.get_layer(ITEM_EMBEDDING).input_dim
        if n_items != n_base_rows + len(new_item_ids):
            raise ValueError(f"the liker space has {n_items} item rows; the base has {n_base_rows} and {len(new_item_ids)} items were added")
        self.n_items = n_items
        self.n_vocabulary_items = n_base_rows - F.OOV_BUCKETS
        self.new_item_rows = added_item_rows(new_item_ids, n_base_rows)
        self.user_vectors = tf.Variable(space.user_vectors, trainable=False, name="liker_user_vectors")
        self.liker_sums = tf.Variable(space.liker_sums, trainable=False, name="liker_sums")
        self.liker_counts = tf.Variable(space.liker_counts, trainable=False, name="liker_counts")
        self.is_cold = tf.Variable(tables.is_cold.astype(np.int64), trainable=False, name="is_cold")
        self.item_features = tf.Variable(tables.features, trainable=False, name="item_feature_table")
        self.training_likes = TrainingLikes(space.liked_pairs, n_items)  # the loss's only: not saved
        # Built, then assigned: a Constant initializer would write every value into the saved Keras config as text.
        self.history_vectors = keras.layers.Embedding(len(space.item_vectors), rank, name="history_item_vectors")
        self.history_vectors.build((None,))
        self.history_vectors.embeddings.assign(space.item_vectors)
        self.prompt = PromptResidual(n_items, rank, name="prompt_network")
        self.exposure = tf.Variable(1.0, trainable=False, name="cold_exposure")  # s of Eq. LS-6
        self.operating_points = {"cold_first": config.cold_first_exposure}  # extra recommend_<name> signatures
        self.gate = PopularityGate(
            config.gate_all, config.gate_cold, config.gate_shift, config.offset_cold, name="popularity_gate"
        )
        # The epoch means of Eq. 13's two parts, training and validation alike (Keras logs `rec_loss`, `rank_loss`
        # and their `val_` twins): TFRS's own `loss` entry is the last batch's total only.
        self.rec_loss = keras.metrics.Mean(name="rec_loss")  # per logged example
        if config.rank_weight > 0:
            self.rank_loss = keras.metrics.Mean(name="rank_loss")  # per positive, cold ones weighted as in the loss
        if config.catalogue_weight > 0:
            self.catalogue_loss = keras.metrics.Mean(name="catalogue_loss")  # likewise

    def table_rows(self, item_ids: tf.Tensor, item_index: tf.Tensor) -> tf.Tensor:
        """ITEM_ROW of raw ``item_ids`` (trainer/item_tables.py: table_rows)."""
        return table_rows(self.new_item_rows, item_ids, item_index)

    # --- the two sides of Eq. LS-4 ----------------------------------------------------------------------------
    def user_embedding(self, features, exposure=None) -> tf.Tensor:
        """Eq. LS-6's user side [e_u ; s z_u ; s], s = ``exposure`` (default: the model's ``exposure`` variable)."""
        user_vector = self.user_tower({n: features[n] for n in USER_INPUTS})
        history = recent_window(features[F.HISTORY_INDICES])
        z = fold_in(self.history_vectors(history) * tf.cast(history > 0, tf.float32)[..., tf.newaxis], history)
        exposure = self.exposure if exposure is None else tf.constant(exposure, tf.float32)
        return tf.concat([user_vector, exposure * z, exposure * tf.ones_like(user_vector[:, :1])], axis=1)

    def item_side(self, item_index, item_feature_indices, user_index=None, item_row=None) -> tf.Tensor:
        """[h_i ; g_i P_i(m_i) ; c_i] with ``user_index`` (when given) left out of the item's likers; ``item_row``
        is the item's row in the per-item tables (its ``item_index`` unless a refresh added it)."""
        item_vector = self.item_tower({F.ITEM_INDEX: item_index, F.ITEM_FEATURE_INDICES: item_feature_indices})
        row = tf.minimum(item_index if item_row is None else item_row, self.n_items - 1)
        if user_index is None:
            likes, own = tf.zeros_like(row), tf.zeros_like(tf.gather(self.liker_sums, row))
        else:
            likes = self.training_likes.lookup(user_index, row)
            own = tf.gather(self.user_vectors, tf.minimum(user_index, tf.shape(self.user_vectors, out_type=tf.int64)[0] - 1))
        centroid, count = pinnacle_centroid(tf.gather(self.liker_sums, row), tf.gather(self.liker_counts, row), own, likes)
        gate, offset = self.gate(count, tf.gather(self.is_cold, row))
        prompt = gate[:, tf.newaxis] * self.prompt(row, centroid)
        return tf.concat([item_vector, prompt, offset[:, tf.newaxis]], axis=1)

    def item_embedding(self, features) -> tf.Tensor:
        """The served item side: no user left out (module docstring)."""
        return self.item_side(features[F.ITEM_INDEX], features[F.ITEM_FEATURE_INDICES], item_row=features.get(F.ITEM_ROW))

    def call(self, features, training=False):
        """The served logit y_s (every signature's score): user side . item_embedding."""
        return tf.reduce_sum(self.user_embedding(features) * self.item_embedding(features), axis=1)

    def training_logits(self, features, users=None) -> tf.Tensor:
        """y(u, i) of Eq. LS-4 with u left out of i's likers when u liked i in training (Eq. LS-2): the loss's
        score; ``users``: the batch's user sides when already computed."""
        users = self.user_embedding(features) if users is None else users
        items = self.item_side(
            features[F.ITEM_INDEX], features[F.ITEM_FEATURE_INDICES], features[F.USER_INDEX], features.get(F.ITEM_ROW)
        )
        return tf.reduce_sum(users * items, axis=1)

    # --- Eq. 13's shape: L_rec + lambda * L_rank ---------------------------------------------------------------
    def catalogue_rank(self, users, positive, user_index, item_index, weights):
        """Eq. LS-5c over the batch's positives (weights > 0): each against every vocabulary item's item side (no
        user left out: the user's own training likes, whose vectors hold the user, are excluded instead)."""
        keep = weights > 0
        users, positive, user_index, item_index = (tf.boolean_mask(t, keep) for t in (users, positive, user_index, item_index))
        rows = tf.range(self.n_vocabulary_items, dtype=tf.int64)
        catalogue = self.item_side(rows, tf.gather(self.item_features, rows))
        liked = self.training_likes.lookup(user_index[:, tf.newaxis], rows[tf.newaxis, :]) > 0
        excluded = liked | tf.equal(item_index[:, tf.newaxis], rows[tf.newaxis, :])
        return catalogue_ranking_loss(positive, tf.matmul(users, catalogue, transpose_b=True), excluded,
                                      tf.boolean_mask(weights, keep), self.config.rank_temperature)

    def compute_loss(self, inputs, training=False):
        features, labels = inputs
        labels = tf.reshape(labels, [-1])
        users = self.user_embedding(features)
        positive = self.training_logits(features, users)
        rec = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=positive))
        cold = tf.cast(tf.gather(self.is_cold, tf.minimum(features[F.ITEM_INDEX], self.n_items - 1)), tf.float32)
        weights = labels * (1.0 + (self.config.cold_weight - 1.0) * cold)
        loss = rec
        self.rec_loss.update_state(rec, sample_weight=tf.cast(tf.size(labels), tf.float32))
        if self.config.rank_weight > 0:
            sampled_items = tf.random.uniform(tf.shape(labels), 0, self.n_vocabulary_items, dtype=tf.int64)
            sampled = tf.reduce_sum(
                users * self.item_side(sampled_items, tf.gather(self.item_features, sampled_items), features[F.USER_INDEX]), axis=1
            )
            rank = ranking_loss(positive, sampled, weights)
            self.rank_loss.update_state(rank, sample_weight=tf.reduce_sum(weights))
            loss += self.config.rank_weight * rank
        if self.config.catalogue_weight > 0:
            catalogue = self.catalogue_rank(users, positive, features[F.USER_INDEX], features[F.ITEM_INDEX], weights)
            self.catalogue_loss.update_state(catalogue, sample_weight=tf.reduce_sum(weights))
            loss += self.config.catalogue_weight * catalogue
        return loss
