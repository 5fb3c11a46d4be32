"""PROMO's prompt stage on a frozen two-tower base (paper §4.1.2-4.3) and its variants (§5.5-5.6).

For an example (u, i):
- Pinnacle users (§4.1.1): item i's top users by value (Transform's table), without u, then, when fewer than
  k remain, the list of the most similar popular item by Eq. 5 on the base's item vectors (pseudo-pinnacle).
  Negative-feedback users come from Transform's table too. Their embeddings S_pos, S_neg are looked up in the
  frozen base's user-id embedding layer.
- Personalized prompt network (Eq. 6-7): S_pos and S_neg pass through item i's own network.
- Final item representation (Eq. 10 and §4.3's fusion): [h_i ; MLP([h_i, mean(S_pos), mean(h_pos)])], scored
  against the user side [e_u ; e_u] (``score_fusion="tower"``: e_u.h_i + e_u.MLP) or [e_u ; E(u)]
  (``"tower_id"``: the MLP half meets the user's id embedding, the space pinnacle users live in). The MLP's
  last layer starts at zero, so training starts from the pre-trained model's scores.
- Loss (Eq. 13):
  L_rec (binary cross-entropy) + lambda1 * L_pfpe (Eq. 8-9) + lambda2 * L_pape (Eq. 11-12).

Variants: ``promo_m`` one shared prompt network; ``promo_t`` no prompt network (mean(S_pos) is a plain input of
the MLP); ``promo_i`` / ``promo_f`` / ``promo_if`` the prompt information is the item's id embedding / feature
embedding / both instead of pinnacle users (no L_pfpe, which needs pinnacle and negative lists).
Unknown items (the OOV row) use their pseudo-pinnacle donor's prompt network. Items added by a refresh
(trainer/refresh.py) have table rows after the base vocabulary's: ``new_item_ids`` maps their raw ids to those
rows (``table_rows``); the frozen base still sees them as its OOV item.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional, Tuple

import numpy as np
import tensorflow as tf
from tensorflow import keras

from trainer.base_model import ITEM_EMBEDDING, ITEM_INPUTS, USER_EMBEDDING, USER_INPUTS
from trainer.baselines.common import BaselineConfig
from trainer.item_tables import ItemTables, added_item_rows, pinnacle_similarity, table_rows
from trainer.prompt_network import PersonalizedPromptNetwork, row_width
from trainer.promo_losses import pape_loss, pfpe_loss
from trainer.variants import PROMPT_INFORMATION, VARIANTS
from transforms import features as F


@dataclasses.dataclass(frozen=True)
class PromoConfig(BaselineConfig):
    """Prompt-stage hyperparameters (the PROMO Trainer's ``custom_config``); the learned baselines' are inherited."""

    variant: str = "promo"
    epochs: int = 3
    batch_size: int = 1024
    learning_rate: float = 1e-3
    lambda1: float = 0.1  # weight of L_pfpe (Eq. 13)
    lambda2: float = 1.0  # weight of L_pape (Eq. 13)
    pfpe_reduction: str = "mean"  # see promo_losses.pfpe_loss
    pape_reduction: str = "mean"  # see promo_losses.pape_loss
    # L_pfpe (Eq. 8-9) is a per-item loss: each batch computes it once per distinct item, for at most this many
    # items (the first to appear in the shuffled batch; 0 = all). It costs O(items x k^2 x d) and dominated the
    # step; 256 keeps the prompt stage near 2x the base per example (benchmarks/throughput.py).
    pfpe_items: int = 256
    prompt_dims: Tuple[int, ...] = (32, 32)
    activation: str = "tanh"
    fusion_hidden: int = 64
    # How PROMO's item half meets the user (§4.3 concatenates both sides' representations):
    # "tower": [e_u ; e_u] . [h_i ; MLP]  = e_u . (h_i + MLP)   (the user tower output on both halves)
    # "tower_id": [e_u ; E(u)] . [h_i ; MLP] = e_u . h_i + E(u) . MLP   (E(u): the user's id embedding, the
    #   space the pinnacle users' embeddings live in)
    score_fusion: str = "tower"
    seed: int = 0
    # PROMO-LS only (trainer/promo_ls.py): liker-space rank, the gate's initial a and b, its shift s and the
    # initial cold offset c0 (Eq. LS-3), lambda of L_rank and the weight of cold positives in it (Eq. LS-5).
    # The initial gate is the learning-free point chosen on ML-100K's eval split, rank_weight and cold_weight the
    # trained ones (docs/cold-start-quality.md).
    liker_rank: int = 32
    gate_all: float = 30.0
    gate_cold: float = 20.0
    gate_shift: float = 10.0
    offset_cold: float = 1.0
    rank_weight: float = 16.0
    cold_weight: float = 8.0
    # Refuse to build prompt tables whose training footprint (weights + two Adam moments, float32) exceeds this;
    # see benchmarks/prompt_tables.py for the per-item size and docs/scaling.md ("Scaling limits") for what to do instead.
    max_prompt_table_gib: float = 8.0

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; choose from {', '.join(VARIANTS)}")
        if self.score_fusion not in ("tower", "tower_id"):
            raise ValueError(f"score_fusion must be 'tower' or 'tower_id', got {self.score_fusion!r}")

    @classmethod
    def from_custom_config(cls, custom_config: Optional[Dict[str, Any]]) -> "PromoConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in (custom_config or {}).items() if k in known}
        if "prompt_dims" in values:
            values["prompt_dims"] = tuple(values["prompt_dims"])
        return cls(**values)


@dataclasses.dataclass
class Forward:
    logits: tf.Tensor
    item_embedding: Optional[tf.Tensor] = None
    h_pos: Optional[tf.Tensor] = None
    prompt_rows: Optional[tf.Tensor] = None  # [B] the row of the prompt network each example uses
    neg_users: Optional[tf.Tensor] = None  # [B, k] negative-feedback users + 1 (their prompt outputs: L_pfpe only)
    pos_mask: Optional[tf.Tensor] = None
    neg_mask: Optional[tf.Tensor] = None


def check_prompt_table_size(n_rows: int, input_dim: int, config: PromoConfig) -> None:
    """Raises a ValueError that says what to do when the prompt tables would not fit ``max_prompt_table_gib``."""
    per_row = 3 * 4 * row_width(input_dim, config.prompt_dims)  # float32 weights + LazyAdam's two moments
    need = n_rows * per_row / 2**30
    if need > config.max_prompt_table_gib:
        raise ValueError(
            f"the per-item prompt tables for {n_rows:,} items need {need:.1f} GiB to train ({per_row / 1024:.1f} KiB per "
            f"item with the optimizer's moments), above max_prompt_table_gib={config.max_prompt_table_gib:g}. Use smaller "
            f"prompt_dims, the shared-network variant promo_m, or a machine with more memory and a higher "
            f"max_prompt_table_gib (docs/scaling.md: Scaling limits)"
        )


def _masked_mean(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    mask = tf.cast(mask, values.dtype)[..., tf.newaxis]
    return tf.math.divide_no_nan(tf.reduce_sum(values * mask, axis=1), tf.reduce_sum(mask, axis=1))


class PromoModel(keras.Model):
    """The prompt-tuned model: transformed features in, one logit per example out (see module docstring)."""

    def __init__(self, base: keras.Model, tables: ItemTables, config: PromoConfig, new_item_ids=(), **kwargs):
        super().__init__(name=f"{config.variant}_model", **kwargs)
        self.config = config
        self.information = PROMPT_INFORMATION[config.variant]
        self.base = base
        base.trainable = False
        self.user_tower = base.get_layer("user_tower")
        self.item_tower = base.get_layer("item_tower")
        self.user_id_embedding = self.user_tower.get_layer(USER_EMBEDDING)
        self.item_id_embedding = self.item_tower.get_layer(ITEM_EMBEDDING)
        self.item_feature_bag = self.item_tower.get_layer("item_feature_bag")
        self.oov_row = self.item_id_embedding.input_dim - 1  # the base vocabulary's OOV bucket
        n_items = tables.pinnacle.shape[0]
        if n_items != self.oov_row + 1 + len(new_item_ids):
            raise ValueError(f"tables have {n_items} rows; the base has {self.oov_row + 1} and {len(new_item_ids)} items were added")
        self.new_item_rows = added_item_rows(new_item_ids, self.oov_row + 1)
        self.pinnacle_table = tf.Variable(tables.pinnacle, trainable=False, name="pinnacle_table")
        self.negative_table = tf.Variable(tables.negatives, trainable=False, name="negative_table")
        self.item_features = tf.Variable(tables.features, trainable=False, name="item_feature_table")  # recommend's index
        warm_rows = np.flatnonzero(tables.is_cold[: self.oov_row] == 0)
        if warm_rows.size == 0:
            warm_rows = np.array([self.oov_row])
        warm_vectors = self.item_tower(
            {F.ITEM_INDEX: tf.constant(warm_rows, tf.int64), F.ITEM_FEATURE_INDICES: tf.constant(tables.features[warm_rows])}
        )
        self.warm_rows = tf.Variable(warm_rows.astype(np.int64), trainable=False, name="warm_rows")
        self.warm_vectors = tf.Variable(warm_vectors, trainable=False, name="warm_vectors")
        self.donor_table = tf.Variable(self._donors_of_rows(tables.features), trainable=False, name="donor_table")
        embedding_dim = self.user_id_embedding.output_dim
        if self.information is not None:
            check_prompt_table_size(1 if config.variant == "promo_m" else n_items, embedding_dim, config)
            self.prompt_network = PersonalizedPromptNetwork(
                1 if config.variant == "promo_m" else n_items, embedding_dim, config.prompt_dims, config.activation, config.seed,
                name="prompt_network",
            )
        output_dim = self.item_tower.output_shape[-1] if config.score_fusion == "tower" else embedding_dim
        self.fusion = keras.Sequential(
            [keras.layers.Dense(config.fusion_hidden, activation="relu"), keras.layers.Dense(output_dim, kernel_initializer="zeros")],
            name="fusion_mlp",
        )
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "rec", "pfpe", "pape")}
        self.auc = keras.metrics.AUC(from_logits=True, name="auc")

    # --- table rows and pinnacle lists ----------------------------------------------------------------------
    def table_rows(self, item_ids: tf.Tensor, item_index: tf.Tensor) -> tf.Tensor:
        """ITEM_ROW of raw ``item_ids`` (trainer/item_tables.py: table_rows)."""
        return table_rows(self.new_item_rows, item_ids, item_index)

    def donor_rows(self, item_vectors: tf.Tensor) -> tf.Tensor:
        """The most similar popular item of each item vector by Eq. 5 (pseudo-pinnacle donor)."""
        return tf.gather(self.warm_rows, tf.argmax(pinnacle_similarity(item_vectors, self.warm_vectors), axis=1))

    def _donors_of_rows(self, features: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """Every table row's donor, from its training features (rows after the OOV one are added items, which the
        base sees as OOV). The OOV row's own entry is never used: unknown items get theirs from their features."""
        rows = np.arange(features.shape[0])
        index = np.minimum(rows, self.oov_row)
        donors = [
            self.donor_rows(self.item_tower({F.ITEM_INDEX: tf.constant(index[s:s + chunk]), F.ITEM_FEATURE_INDICES: tf.constant(features[s:s + chunk])})).numpy()
            for s in range(0, len(rows), chunk)
        ]
        return np.concatenate(donors).astype(np.int64)

    def donors_of(self, item_rows: tf.Tensor, item_vectors: tf.Tensor) -> tf.Tensor:
        """Donor rows of a batch: the precomputed ones, and Eq. 5 on the served features for unknown items."""
        donors = tf.gather(self.donor_table, item_rows)
        unknown = tf.equal(item_rows, self.oov_row)
        return tf.cond(tf.reduce_any(unknown), lambda: tf.where(unknown, self.donor_rows(item_vectors), donors), lambda: donors)

    def pinnacle_users(self, item_rows, donors, users_plus_one) -> Tuple[tf.Tensor, tf.Tensor]:
        """[B, k] pinnacle users (+1, 0 = none) and mask: own list without the scored user, then the donor's."""
        candidates = tf.concat([tf.gather(self.pinnacle_table, item_rows), tf.gather(self.pinnacle_table, donors)], axis=1)
        keep = (candidates > 0) & (candidates != users_plus_one[:, tf.newaxis])
        position = tf.cumsum(tf.cast(keep, tf.int32), axis=1) - 1  # the slot of each kept candidate, in order
        slot = tf.where(keep & (position < F.PINNACLE_K), position, F.PINNACLE_K)  # slot k: dropped
        users = tf.reduce_sum(tf.one_hot(slot, F.PINNACLE_K, dtype=candidates.dtype) * candidates[:, :, tf.newaxis], axis=1)
        return users, users > 0

    def _user_embeddings(self, users_plus_one):
        return self.user_id_embedding(tf.maximum(users_plus_one - 1, 0))

    # --- forward --------------------------------------------------------------------------------------------
    def user_embedding(self, features) -> tf.Tensor:
        """The user side [e_u ; e_u or E(u)]: its inner product with ``item_embedding`` is the logit."""
        user_vector = self.user_tower({n: features[n] for n in USER_INPUTS})
        user_half = user_vector if self.config.score_fusion == "tower" else self.user_id_embedding(features[F.USER_INDEX])
        return tf.concat([user_vector, user_half], axis=1)

    def item_embedding(self, features) -> tf.Tensor:
        """The item side [h_i ; MLP(...)] with no user removed from the pinnacle list (for an ANN index)."""
        return self.forward(features).item_embedding

    def forward(self, features, training=False) -> Forward:
        """Logits, item embeddings and the prompt outputs the losses need. Without USER_INDEX in
        ``features`` no user is removed from the pinnacle lists and the logits are not computed."""
        item_vector = self.item_tower({n: features[n] for n in ITEM_INPUTS})
        item_rows = features.get(F.ITEM_ROW, features[F.ITEM_INDEX])
        users_plus_one = features[F.USER_INDEX] + 1 if F.USER_INDEX in features else tf.zeros_like(item_rows)
        donors = self.donors_of(item_rows, item_vector)
        if self.information in ("pinnacle", None):
            pos_users, pos_mask = self.pinnacle_users(item_rows, donors, users_plus_one)
            pos_embeddings = self._user_embeddings(pos_users)
            pinnacle_mean = _masked_mean(pos_embeddings, pos_mask)
        prompt_rows = tf.where(tf.equal(item_rows, self.oov_row), donors, item_rows)
        if self.config.variant == "promo_m":
            prompt_rows = tf.zeros_like(prompt_rows)
        result = Forward(logits=None)
        parts = [item_vector]
        if self.information == "pinnacle":
            result.neg_users = tf.gather(self.negative_table, item_rows)
            result.neg_mask = (result.neg_users > 0) & (result.neg_users != users_plus_one[:, tf.newaxis])
            result.h_pos = self.prompt_network((prompt_rows, pos_embeddings))
            result.pos_mask, result.prompt_rows = pos_mask, prompt_rows
            parts += [pinnacle_mean, _masked_mean(result.h_pos, pos_mask)]
        elif self.information is None:  # promo_t
            parts += [pinnacle_mean]
        else:  # promo_i / promo_f / promo_if
            sources = []
            if "item_id" in self.information:
                sources.append(self.item_id_embedding(features[F.ITEM_INDEX]))
            if "item_features" in self.information:
                sources.append(self.item_feature_bag(features[F.ITEM_FEATURE_INDICES]))
            h0 = tf.stack(sources, axis=1)
            parts += [tf.reduce_mean(h0, axis=1), tf.reduce_mean(self.prompt_network((prompt_rows, h0)), axis=1)]
        result.item_embedding = tf.concat([item_vector, self.fusion(tf.concat(parts, axis=1))], axis=1)
        if F.USER_INDEX in features:
            result.logits = tf.reduce_sum(self.user_embedding(features) * result.item_embedding, axis=1)
        return result

    def call(self, features, training=False):
        return self.forward(features, training=training).logits

    # --- training -------------------------------------------------------------------------------------------
    def pfpe_rows(self, item_rows: tf.Tensor) -> tf.Tensor:
        """Batch positions L_pfpe uses: the first example of each distinct item, at most ``pfpe_items`` of them."""
        distinct, position = tf.unique(item_rows)
        first = tf.math.unsorted_segment_min(tf.range(tf.shape(item_rows)[0]), position, tf.shape(distinct)[0])
        return first[: self.config.pfpe_items] if self.config.pfpe_items > 0 else first

    def _compute_losses(self, features, labels):
        out = self.forward(features)
        rec = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.reshape(labels, [-1]), logits=out.logits))
        pfpe = tf.constant(0.0)
        if out.neg_users is not None:
            rows = self.pfpe_rows(features.get(F.ITEM_ROW, features[F.ITEM_INDEX]))
            h_neg = self.prompt_network((tf.gather(out.prompt_rows, rows), self._user_embeddings(tf.gather(out.neg_users, rows))))
            pfpe = pfpe_loss(
                tf.gather(out.h_pos, rows), h_neg, tf.gather(out.pos_mask, rows), tf.gather(out.neg_mask, rows), self.config.pfpe_reduction
            )
        pape = pape_loss(out.logits, labels, features[F.IS_COLD], self.config.pape_reduction)
        total = rec + self.config.lambda1 * pfpe + self.config.lambda2 * pape
        return out.logits, {"loss": total, "rec": rec, "pfpe": pfpe, "pape": pape}

    def _report(self, losses, labels, logits):
        for name, value in losses.items():
            self.loss_trackers[name].update_state(value)
        self.auc.update_state(tf.reshape(labels, [-1]), logits)
        return {name: tracker.result() for name, tracker in self.loss_trackers.items()} | {"auc": self.auc.result()}

    def train_step(self, data):
        features, labels = data
        with tf.GradientTape() as tape:
            logits, losses = self._compute_losses(features, labels)
        gradients = tape.gradient(losses["loss"], self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return self._report(losses, labels, logits)

    def test_step(self, data):
        features, labels = data
        logits, losses = self._compute_losses(features, labels)
        return self._report(losses, labels, logits)

    @property
    def metrics(self):
        return list(self.loss_trackers.values()) + [self.auc]
