"""One error type for bad input, always naming the file, the row and the field."""
from __future__ import annotations

from typing import Optional


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
