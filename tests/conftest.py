"""The synthetic pipeline run shared by every end-to-end test module (one run per test session)."""
import pytest

import local_runner

@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The output root of `python local_runner.py --dataset synthetic --epochs 3 --beam-workers 1` (one Beam worker:
    Transform's output, and so every metric, is then the same from run to run)."""
    root = str(tmp_path_factory.mktemp("promo-run"))
    assert local_runner.main(["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1", "--output-root", root]) == 0
    return root
