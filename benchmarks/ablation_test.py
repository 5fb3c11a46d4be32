"""benchmarks/ablation.py on a hand-made two-seed run."""
from benchmarks import ablation


def _runs(*hr_ndcg):
    return [{"cold": {"HR@10": hr, "NDCG@10": ndcg}} for hr, ndcg in hr_ndcg]


def test_rows_put_the_papers_numbers_beside_the_mean_and_std_over_seeds():
    results = {
        "promo_t": {"sampled": _runs((0.30, 0.10), (0.40, 0.20)), "cold_sampled": _runs((0.5, 0.3), (0.5, 0.3))},
        "promo_ls": {"sampled": _runs((0.5, 0.3), (0.7, 0.3)), "cold_sampled": _runs((0.6, 0.4), (0.6, 0.4))},
        "random": {"sampled": _runs((0.1, 0.05), (0.1, 0.05)), "cold_sampled": _runs((0.1, 0.05), (0.1, 0.05))},
    }
    rows = ablation.ablation_rows(results)
    assert rows == [
        ["`promo_t`", "PROMO-T (no prompt network)", "Table 4", "28.7 / 14.6", "35.0 ± 7.1 / 15.0 ± 7.1", "50.0 ± 0.0 / 30.0 ± 0.0"],
        ["`promo_ls`", "PROMO-LS (ours, not in the paper)", "-", "–", "60.0 ± 14.1 / 30.0 ± 0.0", "60.0 ± 0.0 / 40.0 ± 0.0"],
    ]  # rows in the paper's order, models that are not variants (random) left out
