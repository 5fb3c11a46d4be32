"""The models the prompt-stage Trainer can produce (no TensorFlow import: command-line parsers use it)."""
import dataclasses
from typing import Tuple

PINNACLE = "pinnacle"  # prompt information: the item's pinnacle users (paper §4.1.1)
ITEM_ID, ITEM_FEATURES = "item_id", "item_features"  # prompt information: the item's own embeddings (§5.5)


@dataclasses.dataclass(frozen=True)
class PromptVariant:
    """What a variant of the paper's PROMO feeds its prompt network, and how many networks it has (§5.5-5.6).

    ``information``: the prompt information h_0 of Eq. 7, any of PINNACLE (S_i^pos, PROMO), ITEM_ID and
    ITEM_FEATURES (the item's id / feature embeddings, PROMO-I/-F/-IF); empty: no prompt network, the mean pinnacle
    embedding is a plain input of Eq. 10's MLP (PROMO-T). ``shared_network``: one prompt network, a table of one row,
    for every item (PROMO-M). trainer/promo_model.py reads only these fields and the properties below.
    """

    information: Tuple[str, ...] = (PINNACLE,)
    shared_network: bool = False

    @property
    def has_prompt_network(self) -> bool:
        """Eq. 6-7 exist (every variant but PROMO-T)."""
        return bool(self.information)

    @property
    def pinnacle_prompts(self) -> bool:
        """The pinnacle users pass through the prompt network, so L_pfpe (Eq. 8-9) applies (PROMO, PROMO-M)."""
        return PINNACLE in self.information

    @property
    def pinnacle_in_fusion(self) -> bool:
        """The mean pinnacle embedding (1/k sum S_i^pos) is an input of Eq. 10's MLP (PROMO, PROMO-M, PROMO-T)."""
        return self.pinnacle_prompts or not self.information

    @property
    def item_sources(self) -> Tuple[str, ...]:
        """The item's own embeddings fed to the prompt network instead of pinnacle users (PROMO-I/-F/-IF)."""
        return tuple(source for source in self.information if source != PINNACLE)

    def prompt_rows(self, n_items: int) -> int:
        """Rows of the prompt network's tables (Eq. 6): one per item, or one shared row."""
        return 1 if self.shared_network else n_items


# The paper's PROMO and its variants (§5.5-5.6).
PAPER_VARIANTS = {
    "promo": PromptVariant(),
    "promo_m": PromptVariant(shared_network=True),
    "promo_t": PromptVariant(information=()),
    "promo_i": PromptVariant(information=(ITEM_ID,)),
    "promo_f": PromptVariant(information=(ITEM_FEATURES,)),
    "promo_if": PromptVariant(information=(ITEM_ID, ITEM_FEATURES)),
}
# What each PROMO variant feeds its prompt network; None: no prompt network (PROMO-T).
PROMPT_INFORMATION = {name: "+".join(v.information) or None for name, v in PAPER_VARIANTS.items()}
# PROMO-LS (trainer/promo_ls.py): pinnacle users and the scored user in the liker space.
LIKER_SPACE = "promo_ls"
# What the pipeline trains and pushes unless told otherwise (local_runner.py, kubeflow_v2_runner.py).
DEFAULT_VARIANT = LIKER_SPACE
# Learned cold-start baselines on the frozen base (trainer/baselines/).
BASELINES = ("dropoutnet", "content_mapper", "aldi")
# The base as pre-trained, the base fine-tuned, PROMO's variants, PROMO-LS and the learned baselines.
VARIANTS = ("pretrain", "finetune") + tuple(PROMPT_INFORMATION) + (LIKER_SPACE,) + BASELINES
