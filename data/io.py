"""Reading delimited files with checks that report file, row and field.

Every loader reads its files through :func:`read_delimited`, which decides what a readable row is once for
all datasets:
- the path is a file (not a folder); it is decoded with the dataset's one encoding; a leading byte-order mark is
  dropped; bytes that are not text in that encoding fail naming the row; a malformed CSV record (a quote never
  closed, a field over csv's size limit) fails naming the line where the record starts;
- every row has exactly the header's (or ``columns``') number of fields; blank lines are skipped;
- an id (user, item) is non-empty, at most MAX_ID_LENGTH characters, and has no whitespace, control character or
  invisible format character (Unicode category Cf: U+200B, a byte-order mark U+FEFF anywhere but the file's
  start, U+202E, ...) after surrounding whitespace is stripped: ids are joined by spaces in ``history`` and must
  survive that, and two ids that print alike must be one id. In a Latin-1 file, an id whose bytes hold a well-formed
  UTF-8 multi-byte sequence (``Ã©`` for ``é``, ``ï»¿`` for a byte-order mark) is refused as a file saved in
  another encoding;
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
import unicodedata
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from data.errors import DataError

BOM = codecs.BOM_UTF8
MAX_ID_LENGTH = 256  # characters; a longer id is a corrupt line (one 10 MiB id would be copied into every history)
_NOT_IN_ID = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_NOT_PLAIN_ASCII = r"[^\x21-\x7e]"  # ids holding only printable ASCII need no further check
# A well-formed UTF-8 multi-byte sequence (RFC 3629 section 4: no overlong form, surrogate or code point past
# U+10FFFF), so that Latin-1 text which merely resembles UTF-8 (b"\xed\xa1\xa1" = 'í¡¡') is not refused as UTF-8.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


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
    refuse_folder(path)
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
        suspect = (frame[field] == "") | (frame[field].str.len() > MAX_ID_LENGTH) | frame[field].str.contains(_NOT_PLAIN_ASCII)
        problems = frame.loc[suspect, field].map(lambda value: id_problem(value, encoding)).dropna()
        if len(problems):
            position = frame.index.get_loc(problems.index[0])
            raise DataError(path, problems.iloc[0], row=int(lines[position]), field=field)
    for field in required:
        _fail_where(frame[field].str.strip() == "", frame, field, lines, path, lambda v: "empty value")
    for field, spec in numeric.items():
        if field in frame.columns:
            frame[field] = _numbers(frame, field, spec, lines, path)
    return frame


def refuse_folder(path: str) -> None:
    """DataError when ``path`` is a folder where an input file should be (open() would raise IsADirectoryError)."""
    if os.path.isdir(path):
        raise DataError(path, "is a folder, not a file")


def id_problem(value: str, encoding: str) -> Optional[str]:
    """Why ``value`` (stripped) cannot be an id (module docstring), or None when it can."""
    if value == "":
        return "empty id"
    if len(value) > MAX_ID_LENGTH:
        return f"id of {len(value):,} characters, more than {MAX_ID_LENGTH}: {value[:40]!r}..."
    if codecs.lookup(encoding).name == "iso8859-1":
        raw = value.encode("latin-1")
        if _UTF8_MULTIBYTE.search(raw):
            as_utf8 = raw.decode("utf-8", errors="replace")
            return (f"id {value!r} looks like UTF-8 text in a latin-1 file (as UTF-8: {as_utf8!r}); the file "
                    "must be latin-1 throughout (two exports concatenated?)")
    invisible = [c for c in value if unicodedata.category(c) == "Cf"]
    if invisible:
        points = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in invisible))
        return f"id {value!r} contains an invisible format character ({points}): ids that print alike must be equal"
    if _NOT_IN_ID.search(value):
        return f"id {value!r} contains whitespace or a control character"
    return None


def _read_rows(path: str, sep: str, encoding: str) -> Tuple[List[int], List[List[str]]]:
    """(line numbers, fields) of every non-blank line; quoted fields are honoured in comma-separated files."""
    lines, rows, last = [], [], 0
    try:
        for line, fields in _split(path, sep, encoding):
            last = line
            if fields and fields != [""]:
                lines.append(line)
                rows.append(fields)
    except UnicodeDecodeError as err:
        raise DataError(path, f"not {encoding} text ({err.reason})", row=_undecodable_line(path, encoding)) from err
    except csv.Error as err:  # the record starting after the last one read
        raise DataError(path, f"malformed row: {err}", row=last + 1) from err
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
