"""The errors a command reports as one ``error: ...`` line instead of a traceback, and their exit statuses."""
from __future__ import annotations

import sys
from typing import Callable, Optional

BAD_INPUT = 2  # exit status: the input (files, options, folders) cannot be used as it is
BUSY = 75  # exit status: another process is writing the same output (EX_TEMPFAIL of sysexits.h: try again later)


class DataError(ValueError):
    """Raised when an input file cannot be used as it is.

    ``row`` is the 1-based line number in the file (the header, when there is one, is line 1).
    """

    def __init__(self, path: str, message: str, row: Optional[int] = None, field: Optional[str] = None):
        self.path, self.row, self.field = str(path), row, field
        where = self.path
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


class OutputBusy(RuntimeError):
    """Raised when another process holds the lock on an output folder (data/outputs.py)."""

    def __init__(self, folder: str, message: str):
        self.path = str(folder)
        super().__init__(f"{self.path}: {message}")


def reported(command: Callable[[], int]) -> int:
    """Runs ``command`` and returns its exit status; a DataError or OutputBusy becomes one ``error: ...`` line on
    stderr and status BAD_INPUT or BUSY, as every command of the project reports them."""
    try:
        return command()
    except DataError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return BAD_INPUT
    except OutputBusy as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return BUSY
