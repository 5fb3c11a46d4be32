"""Reading delimited files with checks that report file, row and field.

Every loader reads its files through :func:`read_delimited`, which decides what a readable row is once for
all datasets:
- the file is decoded with the dataset's one encoding; a leading byte-order mark is dropped; bytes that are
  not text in that encoding fail naming the row;
- every row has exactly the header's (or ``columns``') number of fields; blank lines are skipped;
- an id (user, item) is non-empty and has no whitespace or control character after surrounding whitespace is
  stripped: ids are joined by spaces in ``history`` and must survive that;
- a number is finite and within its column's published range (:class:`Number`).

Why not plain ``pandas.read_csv``: it pads a short row with empty strings (indistinguishable from empty
fields), turns an extra leading field of a header-less file into an index, and reports decode errors without
a row; the checks here need the row of each value.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import math
import os
import re
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from data.errors import DataError

BOM = codecs.BOM_UTF8
_NOT_IN_ID = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


@dataclasses.dataclass(frozen=True)
class Number:
    """A numeric field: finite, ``low <= value <= high``, whole when ``integer``; '' only when ``optional``."""

    low: float
    high: float
    integer: bool = False
    optional: bool = False


FLAG = Number(0, 1, integer=True)
# Unix seconds / milliseconds from 1970 up to 2100-01-01: anything else in a log is a corrupt value.
UNIX_SECONDS = Number(0, 4_102_444_800, integer=True)
UNIX_MILLISECONDS = Number(0, 4_102_444_800_000, integer=True)


def read_delimited(
    path: str,
    sep: str,
    columns: Optional[Sequence[str]] = None,
    *,
    ids: Iterable[str] = (),
    required: Iterable[str] = (),
    present: Iterable[str] = (),
    numeric: Mapping[str, Number] = None,
    optional_columns: Iterable[str] = (),
    encoding: str = "utf-8",
    rename_header: Optional[Callable[[str], str]] = None,
) -> pd.DataFrame:
    """Reads ``path`` as strings and checks it (see the module docstring).

    ``columns`` names the fields of a header-less file (the file's own header is used otherwise);
    ``rename_header`` maps the header's names (e.g. RecBole's ``user_id:token`` to ``user_id``).
    ``ids`` are stripped and checked as ids; ``required`` fields must be non-empty on every row; ``present``
    fields must exist; ``numeric`` fields are returned as float numbers ('' as NaN where optional); of these,
    the ``optional_columns`` may be absent from the file.
    Raises :class:`DataError` naming file, row (1-based line, header included) and field.
    """
    numeric = dict(numeric or {})
    if not os.path.exists(path):
        raise DataError(path, "file not found")
    if os.path.getsize(path) == 0:
        raise DataError(path, "file is empty")
    lines, rows = _read_rows(path, sep, encoding)
    if columns is None:
        if not rows:
            raise DataError(path, "file has no rows")
        header = [rename_header(c) if rename_header else c for c in (f.strip() for f in rows[0])]
        lines, rows = lines[1:], rows[1:]
    else:
        header = list(columns)
    for line, fields in zip(lines, rows):
        if len(fields) != len(header):
            missing = header[len(fields)] if len(fields) < len(header) else None
            raise DataError(path, f"row has {len(fields)} fields, expected {len(header)}", row=line, field=missing)
    if not rows:
        raise DataError(path, "file has a header but no rows")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    lines = np.asarray(lines)
    ids = list(ids)
    for field in (set(ids) | set(required) | set(present) | set(numeric)) - set(optional_columns):
        if field not in frame.columns:
            raise DataError(path, f"missing column (found: {', '.join(map(str, frame.columns))})", field=field)
    for field in ids:
        frame[field] = frame[field].str.strip()
        _fail_where(frame[field] == "", frame, field, lines, path, lambda v: "empty id")
        _fail_where(frame[field].str.contains(_NOT_IN_ID), frame, field, lines, path,
                    lambda v: f"id {v!r} contains whitespace or a control character")
    for field in required:
        _fail_where(frame[field].str.strip() == "", frame, field, lines, path, lambda v: "empty value")
    for field, spec in numeric.items():
        if field in frame.columns:
            frame[field] = _numbers(frame, field, spec, lines, path)
    return frame


def _read_rows(path: str, sep: str, encoding: str) -> Tuple[List[int], List[List[str]]]:
    """(line numbers, fields) of every non-blank line; quoted fields are honoured in comma-separated files."""
    lines, rows = [], []
    try:
        for line, fields in _split(path, sep, encoding):
            if fields and fields != [""]:
                lines.append(line)
                rows.append(fields)
    except UnicodeDecodeError as err:
        raise DataError(path, f"not {encoding} text ({err.reason})", row=_undecodable_line(path, encoding)) from err
    except csv.Error as err:
        raise DataError(path, f"malformed row: {err}") from err
    return lines, rows


def _split(path: str, sep: str, encoding: str) -> Iterator[Tuple[int, List[str]]]:
    with open(path, "rb") as raw:
        if raw.read(len(BOM)) != BOM:
            raw.seek(0)
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
            if sep == ",":
                reader = csv.reader(text, strict=True)
                for fields in reader:
                    yield reader.line_num, fields
            else:
                for number, line in enumerate(text, start=1):
                    yield number, line.rstrip("\r\n").split(sep)


def _undecodable_line(path: str, encoding: str) -> Optional[int]:
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


def _fail_where(bad: pd.Series, frame: pd.DataFrame, field: str, lines: np.ndarray, path: str, message) -> None:
    if bad.any():
        position = int(bad.to_numpy().argmax())
        raise DataError(path, message(frame[field].iloc[position]), row=int(lines[position]), field=field)


def _numbers(frame: pd.DataFrame, field: str, spec: Number, lines: np.ndarray, path: str) -> pd.Series:
    text = frame[field].str.strip()
    if not spec.optional:
        _fail_where(text == "", frame, field, lines, path, lambda v: "empty value")
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    _fail_where(values.isna() & (text != ""), frame, field, lines, path, lambda v: f"not a number: {v!r}")
    number = values.fillna(spec.low)
    _fail_where(~np.isfinite(number), frame, field, lines, path, lambda v: f"not a finite number: {v!r}")
    outside = (number < spec.low) | (number > spec.high)
    _fail_where(outside, frame, field, lines, path, lambda v: f"{v!r} is outside [{_show(spec.low)}, {_show(spec.high)}]")
    if spec.integer:
        _fail_where(number != np.floor(number), frame, field, lines, path, lambda v: f"not a whole number: {v!r}")
    return values


def _show(bound: float) -> str:
    return str(int(bound)) if math.isfinite(bound) and bound == int(bound) else str(bound)


def tokens(prefix: str, values: pd.Series) -> pd.Series:
    """Turns one feature column into ``prefix=value`` tokens (spaces and commas made safe)."""
    text = values.astype(str).str.strip().str.replace(r"[\s,]+", "_", regex=True)
    return (prefix + "=" + text).where(text != "", "")


def join_tokens(columns: Dict[str, pd.Series]) -> pd.Series:
    """Joins several token columns into one space-separated bag, dropping empty tokens."""
    frame = pd.DataFrame(columns)
    return frame.apply(lambda row: " ".join(t for t in row if t), axis=1)
