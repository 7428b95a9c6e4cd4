"""Fetch side of the loaders: read a (possibly gzipped) text file into strings, line numbers kept.

Parsers take the text this module returns and never touch the file system, so they are tested
on small strings and fixture files alike. Every error names the file and the line.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wattswitch.errors import InputError, shown
from wattswitch.model.scenario_bounds import FIRST_YEAR, LAST_YEAR

DATA_ENV_VAR = "WATTSWITCH_DATA"
# a clock time followed by a zone: "...00:00Z", "...00:00+00:00", "...00:00:00-0600"
# Market and network data outside the years scenarios may span (a year 9999, or a last row in 2262
# that would expand a 15-min grid to millions of rows) is a typo, not a signal.
EARLIEST_TIME_UTC = pd.Timestamp(year=FIRST_YEAR, month=1, day=1, tz="UTC")
LATEST_TIME_UTC = pd.Timestamp(year=LAST_YEAR + 1, month=1, day=1, tz="UTC")
_ZONE_SUFFIX = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s?(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"


def read_text(path: str | Path) -> str:
    """The file's text (gunzipped when it ends in ``.gz``); clear errors for missing/binary/empty files
    (what was expected is said by the file's name: TOML tables, or CSV rows)."""
    file_path = Path(path)
    if not file_path.exists():
        raise InputError(str(path), "no such file", expected="an existing file path")
    if file_path.is_dir():
        raise InputError(str(path), "is a folder", expected="a file")
    raw = file_path.read_bytes()
    if file_path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise InputError(str(path), f"not a valid gzip file ({err})") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        what = "a CSV, JSONL or TOML text file"
        raise InputError(str(path), f"not UTF-8 text (byte {err.start})", expected=what) from err
    if not text.strip():
        what = "TOML tables" if file_path.suffix == ".toml" else "a header and data rows"
        raise InputError(str(path), "the file is empty", line=1, expected=what)
    return text


def data_root() -> Path | None:
    """The shared data folder named by ``WATTSWITCH_DATA``, or None when unset."""
    value = os.environ.get(DATA_ENV_VAR)
    return Path(value) if value else None


def parse_csv_table(
    text: str,
    source: str,
    *,
    skip_lines: int = 0,
    required: Sequence[str] = (),
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse CSV text into a frame of strings plus each row's 1-based line number in the file.

    ``skip_lines`` title lines come before the header. Rows with the wrong number of fields and
    missing ``required`` columns raise :class:`InputError` naming the line.
    """
    lines = text.splitlines()
    if len(lines) <= skip_lines:
        raise InputError(source, "no header line", line=skip_lines + 1, expected="a CSV header")
    plain = _read_plain_table(lines[skip_lines:])
    if plain is not None:
        _check_required(list(plain.columns), required, source, skip_lines + 1)
        first = skip_lines + 2
        return plain, np.arange(first, first + len(plain), dtype=np.int64)
    reader = csv.reader(io.StringIO("\n".join(lines[skip_lines:])))
    try:
        rows = list(reader)
    except csv.Error as err:
        raise InputError(source, f"unreadable CSV ({err})", line=skip_lines + reader.line_num) from err
    header = [h.strip() for h in rows[0]]
    header_line = skip_lines + 1
    _check_required(header, required, source, header_line)
    body: list[list[str]] = []
    line_numbers: list[int] = []
    for offset, row in enumerate(rows[1:], start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(
                source,
                f"{len(row)} fields",
                line=header_line + offset,
                expected=f"{len(header)} fields like the header",
            )
        body.append(row)
        line_numbers.append(header_line + offset)
    if not body:
        raise InputError(source, "no data rows", line=header_line + 1, expected="at least one row")
    frame = pd.DataFrame(body, columns=header, dtype=object)
    return frame, np.asarray(line_numbers, dtype=np.int64)


def _check_required(header: list[str], required: Sequence[str], source: str, line: int) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            source,
            f"missing column(s) {', '.join(repr(c) for c in missing)}",
            line=line,
            expected=f"a header with {', '.join(required)} (found {', '.join(header)})",
        )


def _read_plain_table(lines: list[str]) -> pd.DataFrame | None:
    """Fast path via pandas' C reader for plain tables, else None (then the csv module decides).

    Plain: no quote characters, every body line has the header's field count and is not blank,
    so row i is line i + 1 and nothing needs reporting.
    """
    body = "\n".join(lines[1:])
    if len(lines) < 2 or '"' in lines[0] or '"' in body:
        return None
    commas = lines[0].count(",")
    if not all(line.count(",") == commas and line.strip(" \t,") for line in lines[1:]):
        return None
    frame = pd.read_csv(
        io.StringIO(body), header=None, names=list(range(commas + 1)), dtype=object,
        na_filter=False, quoting=csv.QUOTE_NONE, skip_blank_lines=False, engine="c",
    )
    frame.columns = pd.Index([h.strip() for h in lines[0].split(",")])
    return frame


def to_float(
    frame: pd.DataFrame,
    column: str,
    lines: np.ndarray,
    source: str,
    *,
    allow_empty: bool = True,
    expected: str = "a number",
) -> np.ndarray:
    """Convert one column of strings to floats; empty cells become NaN (or an error)."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, copy=True)
    unparsed = np.flatnonzero(np.isnan(values))  # empty, malformed or "nan": look only at these
    raw = frame[column].iloc[unparsed].astype(str).str.strip()
    empty = raw.eq("").to_numpy()
    values[unparsed] = pd.to_numeric(raw.where(~empty), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values[unparsed]) & ~empty
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            source, f"{shown(raw.iloc[i])} is not a number", line=int(lines[unparsed[i]]),
            field=column, expected=expected,
        )
    infinite = np.flatnonzero(np.isinf(values))  # "inf", "-Infinity", or 1e400 overflowing to inf
    if infinite.size:
        i = int(infinite[0])
        text = str(frame[column].iloc[i]).strip()
        raise InputError(
            source, f"{shown(text)} is not a finite number", line=int(lines[i]), field=column,
            expected=f"{expected} (finite)",
        )
    if not allow_empty and empty.any():
        i = int(unparsed[np.flatnonzero(empty)[0]])
        raise InputError(source, "empty value", line=int(lines[i]), field=column, expected=expected)
    return values


def to_utc_timestamps(
    frame: pd.DataFrame,
    column: str,
    lines: np.ndarray,
    source: str,
    *,
    assume_utc: bool = False,
    fmt: str | None = None,
) -> pd.DatetimeIndex:
    """Parse one column of timestamps to UTC; naive values need ``assume_utc`` (else an error)."""
    raw = frame[column].astype(str).str.strip()
    try:
        parsed = pd.to_datetime(raw, errors="coerce", utc=assume_utc, format=fmt or "ISO8601")
    except ValueError:  # mixed offsets (fine once in UTC) or zone-aware mixed with naive
        naive = ~raw.str.contains(_ZONE_SUFFIX, regex=True).to_numpy()
        if naive.any():
            i = int(np.flatnonzero(naive)[0])
            raise InputError(
                source, f"{raw.iloc[i]!r} carries no time zone", line=int(lines[i]), field=column,
                expected="UTC times ending in Z or +00:00",
            ) from None
        parsed = pd.to_datetime(raw, errors="coerce", utc=True, format=fmt or "ISO8601")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            source, f"{shown(raw.iloc[i])} is not a timestamp", line=int(lines[i]), field=column,
            expected="an ISO-8601 time such as 2023-01-01T06:00:00Z",
        )
    index = pd.DatetimeIndex(parsed)
    if index.tz is None:
        raise InputError(
            source, "timestamps carry no time zone", line=int(lines[0]), field=column,
            expected="UTC times ending in Z or +00:00",
        )
    outside = np.flatnonzero((index < EARLIEST_TIME_UTC) | (index >= LATEST_TIME_UTC))
    if outside.size:
        i = int(outside[0])
        raise InputError(
            source, f"{shown(raw.iloc[i])} is outside the years wattswitch models", line=int(lines[i]),
            field=column, expected=f"a time from {EARLIEST_TIME_UTC.year} to {LATEST_TIME_UTC.year - 1}",
        )
    # pandas ≥ 3 infers second/microsecond resolution from strings; the grid code counts in ns.
    return index.tz_convert("UTC").as_unit("ns")


def check_non_negative(values: np.ndarray, lines: np.ndarray, source: str, field: str) -> np.ndarray:
    """Raise naming the first line with a negative value; returns ``values`` for chaining."""
    bad = np.flatnonzero(values < 0)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            source, f"negative value {float(values[i]):g}", line=int(lines[i]), field=field,
            expected="a value ≥ 0",
        )
    return values


def check_increasing(times_s: np.ndarray, lines: np.ndarray, source: str, field: str) -> None:
    """Raise naming the first line where time goes backwards or repeats."""
    if len(times_s) < 2:
        return
    steps = np.diff(times_s)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        how = "repeats the previous row's time" if steps[i - 1] == 0 else "goes back"
        raise InputError(
            source, f"time is not increasing ({how})", line=int(lines[i]),
            field=field, expected="rows sorted by time with no duplicates",
        )


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file renamed into place: never half-written.

    The file gets the usual 0644 mode (``mkstemp`` alone would leave it private).
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(str(path), "its folder does not exist", expected="a path in an existing folder")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp_name).chmod(0o644)
        Path(tmp_name).replace(target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
