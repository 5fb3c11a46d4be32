"""Property-based test of every loader: generated files in each published format, with one random corruption.

Each generated input either loads exactly the interactions it holds or raises DataError naming the corrupted
file, row and field; never another exception type, never a silently changed value.
"""
import dataclasses
import math
import os
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.errors import DataError
from data.feedback import read_feedback
from data.kuairand import LOG_FILES, load_kuairand
from data.movielens import GENRES, load_ml1m, load_ml100k
from data.tmall import load_tmall

IDS = st.from_regex(r"[A-Za-z0-9_\-]{1,6}", fullmatch=True)


@dataclasses.dataclass
class Format:
    """One loader's interaction file: how rows are written and what each row must load as."""

    name: str
    file: str
    sep: str
    header: Optional[Sequence[str]]  # None: a header-less file
    encoding: str
    row: Callable[[str, str, int, int], List[str]]  # (user, item, time, value) -> fields
    expect: Callable[[str, str, int, int], Dict[str, object]]  # the interaction the row must load as
    time_field: str
    value_field: str
    values: range  # valid values of value_field
    side_files: Dict[str, str]
    load: Callable[[str], object]


def _ml_expect(user, item, time, rating):
    return {"user_id": user, "item_id": item, "timestamp": time, "label": int(rating >= 4), "ir": rating / 5}


def _kuai_row(user, item, time, click):
    return [user, item, "20220421", "400", str(time), str(click), "1", "0", "0", "0", "0", "0", "1000", "2000",
            "0", "0", "0", "0", "1"]


FORMATS = [
    Format(
        "ml-100k", "u.data", "\t", None, "latin-1", lambda u, i, t, v: [u, i, str(v), str(t)], _ml_expect,
        "timestamp", "rating", range(1, 6),
        {"u.item": "", "u.user": ""}, load_ml100k,
    ),
    Format(
        "ml-1m", "ratings.dat", "::", None, "latin-1", lambda u, i, t, v: [u, i, str(v), str(t)], _ml_expect,
        "timestamp", "rating", range(1, 6),
        {"users.dat": "", "movies.dat": ""}, load_ml1m,
    ),
    Format(
        "kuairand", LOG_FILES[0], ",",
        ("user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,is_hate,"
         "long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab").split(","),
        "utf-8", _kuai_row,
        lambda u, i, t, v: {"user_id": u, "item_id": i, "timestamp": t, "label": v, "ir": 0.25},
        "time_ms", "is_click", range(0, 2),
        {LOG_FILES[1]: "", "user_features_pure.csv": "user_id,user_active_degree\nfiller~,full_active\n",
         "video_features_basic_pure.csv": "video_id,author_id,video_duration,tag\nfiller~,1,1000,\"1,2\"\n"},
        load_kuairand,
    ),
    Format(
        "tmall", "user_log_format1.csv", ",",
        "user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type".split(","), "utf-8",
        lambda u, i, t, v: [u, i, "5", "7", "9", str(t), str(v)],
        lambda u, i, t, v: {"user_id": u, "item_id": i, "timestamp": t, "label": int(v > 0),
                            "ir": {0: 0.0, 1: 0.4, 2: 1.0, 3: 0.6}[v]},
        "time_stamp", "action_type", range(0, 4), {}, load_tmall,
    ),
    Format(
        "feedback", "feedback.csv", ",", "user_id,item_id,timestamp,label,cr,ir".split(","), "utf-8",
        lambda u, i, t, v: [u, i, str(t), str(v), "0.5", "0.25"],
        lambda u, i, t, v: {"user_id": u, "item_id": i, "timestamp": t, "label": v, "ir": 0.25},
        "timestamp", "label", range(0, 2), {}, read_feedback,
    ),
]

# Corruptions of one field (the value written instead) that every loader must refuse.
BAD_NUMBERS = ["inf", "-inf", "nan", "1e300", "-1", "99999999999999999999", "x", ""]
BAD_IDS = ["", " ", "a b", "a\tb", "a\x01b"]
CORRUPTIONS = ["none", "bom", "crlf", "short", "long", "bad-time", "bad-value", "bad-id", "not-utf8", "no-column",
               "mid-bom", "format-char", "long-id", "folder"]
