"""Ctrl-C (SIGINT) stops a local run within seconds, whatever it is doing, and leaves its cache usable.

Python's own Ctrl-C handling does not do that for a TFX run:

- A shell without job control (a script, a tool running ``python local_runner.py ... &``) starts a background
  command with SIGINT *ignored*, and Python then installs no KeyboardInterrupt handler ("SIGINT is translated
  into a KeyboardInterrupt exception if the parent process has not changed it", docs of ``signal``): SIGINT
  is ignored for the whole run, which carries on to the end.
- Otherwise the KeyboardInterrupt is raised in whatever Python code the main thread runs next, and code a
  Trainer runs much of its time catches it with a bare ``except:`` and carries on: tf_keras's Sequential
  rebuilding its graph network for a new input shape (tf_keras 2.16, src/engine/sequential.py lines 326, 360:
  it falls back to its "legacy deferred" mode, or leaves a half-rebuilt graph that fails later with
  "Could not compute output"), TensorFlow's ``__del__`` of a traced function's graph
  (TF 2.16, python/eager/polymorphic_function/concrete_function.py line 1754), any ``__del__``.
- While the main thread is inside one native call (a training step, a wait on Beam), no Python code runs.
- After it, the interpreter's exit collects TensorFlow's objects for several seconds.

:class:`StopOnInterrupt` installs its own SIGINT handler (over an inherited "ignore" too), which raises
KeyboardInterrupt as usual, and has Python's C-level handler also write to a pipe (``signal.set_wakeup_fd``)
that a watcher thread reads: it prints at once what happens, and if the run has not left the ``with`` block
``grace_s`` seconds later (the interrupt was swallowed, or a native call is still running), or at a second
Ctrl-C, it stops the process's children and exits with :data:`EXIT_CODE`. Either way the component that was
running is never recorded as finished: TFX publishes an execution as COMPLETE in ML Metadata (one SQLite
transaction) only after its executor returns, and the cache reuses only COMPLETE or CACHED executions.
"""
from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from typing import Callable, Optional

EXIT_CODE = 130  # 128 + SIGINT: what a shell reports for a command Ctrl-C stopped


def interrupted_message(where: Optional[str] = None) -> str:
    during = f" during {where}" if where else ""
    return f"[pipeline] interrupted{during}; rerun the same command to resume from the cache"


def _stop_children() -> None:
    """Kills this process's descendants (Beam's SDK worker processes); best effort."""
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            try:
                child.kill()
            except psutil.Error:
                pass
    except Exception:  # noqa: BLE001  (nothing here may keep the process from exiting)
        pass


def exit_now(code: int = EXIT_CODE) -> None:
    """Flushes stdout/stderr and exits with ``code`` at once, skipping the interpreter's teardown of TensorFlow
    (several seconds of garbage collection) and stopping any process left by the run."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    _stop_children()
    os._exit(code)


class StopOnInterrupt:
    """``with StopOnInterrupt(where):`` -- SIGINT inside the block stops the process within ``grace_s`` seconds.

    ``where()`` names what is running (a component id), for the message. The first SIGINT raises
    KeyboardInterrupt in the main thread (the caller catches it and exits with :data:`EXIT_CODE`, see
    :func:`exit_now`); if the block has not been left ``grace_s`` seconds later, or at a second SIGINT, the
    watcher thread exits the process itself. ``interrupted`` tells whether a SIGINT came. Outside the main
    thread (where Python cannot handle signals) the block changes nothing.
    """

    def __init__(self, where: Callable[[], Optional[str]] = lambda: None, grace_s: float = 3.0):
        self.where = where
        self.grace_s = grace_s
        self.interrupted = False
        self._active = False

    def __enter__(self) -> "StopOnInterrupt":
        if threading.current_thread() is not threading.main_thread():
            return self
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._left = threading.Event()
        self._announce_lock = threading.Lock()
        self._announced = False
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._previous_handler = signal.signal(signal.SIGINT, self._raise_keyboard_interrupt)
        threading.Thread(target=self._watch, name="stop-on-interrupt", daemon=True).start()
        self._active = True
        return self

    def __exit__(self, *exc) -> None:
        if not self._active:
            return
        self._active = False
        self._left.set()
        signal.signal(signal.SIGINT, self._previous_handler)
        signal.set_wakeup_fd(self._previous_wakeup_fd)
        os.close(self._write)  # ends the watcher, which closes the read end

    def announce(self) -> None:
        """Prints :func:`interrupted_message` once (the watcher does as soon as SIGINT arrives)."""
        with self._announce_lock:
            if self._announced:
                return
            self._announced = True
        try:
            where = self.where()
        except Exception:  # noqa: BLE001
            where = None
        # os.write, not print: the main thread may be anywhere, even inside a write to sys.stderr.
        os.write(2, (interrupted_message(where) + "\n").encode())

    def _raise_keyboard_interrupt(self, signum, frame):
        self.interrupted = True
        raise KeyboardInterrupt

    def _watch(self) -> None:
        deadline = None
        try:
            while True:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([self._read], [], [], timeout)
                if not ready:  # the grace period is over
                    if not self._left.is_set():
                        self._exit(f"[pipeline] still running {self.grace_s:g} s after the interrupt: stopping now")
                    return
                data = os.read(self._read, 512)
                if not data:  # __exit__ closed the pipe
                    return
                if self._previous_wakeup_fd >= 0:  # the wakeup fd is process-wide: pass on what was written
                    try:
                        os.write(self._previous_wakeup_fd, data)
                    except OSError:
                        pass
                sigints = data.count(int(signal.SIGINT))
                if not sigints:
                    continue
                self.interrupted = True
                if deadline is None:
                    self.announce()
                    deadline = time.monotonic() + self.grace_s
                    sigints -= 1
                if sigints and not self._left.is_set():
                    self._exit("[pipeline] interrupted again: stopping now")
        finally:
            os.close(self._read)

    def _exit(self, message: str) -> None:
        os.write(2, (message + "\n").encode())
        _stop_children()
        os._exit(EXIT_CODE)
