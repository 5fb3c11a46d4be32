"""PROMO's prompt stage on a frozen two-tower base (paper §4.1-4.3) and its variants (§5.5-5.6).

For an example (u, i), each line one function or layer:
    v_ui = alpha CR_ui + beta IR_ui; Pos_i = top k+1 users by v (Eq. 4)  transforms/pinnacle_value.pinnacle_value,
                                                                           transforms/pinnacle.rank_pinnacle_users (Transform)
    donor(i) = argmax_{b warm} Eq. 5 on the base's item vectors           promo_layers.PseudoPinnacleDonors
    Pos_i without u, then donor(i)'s list; Neg_i without u (§4.1.1)       promo_layers.PinnacleLists
    S_i^pos, S_i^neg = the base's user-id embeddings of those users       PromoModel.user_id_embeddings
    e_i^{p_n} = W_i^{p_n} // b_i^{p_n}; h_l = sigma(... W h_0 + b) (Eq. 6-7)  prompt_network.PersonalizedPromptNetwork
    means over the lists' real slots (Eq. 10's (1/k) sum S_i^pos)         promo_layers.slot_mean
    e_i^final = [h_i ; MLP(h_i, (1/k) sum S_i^pos, mean h_l^pos)] (Eq. 10) promo_layers.final_item_embedding (fusion_mlp)
    y_ui = [e_u ; e_u] . e_i^final (score_fusion="tower"), or [e_u ; E(u)] . e_i^final ("tower_id": the MLP half
           meets the user's id embedding, the space pinnacle users live in)  PromoModel.user_embedding
    L_rec (Eq. 3), L_pfpe (Eq. 8-9), L_pape (Eq. 11-12)                   promo_losses.recommendation_loss / pfpe_loss / pape_loss
    L = L_rec + lambda1 L_pfpe + lambda2 L_pape (Eq. 13)                   promo_losses.promo_loss, returned by PromoModel.compute_loss
The MLP's last layer starts at zero, so training starts from the pre-trained model's scores. ``PromoModel`` is a
``tfrs.models.Model``: Keras' fit trains it on ``compute_loss`` (Eq. 13), which also updates the ``rec``, ``pfpe``,
``pape`` (means over the epoch) and ``auc`` metrics, the logged numbers (TFRS's last-batch ``loss`` is not logged:
trainer/epoch_logs.py). Only the prompt tables and the MLP train; the base is frozen.

Variants (trainer/variants.PromptVariant, ``PromoConfig.prompt_variant``): ``promo_m`` one shared prompt network
(``shared_network``); ``promo_t`` no prompt network (no ``information``: the mean of S_i^pos is a plain input of the
MLP); ``promo_i`` / ``promo_f`` / ``promo_if`` the prompt information is the item's id embedding / feature embedding
/ both instead of pinnacle users (``item_sources``; no L_pfpe, which needs pinnacle and negative lists).
Unknown items (the OOV row) use their pseudo-pinnacle donor's prompt network. Items added by a refresh
(trainer/refresh.py) have table rows after the base vocabulary's: ``new_item_ids`` maps their raw ids to those
rows (``table_rows``); the frozen base still sees them as its OOV item.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional, Tuple

import tensorflow as tf
import tensorflow_recommenders as tfrs
from tensorflow import keras

from trainer.base_model import ITEM_EMBEDDING, USER_EMBEDDING, USER_INPUTS
from trainer.baselines.common import BaselineConfig
from trainer.item_tables import ItemTables, added_item_rows, table_rows
from trainer.prompt_network import PersonalizedPromptNetwork, row_width
from trainer.promo_layers import PinnacleLists, PseudoPinnacleDonors, final_item_embedding, fusion_mlp, slot_mean
from trainer.promo_losses import pape_loss, pfpe_loss, pfpe_rows, promo_loss, recommendation_loss
from trainer.variants import ITEM_FEATURES, ITEM_ID, PAPER_VARIANTS, PromptVariant, VARIANTS
from trainer.epoch_logs import EpochMeanLogs
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
    # initial cold offset c0 (Eq. LS-3); the ranking terms' weights: lambda of the BPR term L_rank (Eq. LS-5) and
    # lambda_c of the whole-catalogue softmax L_cat at temperature rank_temperature (Eq. LS-5c; 0: not computed),
    # and the weight of cold positives in both. The initial gate is the learning-free point chosen on ML-100K's eval
    # split, rank_weight and cold_weight the trained ones (docs/cold-start-quality.md). L_cat is off by default: chosen
    # on eval (lambda_c 4, cold_weight 16, no BPR; 3 seeds within noise of the BPR default there) it did not hold on
    # test, where it ranked cold items lower at the same all-target HR@10 (docs/model.md, "How the ranking term
    # was chosen").
    liker_rank: int = 32
    gate_all: float = 30.0
    gate_cold: float = 20.0
    gate_shift: float = 10.0
    offset_cold: float = 1.0
    rank_weight: float = 16.0
    cold_weight: float = 8.0
    catalogue_weight: float = 0.0
    rank_temperature: float = 0.2
    # The exported model's operating points (Eq. LS-6): how much of the liker-space term the served score keeps.
    # cold_exposure serves every signature; cold_first_exposure a second recommend signature, recommend_cold_first.
    # Training always uses 1. Chosen on ML-100K's eval split, 3 seeds (benchmarks/results/frontier-ml-100k-eval.md):
    # the default is the largest exposure whose whole-catalogue all-target HR@10 is within 0.5 of the best one's
    # (0.1: 20.9 against 21.1 at 0.05, with cold HR@10 10.6 against 8.2); cold-first, the one with the highest
    # whole-catalogue cold-target HR@10 (0.7: 14.5, all-target 12.5).
    cold_exposure: float = 0.1
    cold_first_exposure: float = 0.7
    # Refuse to build prompt tables whose training footprint (weights + two Adam moments, float32) exceeds this;
    # see benchmarks/prompt_tables.py for the per-item size and docs/scaling.md ("Scaling limits") for what to do instead.
    max_prompt_table_gib: float = 8.0

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; choose from {', '.join(VARIANTS)}")
        if self.score_fusion not in ("tower", "tower_id"):
            raise ValueError(f"score_fusion must be 'tower' or 'tower_id', got {self.score_fusion!r}")

    @property
    def prompt_variant(self) -> PromptVariant:
        """What the paper variant ``variant`` feeds its prompt network (trainer/variants.py)."""
        if self.variant not in PAPER_VARIANTS:
            raise ValueError(f"{self.variant!r} is not one of the paper's PROMO variants ({', '.join(PAPER_VARIANTS)})")
        return PAPER_VARIANTS[self.variant]

    @classmethod
    def from_custom_config(cls, custom_config: Optional[Dict[str, Any]]) -> "PromoConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in (custom_config or {}).items() if k in known}
        if "prompt_dims" in values:
            values["prompt_dims"] = tuple(values["prompt_dims"])
        return cls(**values)


@dataclasses.dataclass
class PromptOutputs:
    """One batch's item side (Eq. 10) and what the losses need of it (L_pfpe: pinnacle prompts only)."""

    item_embedding: tf.Tensor  # [B, 2d] e_i^final
    logits: Optional[tf.Tensor] = None  # [B] y_ui, when the batch names its users
    prompt_rows: Optional[tf.Tensor] = None  # [B] the row of the prompt network each example uses
    h_pos: Optional[tf.Tensor] = None  # [B, k, d'] the prompt network's outputs for S_i^pos
    pos_mask: Optional[tf.Tensor] = None
    neg_users: Optional[tf.Tensor] = None  # [B, k] Neg_i + 1 (their prompt outputs: L_pfpe only)
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