# What a corruption puts into an item id: text that reads as an id but is not one (data/io.py: id_problem). In a
# Latin-1 file the invisible characters arrive as the Latin-1 reading of their UTF-8 bytes.
INVISIBLE = {"mid-bom": "\ufeff", "format-char": "\u200b"}


def _times(fmt):
    low, high = (101, 1231) if fmt.name == "tmall" else (1, 4_000_000_000)
    return st.integers(low, high).filter(lambda t: fmt.name != "tmall" or 1 <= t % 100 <= 31)


@st.composite
def cases(draw):
    fmt = draw(st.sampled_from(FORMATS))
    n = draw(st.integers(1, 6))
    users = draw(st.lists(IDS, min_size=n, max_size=n))
    items = draw(st.lists(IDS, min_size=n, max_size=n, unique=True))  # (user, item) pairs stay distinct
    times = draw(st.lists(_times(fmt), min_size=n, max_size=n))
    values = draw(st.lists(st.sampled_from(fmt.values), min_size=n, max_size=n))
    corruption = draw(st.sampled_from(CORRUPTIONS if fmt.header else [c for c in CORRUPTIONS if c != "no-column"]))
    if corruption == "not-utf8" and fmt.encoding != "utf-8":
        corruption = "none"
    row = draw(st.integers(0, n - 1))
    bad_values = BAD_IDS if corruption == "bad-id" else BAD_NUMBERS
    if fmt.name == "feedback" and corruption == "bad-time":  # an empty feedback timestamp is allowed (it reads as 0)
        bad_values = [value for value in bad_values if value != ""]
    bad = draw(st.sampled_from(bad_values))
    return fmt, list(zip(users, items, times, values)), corruption, row, bad


def _write(directory, fmt, rows, corruption, at, bad):
    """Writes the files; returns the (file, row, field) a DataError must name, or None for a valid input."""
    lines = [fmt.row(*r) for r in rows]
    header = list(fmt.header) if fmt.header else None
    names = header or ["user_id", "item_id", "rating", "timestamp"]
    offset = 2 if header else 1  # the file line of rows[0]
    expected = None
    if corruption == "short":
        lines[at] = lines[at][:-2]
        expected = (fmt.file, at + offset, names[len(lines[at])])
    elif corruption == "long":
        lines[at] = lines[at] + ["extra"]
        expected = (fmt.file, at + offset, None)
    elif corruption in ("bad-time", "bad-value", "bad-id", "mid-bom", "format-char", "long-id"):
        field = {"bad-time": fmt.time_field, "bad-value": fmt.value_field}.get(corruption, "item_id")
        if fmt.name == "kuairand" and field == "item_id":
            field = "video_id"
        column = names.index(field)
        if corruption in INVISIBLE:
            mark = INVISIBLE[corruption]
            mark = mark if fmt.encoding == "utf-8" else mark.encode("utf-8").decode("latin-1")
            bad = mark + lines[at][column] if corruption == "mid-bom" else lines[at][column] + mark + "1"
        elif corruption == "long-id":
            bad = "7" * 300
        lines[at][column] = bad
        # an id holding the separator (a tab in a tab-separated file) splits its row: a field-count error, no field
        expected = (fmt.file, at + offset, None if fmt.sep in bad else field)
    elif corruption == "no-column":
        drop = header.index(fmt.value_field)
        header.pop(drop)
        for line in lines:
            line.pop(drop)
        expected = (fmt.file, None, fmt.value_field)
    newline = "\r\n" if corruption == "crlf" else "\n"
    text = newline.join(fmt.sep.join(line) for line in ([header] if header else []) + lines) + newline
    payload = text.encode(fmt.encoding)
    if corruption == "bom":
        payload = b"\xef\xbb\xbf" + payload
    if corruption == "not-utf8":
        first = payload.index(b"\n") + 1 if header else 0
        for _ in range(at):
            first = payload.index(b"\n", first) + 1
        payload = payload[:first] + b"\xff\xfe" + payload[first:]
        expected = (fmt.file, at + offset, None)
    if corruption == "folder":
        os.mkdir(os.path.join(directory, fmt.file))
        expected = (fmt.file, None, None)
    else:
        with open(os.path.join(directory, fmt.file), "wb") as handle:
            handle.write(payload)
    for name, content in fmt.side_files.items():
        content = content or _side_file(name, rows)
        with open(os.path.join(directory, name), "w", encoding=fmt.encoding) as handle:
            handle.write(content)
    return expected


