"""The paper's claimed ML-100K numbers (cold targets, x100), quoted beside ours by the benchmarks.

They come from the paper's leaky protocol (pinnacle lists holding the scored user) and are not reproduced by the
paper's own code (docs/cold-start-quality.md).
"""

# Table 2: HR@5, HR@10, NDCG@5, NDCG@10
TABLE2_ML100K_COLD = {
    "Pre-train (paper)": (14.6, 26.2, 9.3, 13.3),
    "Fine-tune (paper)": (17.4, 28.2, 10.7, 14.2),
    "DSSM (paper)": (16.4, 29.1, 10.7, 15.1),
    "DropoutNet (paper)": (16.1, 28.6, 10.2, 14.2),
    "CB2CF (paper)": (15.7, 26.4, 9.9, 13.1),
    "PROMO (paper)": (33.7, 43.3, 25.5, 28.6),
}

# Tables 3 (prompt information) and 4 (prompt network): HR@10, NDCG@10
ABLATIONS_ML100K_COLD = {
    "promo_i": (34.8, 18.3),
    "promo_f": (35.1, 17.6),
    "promo_if": (35.7, 18.7),
    "promo_m": (35.7, 22.9),
    "promo_t": (28.7, 14.6),
}
