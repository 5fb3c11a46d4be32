"""The stand-in pipeline run the baselines' end-to-end tests train on (trainer/baselines/common_test.py)."""
import pytest

from trainer.baselines.common_test import StandInWorkbench


@pytest.fixture(scope="session")
def workbench(tmp_path_factory):
    """(the stand-in Workbench, the directory of its base: trained one epoch and exported as benchmarks.quality does),
    once for every baseline test file of a pytest run."""
    bench = StandInWorkbench(str(tmp_path_factory.mktemp("stand-in-run")))
    return bench, bench.base_dir(seed=0, epochs=1)