def _side_file(name, rows):
    users = sorted({r[0] for r in rows})
    items = sorted({r[1] for r in rows})
    flags = "|".join("0" for _ in GENRES)
    return {
        "u.item": "".join(f"{i}|T (1995)|01-Jan-1995||u|{flags}\n" for i in items),
        "u.user": "".join(f"{u}|30|M|other|1\n" for u in users),
        "users.dat": "".join(f"{u}::M::25::1::1\n" for u in users),
        "movies.dat": "".join(f"{i}::T (1995)::Drama\n" for i in items),
        LOG_FILES[1]: "",
    }[name] or _empty_kuairand_log()


def _empty_kuairand_log():
    fmt = FORMATS[2]
    return ",".join(fmt.header) + "\n" + ",".join(fmt.row("filler~", "filler~", 1, 0)) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_loader_loads_exactly_its_rows_or_names_file_row_and_field(case):
    fmt, rows, corruption, at, bad = case
    with tempfile.TemporaryDirectory() as directory:
        expected_error = _write(directory, fmt, rows, corruption, at, bad)
        try:
            loaded = fmt.load(directory if fmt.name != "feedback" else os.path.join(directory, fmt.file))
        except DataError as err:
            assert expected_error is not None, f"valid {fmt.name} input refused: {err}"
            file, row, field = expected_error
            assert (os.path.basename(err.path), err.row, err.field) == (file, row, field), str(err)
            return
        assert expected_error is None, f"{corruption} ({bad!r}) in {fmt.name} was accepted"
        frame = loaded if fmt.name == "feedback" else loaded.interactions
        if fmt.name == "kuairand":
            frame = frame[frame["user_id"] != "filler~"]  # the second log's filler row
        got = frame[["user_id", "item_id", "timestamp", "label", "ir"]].to_dict("records")
        want = [fmt.expect(*r) for r in rows]
        for g, w in zip(got, want):
            assert g.keys() == w.keys() and all(
                math.isclose(g[k], w[k]) if isinstance(w[k], float) else g[k] == w[k] for k in w
            ), (g, w)
        assert len(got) == len(want)


@pytest.mark.parametrize("fmt, name", [(f, n) for f in FORMATS for n in f.side_files], ids=lambda x: getattr(x, "name", x))
def test_a_folder_in_place_of_a_side_file_is_named(tmp_path, fmt, name):
    _write(str(tmp_path), fmt, [("u1", "i1", 101, fmt.values[0])], "none", 0, "")
    os.remove(tmp_path / name)
    os.mkdir(tmp_path / name)
    with pytest.raises(DataError, match="is a folder, not a file") as err:
        fmt.load(str(tmp_path))
    assert err.value.path == str(tmp_path / name)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_each_format_loads_a_clean_file(tmp_path, fmt):
    rows = [("u1", "i1", 101, fmt.values[-1]), ("u2", "i2", 102, fmt.values[0])]
    assert _write(str(tmp_path), fmt, rows, "none", 0, "") is None
    loaded = fmt.load(str(tmp_path) if fmt.name != "feedback" else str(tmp_path / fmt.file))
    frame = loaded if fmt.name == "feedback" else loaded.interactions
    assert frame["item_id"].tolist()[:2] == ["i1", "i2"]
