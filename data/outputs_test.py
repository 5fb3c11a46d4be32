"""data/outputs.py: the output lock, owner tags of staging folders, output-path checks and folder permissions."""
import json
import os
import signal
import subprocess
import sys

import pytest

from data.errors import DataError, OutputBusy
from data.outputs import (
    check_output_folder, exclusive, folder_lock, make_staging_folder, owner_alive, owner_tag, remove_leftover,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A child that takes the lock, says so, and holds it until killed (a run in progress).
HOLDER = r"""
import sys, time
from data.outputs import exclusive
with exclusive(sys.argv[1], "the-folder", "--out"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def holder(tmp_path):
    """Starts HOLDER on ``tmp_path/x.lock``; yields the process once it holds the lock; kills it at the end."""
    lock = str(tmp_path / "x.lock")
    child = subprocess.Popen([sys.executable, "-c", HOLDER, lock], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    yield lock, child
    child.kill()
    child.wait()


def test_a_second_process_is_refused_naming_the_holder_and_a_killed_holder_releases_the_lock(holder):
    lock, child = holder
    with pytest.raises(OutputBusy) as refused:
        with exclusive(lock, "the-folder", "--out"):
            pass
    message = str(refused.value)
    assert f"pid {child.pid}, `-c {lock}`, since " in message and "choose another --out" in message
    child.send_signal(signal.SIGKILL)  # the OS releases a killed holder's lock
    child.wait()
    with exclusive(lock, "the-folder", "--out"):
        assert json.load(open(lock))["pid"] == os.getpid()  # the record names the new holder


def test_the_lock_is_reentrant_in_one_process_and_released_after_the_outermost_block(tmp_path):
    lock = str(tmp_path / "x.lock")
    with exclusive(lock, "f", "--out"):
        with exclusive(lock, "f", "--out"):
            pass
        probe = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(600)", "pass"), lock], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 1 and "OutputBusy" in probe.stderr  # still held after the inner block
    probe = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(600)", "pass"), lock], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0 and probe.stdout.strip() == "held"


def test_the_lock_of_a_folder_lies_beside_it_and_follows_a_link_to_its_target(tmp_path):
    (tmp_path / "target").mkdir()
    os.symlink(tmp_path / "target", tmp_path / "link")
    assert folder_lock(str(tmp_path / "link")) == folder_lock(str(tmp_path / "target")) == str(tmp_path / ".target.lock")


def test_owner_tags_tell_a_running_writer_from_a_dead_one(tmp_path):
    child = subprocess.Popen(["sleep", "60"])
    try:
        live = f".prepare-x.new{owner_tag(child.pid)}abc"
        assert owner_alive(live)
    finally:
        child.kill()
        child.wait()
    assert not owner_alive(live)  # gone
    assert not owner_alive(f".prepare-x.new{owner_tag()}abc")  # this process: not another live writer
    assert not owner_alive(".prepare-x.new-abc123")  # untagged (written before tags existed)
    assert not owner_alive(f".prepare-x.new-p{child.pid}s1-abc")  # same pid, another start time: pid reused


def test_a_leftover_link_is_removed_as_a_link_and_its_target_kept(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "keep.txt").write_text("data")
    os.symlink(tmp_path / "target", tmp_path / ".prepare-x.old-1")
    remove_leftover(str(tmp_path / ".prepare-x.old-1"))
    assert not os.path.lexists(tmp_path / ".prepare-x.old-1")
    assert (tmp_path / "target" / "keep.txt").read_text() == "data"


def test_an_output_path_that_is_or_lies_below_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="--out is a file, not a folder"):
        check_output_folder(str(tmp_path / "file"), "--out")
    with pytest.raises(DataError, match=r"--output-root lies below .*file, which is a file"):
        check_output_folder(str(tmp_path / "file" / "a" / "b"), "--output-root")
    check_output_folder(str(tmp_path / "new" / "deeper"), "--out")  # absent folders are fine


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o002, 0o775), (0o077, 0o700)])
def test_staging_folders_get_the_umasks_permissions_and_an_owner_tag(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        folder = make_staging_folder(str(tmp_path), ".prepare-x.new")
    finally:
        os.umask(old)
    assert os.stat(folder).st_mode & 0o777 == mode
    assert os.path.basename(folder).startswith(f".prepare-x.new{owner_tag()}")
