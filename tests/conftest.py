"""The synthetic pipeline run shared by every end-to-end test module (one run per test session)."""
import os
import subprocess
import sys

import pytest

@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The output root of `python local_runner.py --dataset synthetic --epochs 3 --beam-workers 1`, with what it
    printed in stdout.txt and stderr.txt there."""
    root = str(tmp_path_factory.mktemp("promo-run"))
    run_in_own_process(["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1", "--output-root", root])
    return root


def run_in_own_process(args):
    """`python local_runner.py ARGS` as a user runs it: in a fresh process, its stdout and stderr written to
    stdout.txt and stderr.txt in its --output-root; if it fails, the tail of its stderr is printed."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    output_dir = args[args.index("--output-root") + 1]
    with open(os.path.join(output_dir, "stdout.txt"), "w") as out, open(os.path.join(output_dir, "stderr.txt"), "w+") as err:
        try:
            subprocess.run([sys.executable, os.path.join(repo, "local_runner.py")] + args, cwd=repo, check=True,
                           stdout=out, stderr=err)
        except subprocess.CalledProcessError:
            err.seek(0)
            print("".join(err.readlines()[-60:]), file=sys.stderr)
            raise
