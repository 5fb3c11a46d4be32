"""Learned cold-start baselines on our base, split and protocol (issue #14): DropoutNet (``--variant dropoutnet``),
a content-to-collaborative mapper (``content_mapper``) and ALDI (``aldi``). Each is a model on the frozen
pre-trained base that the prompt-stage Trainer trains with its own loop on the same transformed examples
(trainer/promo_task.py) and exports with the same signatures (trainer/export.py); settings: ``BaselineConfig``
(trainer/baselines/common.py), part of PromoConfig. New items need no refresh: they are served through their
content, as every cold item is."""
from __future__ import annotations

from trainer.baselines.aldi import Aldi, aldi_item_weights
from trainer.baselines.content_mapper import ContentMapper
from trainer.baselines.dropoutnet import DropoutNet


def build_baseline(base, tables, config, positives):
    """The untrained model of the baseline ``config.variant`` on ``base`` (loaded from the base Trainer) with the
    per-item ``tables`` (trainer/item_tables.py) and the training ``positives`` (users, items) ALDI weighs items by."""
    if config.variant == "aldi":
        return Aldi(base, tables, config, aldi_item_weights(*positives, len(tables.is_cold), config))
    return {"dropoutnet": DropoutNet, "content_mapper": ContentMapper}[config.variant](base, tables, config)
