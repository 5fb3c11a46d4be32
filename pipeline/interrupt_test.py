"""Ctrl-C stops a process inside ``StopOnInterrupt`` within seconds, whatever its main thread is doing."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from pipeline.interrupt import EXIT_CODE, StopOnInterrupt

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the main thread does when SIGINT comes: the two ways a TFX Trainer keeps Python's KeyboardInterrupt from
# stopping it, and plain Python code.
SWALLOWS_KEYBOARD_INTERRUPT = """
while True:
    try:
        time.sleep(0.01)
    except:  # noqa: E722  (as tf_keras's Sequential, rebuilding its graph network, does)
        pass
"""
IN_ONE_LONG_NATIVE_CALL = """
hashlib.pbkdf2_hmac("sha256", b"k", b"s", 2_000_000_000)  # minutes in C; no Python code runs meanwhile
"""
PLAIN_PYTHON = """
while True:
    time.sleep(0.01)
"""


def _interrupted(body: str, ignore_sigint: bool = False):
    """(seconds from SIGINT to exit, exit status, stderr) of a process running ``body`` inside the guard."""
    script = textwrap.dedent("""
        import hashlib, sys, time
        from pipeline.interrupt import EXIT_CODE, StopOnInterrupt, exit_now
        guard = StopOnInterrupt(lambda: "PromoTrainer", grace_s=1.0)
        try:
            with guard:
                print("ready", flush=True)
        {body}
        except KeyboardInterrupt:
            guard.announce()
            exit_now(EXIT_CODE)
    """).format(body=textwrap.indent(textwrap.dedent(body), " " * 8))
    # A shell without job control starts `cmd &` with SIGINT ignored; Python then installs no handler for it.
    preexec = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else (
        lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    try:
        assert child.stdout.readline() == "ready\n"
        time.sleep(0.2)  # into the body
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
        return time.monotonic() - sent, child.returncode, child.stderr.read()
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("body", [SWALLOWS_KEYBOARD_INTERRUPT, IN_ONE_LONG_NATIVE_CALL, PLAIN_PYTHON],
                         ids=["keyboard-interrupt-swallowed", "long-native-call", "plain-python"])
def test_sigint_stops_the_process_within_seconds_whatever_the_main_thread_does(body):
    seconds, status, stderr = _interrupted(body)
    assert status == EXIT_CODE, stderr
    assert seconds < 15, seconds  # grace 1 s; the rest is a loaded machine's slack
    assert stderr.count("[pipeline] interrupted during PromoTrainer; rerun the same command to resume from the cache") == 1, stderr


def test_sigint_stops_a_process_started_with_sigint_ignored():
    seconds, status, stderr = _interrupted(PLAIN_PYTHON, ignore_sigint=True)
    assert (status, seconds < 15) == (EXIT_CODE, True), (seconds, stderr)


def test_leaving_the_block_restores_the_previous_handler_and_wakeup_fd():
    previous = signal.getsignal(signal.SIGINT)
    with StopOnInterrupt() as guard:
        assert signal.getsignal(signal.SIGINT) is not previous
    assert signal.getsignal(signal.SIGINT) is previous
    assert signal.set_wakeup_fd(-1) == -1  # none left installed
    assert not guard.interrupted
