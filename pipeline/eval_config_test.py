"""The Evaluator's TFMA config ranks the ranking eval set's cases as evaluation/metrics.py does (what
benchmarks.quality reports): TFMA run in-process on the listwise queries data/tfrecords.py writes (one example per
query: its candidates' labels, and here the percentile ranks rank_tf_example gives of known logits), no pipeline."""
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import tensorflow_model_analysis as tfma

from data.examples import QUERY_ID, QUERY_IS_COLD, build_ranking_examples
from data.splits import leave_one_out
from data.tfrecords import ranking_queries
from data.synthetic import generate
from evaluation.metrics import rank_of_positive, ranking_metrics
from pipeline import configs
from pipeline.pipeline import eval_config
from trainer.export import percentile_ranks
from transforms import features as F


def test_tfma_ndcg_and_min_label_position_equal_evaluation_metrics_overall_and_by_query_cold_flag(tmp_path):
    log = generate(n_users=80, n_items=60, n_interactions=3000, seed=4)
    rows = build_ranking_examples(log, leave_one_out(log.interactions), n_negatives=30, seed=0)
    rows = rows.drop(rows.index[rows[QUERY_ID] == 0][-5:])  # a short query: padded to the others' length
    rows["logit"] = 30 + np.random.default_rng(0).random(len(rows)) + 0.4 * rows["label"]  # no ties; sigmoid would tie
    config = eval_config()
    del config.model_specs[:]
    config.model_specs.add(label_key="label", prediction_key="score")  # these scores in place of a model's
    # What TFX's Evaluator does without a baseline model: change thresholds dropped.
    config = tfma.utils.update_eval_config_with_defaults(config, has_baseline=False, rubber_stamp=True)
    lists = pd.DataFrame(ranking_queries(rows))
    logits = [list(group) + [0.0] * (31 - len(group)) for _, group in rows.groupby(QUERY_ID, sort=True)["logit"]]
    candidate = np.array([[item != F.PAD_ITEM for item in items] for items in lists["item_id"]])
    lists["score"] = list(percentile_ranks(tf.constant(logits, tf.float32), tf.constant(candidate)).numpy())
    assert (lists["label"].map(len) == 31).all()  # each query one example, its candidates' labels and scores as lists
    assert lists["item_id"][0][-5:] == [F.PAD_ITEM] * 5 and (lists["score"][0][-5:] == 0).all()  # padded places
    rows["score"] = np.concatenate([scores[kept] for scores, kept in zip(lists["score"], candidate)])
    result = tfma.analyze_raw_data(lists[["label", "score", QUERY_ID, QUERY_IS_COLD]], config, str(tmp_path))
    got = {tuple(key): metrics[""] for key, metrics in result.slicing_metrics}

    queries = rows.groupby(QUERY_ID)
    ranks = queries.apply(lambda q: rank_of_positive(q["score"][q["label"] == 1].iloc[0], q["score"][q["label"] == 0].to_numpy()))
    cold = queries[QUERY_IS_COLD].first()
    k = configs.RANKING_CUTOFF
    assert (ranks <= k).any() and (ranks > k).any() and 0 < cold.mean() < 1
    for key, chosen in [((), cold >= 0), (((QUERY_IS_COLD, 1),), cold == 1), (((QUERY_IS_COLD, 0),), cold == 0)]:
        expected = ranking_metrics(ranks[chosen].to_numpy(), cutoffs=(k,))
        assert got[key][f"topK:{k}"]["ndcg"]["doubleValue"] == pytest.approx(expected[f"NDCG@{k}"], abs=1e-12), key
        assert got[key][""]["min_label_position"]["doubleValue"] == pytest.approx(ranks[chosen].mean(), abs=1e-12), key
        assert got[key][""]["example_count"]["doubleValue"] == chosen.sum()  # queries
    # AUC over every (candidate, label) pair of the percentile ranks (padded places: negatives scored 0) is each
    # query's AUC averaged, exactly so for untied queries of one length (docs/evaluator.md); the padded query and
    # TFMA's 10,000 thresholds move it a little.
    flat = np.concatenate(lists["score"])
    positive = np.concatenate(lists["label"]) == 1
    above = flat[positive][:, None] - flat[~positive][None, :]
    pairwise = (above > 0).mean() + (above == 0).mean() / 2  # ties (other queries' same places) count half
    per_query = (1 - (ranks - 1) / (queries.size() - 1)).mean()
    assert got[()][""]["auc"]["doubleValue"] == pytest.approx(pairwise, abs=1e-3)
    assert pairwise == pytest.approx(per_query, abs=0.01)
