"""Reading delimited files with checks that report file, row and field."""
from __future__ import annotations

import os
import re
from typing import Callable, Dict, Iterable, Optional, Sequence

import pandas as pd

from data.errors import DataError


def read_delimited(
    path: str,
    sep: str,
    columns: Optional[Sequence[str]] = None,
    required: Iterable[str] = (),
    numeric: Iterable[str] = (),
    encoding: str = "utf-8",
    rename_header: Optional[Callable[[str], str]] = None,
) -> pd.DataFrame:
    """Reads ``path`` as strings and checks it.

    ``columns`` names the fields of a header-less file (the file's own header is used otherwise).
    Every ``required`` field must exist and be non-empty on every row; every ``numeric`` field must
    parse as a number where present. ``rename_header`` maps the file's own header names (e.g. RecBole's
    ``user_id:token`` to ``user_id``). The returned frame has ``numeric`` fields converted to numbers.
    """
    if not os.path.exists(path):
        raise DataError(path, "file not found")
    if os.path.getsize(path) == 0:
        raise DataError(path, "file is empty")
    header_lines = 0 if columns is not None else 1
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None if columns is not None else 0,
            names=list(columns) if columns is not None else None,
            dtype=str,
            keep_default_na=False,
            engine="python" if len(sep) > 1 else "c",
            encoding=encoding,
        )
    except pd.errors.EmptyDataError as err:
        raise DataError(path, "file has no rows") from err
    except pd.errors.ParserError as err:
        line = re.search(r"line (\d+)", str(err))
        raise DataError(path, f"malformed row: {err}", row=int(line.group(1)) if line else None) from err
    if frame.empty:
        raise DataError(path, "file has a header but no rows")
    if rename_header is not None:
        frame.columns = [rename_header(str(c)) for c in frame.columns]
    for field in list(required) + list(numeric):
        if field not in frame.columns:
            raise DataError(path, f"missing column (found: {', '.join(map(str, frame.columns))})", field=field)
    for field in required:
        empty = frame[field].str.strip() == ""
        if empty.any():
            raise DataError(path, "empty value", row=int(empty.idxmax()) + 1 + header_lines, field=field)
    for field in numeric:
        frame[field] = numbers(frame, field, path, header_lines)
    return frame


def numbers(frame: pd.DataFrame, field: str, path: str, header_lines: int = 1) -> pd.Series:
    """``frame[field]`` (strings) as numbers, '' as NaN; a DataError names the first value that is not one."""
    values = pd.to_numeric(frame[field].where(frame[field] != ""), errors="coerce")
    bad = values.isna() & (frame[field] != "")
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(path, f"not a number: {frame[field].iloc[row]!r}", row=row + 1 + header_lines, field=field)
    return values


def tokens(prefix: str, values: pd.Series) -> pd.Series:
    """Turns one feature column into ``prefix=value`` tokens (spaces and commas made safe)."""
    text = values.astype(str).str.strip().str.replace(r"[\s,]+", "_", regex=True)
    return (prefix + "=" + text).where(text != "", "")


def join_tokens(columns: Dict[str, pd.Series]) -> pd.Series:
    """Joins several token columns into one space-separated bag, dropping empty tokens."""
    frame = pd.DataFrame(columns)
    return frame.apply(lambda row: " ".join(t for t in row if t), axis=1)
