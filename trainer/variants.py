"""The models the prompt-stage Trainer can produce (no TensorFlow import: command-line parsers use it)."""

# What each PROMO variant feeds its prompt network (paper §5.5-5.6); None: no prompt network (PROMO-T).
PROMPT_INFORMATION = {
    "promo": "pinnacle", "promo_m": "pinnacle", "promo_t": None,
    "promo_i": "item_id", "promo_f": "item_features", "promo_if": "item_id+item_features",
}
# The base as pre-trained, the base fine-tuned, and PROMO's variants.
VARIANTS = ("pretrain", "finetune") + tuple(PROMPT_INFORMATION)
