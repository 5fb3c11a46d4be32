"""Writing output folders safely: one writer at a time, staging folders tagged with their owner, readable results.

- :func:`exclusive` takes an advisory ``fcntl.flock`` lock on a lock file. The operating system releases it when
  its holder exits in any way (SIGKILL included), so a killed run never leaves a stale lock. A second process
  is refused at once with :class:`~data.errors.OutputBusy` naming the holder (pid, command, start time):
  waiting silently behind an 8-minute pipeline run is worse than being told. The lock is re-entrant within a
  process (``local_runner.py`` holds its output root's and its data folder's locks for the whole run and calls
  ``data.prepare``, which takes the data folder's lock again).
- :func:`owner_tag` / :func:`owner_alive` tag a staging folder's name with its writer (pid and the process's
  start time, so a reused pid is not mistaken for the writer), so that recovery deletes only what a dead process
  left. Both hold on one host: a lock file on a network filesystem shared by several hosts is not supported.
- :func:`check_output_folder` refuses an output path that cannot be a folder (a file, or a file on its way)
  before any work is done; :func:`make_staging_folder` creates a staging folder readable as the umask allows
  (``tempfile.mkdtemp`` makes it 0700, which other users' TF Serving or pipeline processes cannot read).

Why our own: TFX's local orchestration and Beam's DirectRunner assume one run per pipeline root and metadata
store and offer no lock; the standard library's ``fcntl`` is all this needs.
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from typing import Iterator, Optional, Set

from data.errors import DataError, OutputBusy

_held: Set[str] = set()  # the lock paths this process holds (an inner `with` on one of them is a no-op)
_TAG = re.compile(r"-p(\d+)s(\d+)-")


@contextlib.contextmanager
def exclusive(lock_path: str, folder: str, option: str) -> Iterator[None]:
    """Holds the lock ``lock_path`` (created if missing) guarding ``folder`` for the ``with`` block.

    Raises OutputBusy naming ``folder``, the holder and ``option`` (the command-line flag that chose the folder)
    when another process holds it.
    """
    lock_path = os.path.realpath(lock_path)
    if lock_path in _held:  # re-entered: the outermost block releases it
        yield
        return
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _describe_holder(lock_path)
        os.close(descriptor)
        raise OutputBusy(folder, f"another process is writing here ({holder}); wait for it to end or choose "
                         f"another {option}") from None
    try:
        record = json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv),
                             "started": datetime.datetime.now().isoformat(timespec="seconds")})
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, record.encode(), 0)
        _held.add(lock_path)
        yield
    finally:
        _held.discard(lock_path)
        os.close(descriptor)  # releases the lock


def _describe_holder(lock_path: str) -> str:
    try:
        with open(lock_path) as handle:
            holder = json.load(handle)
        return f"pid {holder['pid']}, `{holder['command']}`, since {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return f"the holder of {lock_path}"


def folder_lock(folder: str) -> str:
    """The lock file guarding the replacement of ``folder`` as a whole: beside it, since the folder itself is
    renamed away when replaced (a lock file inside it would move with it)."""
    real = os.path.realpath(folder)
    return os.path.join(os.path.dirname(real), f".{os.path.basename(real)}.lock")


def root_lock(output_root: str) -> str:
    """The lock file guarding an output root that ``local_runner.py`` and ``trainer.refresh`` write into."""
    return os.path.join(output_root, ".promo-run.lock")


def _start_time(pid: int) -> Optional[int]:
    """The process's start time in clock ticks after boot (field 22 of /proc/PID/stat), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def owner_tag(pid: Optional[int] = None) -> str:
    """A process (this one by default) as a piece of a folder name: ``-p<pid>s<start time>-``."""
    pid = os.getpid() if pid is None else pid
    return f"-p{pid}s{_start_time(pid) or 0}-"


def owner_alive(name: str) -> bool:
    """Whether the process whose :func:`owner_tag` is in ``name`` still runs; False for an untagged name."""
    match = _TAG.search(name)
    if not match:
        return False
    pid, started = int(match.group(1)), int(match.group(2))
    return pid != os.getpid() and _start_time(pid) == started


def remove_leftover(path: str) -> None:
    """Deletes a leftover staging folder, or the link itself when it is a symbolic link."""
    if os.path.islink(path):
        os.unlink(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def check_output_folder(path: str, option: str) -> None:
    """Refuses, naming ``option``, an output ``path`` that is a file or lies below one (it could never be
    created), before any work is done."""
    real = os.path.realpath(path)
    if os.path.exists(real) and not os.path.isdir(real):
        raise DataError(path, f"{option} is a file, not a folder")
    ancestor = os.path.dirname(real)
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise DataError(path, f"{option} lies below {ancestor}, which is a file, not a folder")


def make_staging_folder(parent: str, prefix: str) -> str:
    """A new empty folder ``parent/<prefix><owner tag><random>``, with the permissions the umask gives a folder
    (``mkdtemp``'s 0700 would be renamed into place with it)."""
    folder = tempfile.mkdtemp(prefix=f"{prefix}{owner_tag()}", dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
    return folder
