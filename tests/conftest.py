"""The synthetic pipeline run shared by every end-to-end test (one run per test session, whatever the number of
pytest-xdist workers).

The run starts in the background as soon as collection shows a test that needs it, so that it overlaps the unit
tests; the ``run`` fixture waits for it. The same command then runs a second time, as a user reruns it (everything
from the cache; its timings are what test_pipeline_e2e checks), before the fixture hands the root out. pytest-xdist runs each worker as a session of its own, so the run lives
in the folder the workers share (the parent of each worker's base temp folder) and is started once, under a lock
(pytest-xdist's recipe for session fixtures; ``fcntl`` instead of the ``filelock`` package it suggests: POSIX only,
like the pipeline's local runner). Tests never change the run: ``copy_run`` gives a copy to change.
"""
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_ARGS = ["--dataset", "synthetic", "--epochs", "3", "--beam-workers", "1"]
RUN_FIXTURE = "run"
STATUS = "exit-status"  # written by the background script when it ends: its exit code
FIRST_TIMINGS = "timings-first-run.json"  # the first run's timings-synthetic.json (the second run overwrites it)
_started = []  # the background run started by this process (kept referenced; it ends on its own)


def _shared_folder(tmp_path_factory) -> str:
    base = tmp_path_factory.getbasetemp()
    return str(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


@contextlib.contextmanager
def _locked(path: str):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_shared_run(folder: str) -> str:
    """Starts `python local_runner.py RUN_ARGS --output-root <folder>/promo-run` in the background, then the same
    command again (once per session: a second call finds it started); their output goes to run.out / run.err and
    rerun.out / rerun.err in that root."""
    root = os.path.join(folder, "promo-run")
    with _locked(os.path.join(folder, "promo-run.lock")):
        if not os.path.exists(root):
            os.makedirs(root)
            command = [sys.executable, os.path.join(REPO, "local_runner.py")] + RUN_ARGS + ["--output-root", root]
            script = (
                f'R="$RUN_ROOT"; "$@" > "$R/run.out" 2> "$R/run.err" && cp "$R/timings-synthetic.json" "$R/{FIRST_TIMINGS}" && '
                f'"$@" > "$R/rerun.out" 2> "$R/rerun.err"; echo $? > "$R/{STATUS}"'
            )
            # In pytest's process group: Ctrl-C stops it too (it exits 130, as local_runner.py does).
            _started.append(subprocess.Popen(["sh", "-c", script, "sh", *command], cwd=REPO, env={**os.environ, "RUN_ROOT": root}))
    return root


# Scheduling (pytest-xdist, --dist loadfile --no-loadscope-reorder hands out whole modules in collection order;
# without that option it hands out the modules with the most tests first): the modules marked
# own_pipeline_runs start their own pipeline runs and go first, so that they overlap the unit tests; the modules
# that need the shared run go last, so that no worker waits for it while unit tests are left.
OWN_RUNS_MARK = "own_pipeline_runs"


def _module_rank(items) -> int:
    if any(item.get_closest_marker(OWN_RUNS_MARK) for item in items):
        return 0
    return 2 if any(RUN_FIXTURE in getattr(item, "fixturenames", ()) for item in items) else 1


def pytest_collection_modifyitems(session, config, items):
    modules = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    ranked = sorted(modules.values(), key=_module_rank)  # stable: directory order within a rank
    items[:] = [item for module in ranked for item in module]


def pytest_collection_finish(session):
    # config._tmp_path_factory: the object behind the tmp_path_factory fixture, which hooks cannot request.
    if session.config.option.collectonly:
        return
    if any(RUN_FIXTURE in getattr(item, "fixturenames", ()) for item in session.items):
        _start_shared_run(_shared_folder(session.config._tmp_path_factory))


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The output root of `python local_runner.py --dataset synthetic --epochs 3 --beam-workers 1`, run in a
    process of its own as a user runs it. Read it; copy it before changing it."""
    root = _start_shared_run(_shared_folder(tmp_path_factory))
    status = os.path.join(root, STATUS)
    while not os.path.exists(status) or not open(status).read().strip():
        time.sleep(1)
    code = int(open(status).read())
    errors = "".join(open(os.path.join(root, f)).read() for f in ("run.err", "rerun.err") if os.path.exists(os.path.join(root, f)))
    assert code == 0, f"the shared pipeline run exited with {code}:\n{errors[-5000:]}"
    return root


@pytest.fixture(scope="session")
def run_timings(run):
    """The timings-synthetic.json of the shared run's first and second run."""
    return tuple(json.load(open(os.path.join(run, name))) for name in (FIRST_TIMINGS, "timings-synthetic.json"))


@pytest.fixture(scope="session")
def copy_run(run, tmp_path_factory):
    """A function giving a copy of the shared run to change (a new temporary folder). The copy's ML
    Metadata names the copy's own artifacts (their URIs are absolute paths, rewritten as local_runner.py and a
    refresh rewrite a moved root's: pipeline/relocation.py), so that what a test changes in it stays in it. A
    pipeline rerun in a copy does not reuse the run's cache: ImportExampleGen's input folder, which is under the
    output root, is part of its cache key."""
    from pipeline.relocation import relocate

    def copy(name: str = "run-copy") -> str:
        root = str(tmp_path_factory.mktemp(name) / "run")
        shutil.copytree(run, root)
        assert relocate(root) > 0
        return root

    return copy
