"""Per-component progress lines and wall times from LocalDagRunner's own log messages."""
from __future__ import annotations

import logging
import re
import sys
import time
from typing import Dict, Optional

_RUNNING = re.compile(r"Component (\S+) is running\.")
_FINISHED = re.compile(r"Component (\S+) is finished\.")
_CACHED = re.compile(r"A cached execution \d+ is used\.")


class ComponentProgress(logging.Handler):
    """Prints one line as each component starts and one with its wall time as it ends.

    ``timings`` maps component id -> seconds; ``cached`` holds the ids whose cached result was reused.
    """

    def __init__(self, stream=sys.stdout):
        super().__init__(logging.INFO)
        self.stream = stream
        self.timings: Dict[str, float] = {}
        self.cached = set()
        self._current = None
        self._started = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if match := _RUNNING.match(message):
            self._current, self._started = match.group(1), time.monotonic()
            print(f"[pipeline] {self._current}: running ...", file=self.stream, flush=True)
        elif _CACHED.match(message) and self._current:
            self.cached.add(self._current)
        elif match := _FINISHED.match(message):
            name = match.group(1)
            self.timings[name] = time.monotonic() - self._started
            note = " (cached result reused)" if name in self.cached else ""
            self._current = None
            print(f"[pipeline] {name}: finished in {self.timings[name]:.1f} s{note}", file=self.stream, flush=True)

    @property
    def current(self) -> Optional[str]:
        """The id of the component running now; None before, between and after components."""
        return self._current

    def __enter__(self) -> "ComponentProgress":
        logger = logging.getLogger("absl")
        self._previous_level = logger.level
        logger.setLevel(logging.INFO)
        # Libraries loaded mid-run raise absl's level to WARNING, which would silence the runner's INFO
        # messages this handler reads: hold it at INFO or below while the pipeline runs.
        logger.setLevel = lambda level: logging.Logger.setLevel(logger, min(level, logging.INFO))
        logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logger = logging.getLogger("absl")
        logger.removeHandler(self)
        del logger.setLevel
        logger.setLevel(self._previous_level)
