"""The paper's ranking evaluation (§5.2): candidates, HR@K / NDCG@K, baselines and model scoring."""
