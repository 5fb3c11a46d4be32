"""The synthetic pipeline run shared by every end-to-end test module (one run per test session)."""
import os
import subprocess
import sys

import pytest

@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The output root of `python local_runner.py --dataset synthetic --epochs 3 --beam-workers 1`."""
    root = str(tmp_path_factory.mktemp("promo-run"))
    run_in_own_process(["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1", "--output-root", root])
    return root


def run_in_own_process(args):
    """`python local_runner.py ARGS` as a user runs it: in a fresh process."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, os.path.join(repo, "local_runner.py")] + args, cwd=repo, check=True)