class PromoModel(EpochMeanLogs, tfrs.models.Model):
    """The prompt-tuned model: transformed features in, one logit per example out (see module docstring)."""

    def __init__(self, base: keras.Model, tables: ItemTables, config: PromoConfig, new_item_ids=(), **kwargs):
        super().__init__(name=f"{config.variant}_model", **kwargs)
        self.config = config
        self.variant = config.prompt_variant
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
        self.pinnacle_lists = PinnacleLists(tables.pinnacle, tables.negatives, name="pinnacle_lists")
        self.item_features = tf.Variable(tables.features, trainable=False, name="item_feature_table")  # recommend's index
        self.donors = PseudoPinnacleDonors(self._item_vectors, tables.features, tables.is_cold, self.oov_row, name="pseudo_pinnacle_donors")
        embedding_dim = self.user_id_embedding.output_dim
        if self.variant.has_prompt_network:
            n_rows = self.variant.prompt_rows(n_items)
            check_prompt_table_size(n_rows, embedding_dim, config)
            self.prompt_network = PersonalizedPromptNetwork(
                n_rows, embedding_dim, config.prompt_dims, config.activation, config.seed, name="prompt_network"
            )
        self.fusion = fusion_mlp(config.fusion_hidden, self.item_tower.output_shape[-1] if config.score_fusion == "tower" else embedding_dim)
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in ("rec", "pfpe", "pape")}
        self.auc = keras.metrics.AUC(from_logits=True, name="auc")

    def _item_vectors(self, item_index: tf.Tensor, item_feature_indices: tf.Tensor) -> tf.Tensor:
        return self.item_tower({F.ITEM_INDEX: item_index, F.ITEM_FEATURE_INDICES: item_feature_indices})

    def table_rows(self, item_ids: tf.Tensor, item_index: tf.Tensor) -> tf.Tensor:
        """ITEM_ROW of raw ``item_ids`` (trainer/item_tables.py: table_rows)."""
        return table_rows(self.new_item_rows, item_ids, item_index)

    def user_id_embeddings(self, users_plus_one: tf.Tensor) -> tf.Tensor:
        """S_i^pos / S_i^neg (§4.1.1): the frozen base's user-id embeddings of list entries (user index + 1; 0 = none)."""
        return self.user_id_embedding(tf.maximum(users_plus_one - 1, 0))

    def item_prompt_information(self, features) -> tf.Tensor:
        """h_0 [B, sources, d] of PROMO-I/-F/-IF (§5.5): the item's id embedding and/or its feature-bag embedding."""
        embed = {ITEM_ID: lambda: self.item_id_embedding(features[F.ITEM_INDEX]),
                 ITEM_FEATURES: lambda: self.item_feature_bag(features[F.ITEM_FEATURE_INDICES])}
        return tf.stack([embed[source]() for source in self.variant.item_sources], axis=1)

    # --- the two sides of the score ---------------------------------------------------------------------------
    def user_embedding(self, features) -> tf.Tensor:
        """The user side [e_u ; e_u or E(u)]: its inner product with ``item_embedding`` is the logit."""
        user_vector = self.user_tower({n: features[n] for n in USER_INPUTS})
        user_half = user_vector if self.config.score_fusion == "tower" else self.user_id_embedding(features[F.USER_INDEX])
        return tf.concat([user_vector, user_half], axis=1)

    def item_embedding(self, features) -> tf.Tensor:
        """The item side e_i^final with no user removed from the pinnacle list (for an ANN index)."""
        return self.prompt_outputs(features).item_embedding

    def prompt_outputs(self, features) -> PromptOutputs:
        """The item side of a batch, its logits and what the losses need. Without USER_INDEX in ``features`` no user
        is removed from the pinnacle lists and the logits are not computed."""
        item_vector = self._item_vectors(features[F.ITEM_INDEX], features[F.ITEM_FEATURE_INDICES])
        item_rows = features.get(F.ITEM_ROW, features[F.ITEM_INDEX])
        users_plus_one = features[F.USER_INDEX] + 1 if F.USER_INDEX in features else tf.zeros_like(item_rows)
        donors = self.donors(item_rows, item_vector)
        out = PromptOutputs(item_embedding=None)
        parts = []
        if self.variant.pinnacle_in_fusion:
            pos_users, out.pos_mask = self.pinnacle_lists(item_rows, donors, users_plus_one)
            pos_embeddings = self.user_id_embeddings(pos_users)
            parts.append(slot_mean(pos_embeddings, out.pos_mask))
        if self.variant.has_prompt_network:
            out.prompt_rows = tf.where(tf.equal(item_rows, self.oov_row), donors, item_rows)  # unknown items: the donor's
            if self.variant.shared_network:
                out.prompt_rows = tf.zeros_like(out.prompt_rows)
            if self.variant.pinnacle_prompts:
                out.neg_users, out.neg_mask = self.pinnacle_lists.negatives(item_rows, users_plus_one)
                out.h_pos = self.prompt_network((out.prompt_rows, pos_embeddings))
                parts.append(slot_mean(out.h_pos, out.pos_mask))
            else:
                h0 = self.item_prompt_information(features)
                parts += [slot_mean(h0), slot_mean(self.prompt_network((out.prompt_rows, h0)))]
        out.item_embedding = final_item_embedding(self.fusion, item_vector, parts)
        if F.USER_INDEX in features:
            out.logits = tf.reduce_sum(self.user_embedding(features) * out.item_embedding, axis=1)
        return out

    def call(self, features, training=False):
        return self.prompt_outputs(features).logits

    # --- Eq. 13 ---------------------------------------------------------------------------------------------
    def pfpe(self, out: PromptOutputs, item_rows: tf.Tensor) -> tf.Tensor:
        """L_pfpe (Eq. 8-9) of a batch, once per distinct item (``pfpe_rows``); 0 for variants without pinnacle prompts."""
        if not self.variant.pinnacle_prompts:
            return tf.constant(0.0)
        rows = pfpe_rows(item_rows, self.config.pfpe_items)
        h_neg = self.prompt_network((tf.gather(out.prompt_rows, rows), self.user_id_embeddings(tf.gather(out.neg_users, rows))))
        return pfpe_loss(
            tf.gather(out.h_pos, rows), h_neg, tf.gather(out.pos_mask, rows), tf.gather(out.neg_mask, rows), self.config.pfpe_reduction
        )

    def compute_loss(self, inputs, training=False) -> tf.Tensor:
        """Eq. 13 on a (features, labels) batch; updates the rec/pfpe/pape means and the AUC."""
        features, labels = inputs
        out = self.prompt_outputs(features)
        rec = recommendation_loss(out.logits, labels)
        pfpe = self.pfpe(out, features.get(F.ITEM_ROW, features[F.ITEM_INDEX]))
        pape = pape_loss(out.logits, labels, features[F.IS_COLD], self.config.pape_reduction)
        for name, value in (("rec", rec), ("pfpe", pfpe), ("pape", pape)):
            self.loss_trackers[name].update_state(value)
        self.auc.update_state(tf.reshape(labels, [-1]), out.logits)
        return promo_loss(rec, pfpe, pape, self.config.lambda1, self.config.lambda2)

    @property
    def metrics(self):
        return list(self.loss_trackers.values()) + [self.auc]
