"""The models the prompt-stage Trainer can produce (no TensorFlow import: command-line parsers use it)."""

# What each PROMO variant feeds its prompt network (paper §5.5-5.6); None: no prompt network (PROMO-T).
PROMPT_INFORMATION = {
    "promo": "pinnacle", "promo_m": "pinnacle", "promo_t": None,
    "promo_i": "item_id", "promo_f": "item_features", "promo_if": "item_id+item_features",
}
# PROMO-LS (trainer/promo_ls.py): pinnacle users and the scored user in the liker space.
LIKER_SPACE = "promo_ls"
# What the pipeline trains and pushes unless told otherwise (local_runner.py, kubeflow_v2_runner.py).
DEFAULT_VARIANT = LIKER_SPACE
# Learned cold-start baselines on the frozen base (trainer/baselines/).
BASELINES = ("dropoutnet", "content_mapper", "aldi")
# The base as pre-trained, the base fine-tuned, PROMO's variants, PROMO-LS and the learned baselines.
VARIANTS = ("pretrain", "finetune") + tuple(PROMPT_INFORMATION) + (LIKER_SPACE,) + BASELINES
