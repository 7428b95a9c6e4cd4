"""Electricity price and grid-load loaders: tidy CSVs, raw EIA wholesale files, ERCOT SPP reports.

Parsers are pure: ``parse_*(text, source)`` returns a :class:`TimeSeries` of interval STARTS on a
complete UTC grid (gaps stay NaN rows, nothing is filled or clipped: negative prices and prices
above the offer cap are real). ``load_*(path)`` reads the file and sniffs which parser to use.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from wattswitch.data.io import (
    check_increasing,
    parse_csv_table,
    read_text,
    to_float,
    to_utc_timestamps,
)
from wattswitch.data.regular import build_series, infer_step_s
from wattswitch.errors import InputError
from wattswitch.model.timeseries import INDEX_NAME, TimeSeries

__all__ = [
    "LOAD_UNIT",
    "PRICE_UNIT",
    "load_grid_load",
    "load_prices",
    "parse_eia_csv",
    "parse_ercot_spp_report",
    "parse_tidy_csv",
    "sniff_format",
]

PRICE_UNIT = "usd_per_mwh"
LOAD_UNIT = "mw"

Format = Literal["tidy", "eia", "ercot_report"]

# --- tidy ----------------------------------------------------------------------------------------
LOCAL_COLUMN = "interval_start_local"

# --- raw EIA wholesale-market files --------------------------------------------------------------
EIA_KEY = "UTC Timestamp (Interval Ending)"
EIA_DROPPED_PREFIXES = ("Local ", "Hour Number")
EIA_MAX_TITLE_LINES = 10
_EIA_PRICE = re.compile(r"^(?P<name>.+?) (?:LMP|\((?P<part>Congestion|Energy|Loss)\))$")
_EIA_LOAD = re.compile(r"^(?P<name>.+?) Actual Load \(MW\)$")
EIA_PRICE_NAMES = {  # EIA hub/zone name -> tidy column name
    "Bus average": "HB_BUSAVG",
    "Houston": "HB_HOUSTON",
    "Hub average": "HB_HUBAVG",
    "North": "HB_NORTH",
    "Panhandle": "HB_PAN",
    "South": "HB_SOUTH",
    "West": "HB_WEST",
    "NP-15": "NP15",
    "SP-15": "SP15",
    "ZP-26": "ZP26",
    "North Hub": "SPP_NORTH_HUB",
    "South Hub": "SPP_SOUTH_HUB",
}
EIA_LOAD_NAMES = {  # ERCOT weather zones; the 2020 file uses the short names
    "TOTAL": "ERCOT_TOTAL",
    "TOT": "ERCOT_TOTAL",
    "Coast": "COAST",
    "East": "EAST",
    "Far West": "FAR_WEST",
    "FWEST": "FAR_WEST",
    "North": "NORTH",
    "North Central": "NORTH_CENTRAL",
    "NCENT": "NORTH_CENTRAL",
    "Southern": "SOUTHERN",
    "South": "SOUTHERN",
    "South Central": "SOUTH_CENTRAL",
    "SCENT": "SOUTH_CENTRAL",
    "West": "WEST",
}

# --- ERCOT settlement point price reports (NP6-905-CD real time, NP4-190-CD day ahead) ----------
ERCOT_TZ = "America/Chicago"
REPORT_DATE = "DeliveryDate"
REPORT_PRICE = "SettlementPointPrice"
REPORT_DST = "DSTFlag"
RT_POINT = "SettlementPointName"
DA_POINT = "SettlementPoint"
RT_REPORT_COLUMNS = (REPORT_DATE, "DeliveryHour", "DeliveryInterval", RT_POINT, REPORT_PRICE)
DA_REPORT_COLUMNS = (REPORT_DATE, "HourEnding", DA_POINT, REPORT_PRICE)
RT_STEP_S = 900
DA_STEP_S = 3600

FORMATS_EXPECTED = (
    "a tidy CSV whose header has interval_start_utc, an EIA wholesale-market CSV (title lines, "
    f"then a header starting {EIA_KEY!r}) or an ERCOT settlement point price report "
    f"({REPORT_DATE}, DeliveryHour/HourEnding, ..., {REPORT_PRICE})"
)


# --- public loaders ------------------------------------------------------------------------------
def load_prices(path: str | Path, hub: str | None = None) -> TimeSeries:
    """Prices ($/MWh) from any supported file; ``hub`` keeps only that column."""
    source = str(path)
    series = _parse_sniffed(read_text(path), source, tidy_unit=PRICE_UNIT)
    if series.unit != PRICE_UNIT:
        raise InputError(source, "this file holds system load (MW), not prices",
                         expected="a price file here; give a load file as --load (grid_load_file)")
    return series if hub is None else _select(series, hub)


def load_grid_load(path: str | Path) -> TimeSeries:
    """Grid load (MW) from a tidy or raw EIA load file."""
    source = str(path)
    series = _parse_sniffed(read_text(path), source, tidy_unit=LOAD_UNIT)
    if series.unit != LOAD_UNIT:
        raise InputError(source, "this file holds hub prices, not system load",
                         expected="a load file here (ERCOT_TOTAL in MW); give prices as --prices")
    return series


def sniff_format(text: str, source: str) -> Format:
    """Which parser fits ``text``, judged from its first lines."""
    head = _head_lines(text)
    if not head:
        raise InputError(source, "the file is empty", line=1, expected=FORMATS_EXPECTED)
    first = _csv_fields(head[0])
    if INDEX_NAME in first:
        return "tidy"
    if REPORT_DATE in first:
        return "ercot_report"
    if any(line.startswith(EIA_KEY) for line in head):
        return "eia"
    raise InputError(source, f"unrecognised format (header {head[0][:80]!r})", line=1,
                     expected=FORMATS_EXPECTED)


def _parse_sniffed(text: str, source: str, *, tidy_unit: str) -> TimeSeries:
    kind = sniff_format(text, source)
    if kind == "tidy":
        return parse_tidy_csv(text, source, unit=tidy_unit)
    if kind == "eia":
        return parse_eia_csv(text, source)
    return parse_ercot_spp_report(text, source)


# Column names of ERCOT's system-load files by weather zone (tidy, or EIA's renamed), all in MW.
LOAD_ZONE_COLUMNS = frozenset({
    "ercot_total", "total", "coast", "east", "far_west", "fwest", "north", "north_central", "ncent",
    "southern", "south", "south_central", "scent", "west",
})


def looks_like_prices(columns: Sequence[str]) -> bool:
    """Columns of hub/zone prices (HB_*, LZ_*, or named as prices or LMPs)."""
    lowered = [c.strip().lower() for c in columns]
    return any("price" in c or "lmp" in c or c.startswith(("hb_", "lz_")) for c in lowered)


def looks_like_load(columns: Sequence[str]) -> bool:
    """Columns of a system-load file (ERCOT's total and weather zones, or ``*load_mw``), not prices."""
    lowered = [c.strip().lower() for c in columns]
    if not lowered or looks_like_prices(lowered):
        return False
    return all(c in LOAD_ZONE_COLUMNS for c in lowered) or any(c.endswith("load_mw") for c in lowered)


def _select(series: TimeSeries, hub: str) -> TimeSeries:
    """Only column ``hub``; an unknown name lists the available ones (or says it is a load file)."""
    if hub not in series.frame.columns:
        if looks_like_load(series.columns):
            raise InputError(series.source, "this file holds system load (MW), not prices",
                             expected="a price file here; give a load file as --load (grid_load_file)")
        raise InputError(series.source, f"no hub/zone column {hub!r}",
                         expected=f"one of {', '.join(series.columns)} (--hub)")
    return TimeSeries(frame=series.frame[[hub]], step_s=series.step_s, unit=series.unit,
                      source=series.source)


# --- tidy ----------------------------------------------------------------------------------------
def parse_tidy_csv(text: str, source: str, unit: str = PRICE_UNIT) -> TimeSeries:
    """Tidy CSV: ``interval_start_utc`` (with zone), optional ``interval_start_local``, values."""
    frame, lines = parse_csv_table(text, source, required=(INDEX_NAME,))
    header_line = 1
    names = [c for c in _checked_header(frame, source, header_line)
             if c not in (INDEX_NAME, LOCAL_COLUMN)]
    if not names:
        raise InputError(source, "no value columns", line=header_line,
                         expected=f"one numeric column per hub/zone after {INDEX_NAME}")
    starts = to_utc_timestamps(frame, INDEX_NAME, lines, source)
    values = {name: to_float(frame, name, lines, source) for name in names}
    return build_series(starts, values, lines, source, unit)


# --- raw EIA -------------------------------------------------------------------------------------
def parse_eia_csv(text: str, source: str) -> TimeSeries:
    """Raw EIA wholesale file: interval start = UTC interval ending − step (step inferred)."""
    header_index = _eia_header_index(text, source)
    frame, lines = parse_csv_table(text, source, skip_lines=header_index, required=(EIA_KEY,))
    renames, unit = _eia_columns(_checked_header(frame, source, header_index + 1), source,
                                 header_index + 1)
    ends = to_utc_timestamps(frame, EIA_KEY, lines, source, assume_utc=True).as_unit("ns")
    check_increasing(ends.asi8, lines, source, EIA_KEY)
    step_s = infer_step_s(ends, lines, source)
    starts = ends - pd.Timedelta(seconds=step_s)
    values = {tidy: to_float(frame, raw, lines, source) for raw, tidy in renames.items()}
    return build_series(starts, values, lines, source, unit, step_s=step_s)


def _eia_header_index(text: str, source: str) -> int:
    """0-based index of the header line (EIA files have 3 title lines before it)."""
    for i, line in enumerate(_head_lines(text)):
        if line.startswith(EIA_KEY):
            return i
    raise InputError(source, f"no {EIA_KEY!r} header in the first {EIA_MAX_TITLE_LINES} lines",
                     line=1, expected="3 title lines, then the EIA header")


def _eia_columns(header: list[str], source: str, header_line: int) -> tuple[dict[str, str], str]:
    """Map kept EIA value columns to tidy names; the unit is MW when they are loads."""
    renames: dict[str, str] = {}
    loads = 0
    for raw in header:
        if raw == EIA_KEY or raw.startswith(EIA_DROPPED_PREFIXES):
            continue
        tidy, is_load = _eia_tidy_name(raw)
        loads += is_load
        if tidy in renames.values():
            raise InputError(source, f"two columns map to {tidy!r} (second: {raw!r})",
                             line=header_line, expected="one column per hub/zone")
        renames[raw] = tidy
    if not renames:
        raise InputError(source, "no value columns", line=header_line,
                         expected="hub/zone columns after 'Hour Number'")
    if not loads:
        return renames, PRICE_UNIT
    order = {name: i for i, name in enumerate(dict.fromkeys(EIA_LOAD_NAMES.values()))}
    in_tidy_order = sorted(renames.items(), key=lambda item: order.get(item[1], len(order)))
    return dict(in_tidy_order), LOAD_UNIT


def _eia_tidy_name(raw: str) -> tuple[str, bool]:
    """Tidy name of one EIA column ("NP-15 (Congestion)" -> "NP15_congestion"), and is-load."""
    load = _EIA_LOAD.match(raw)
    if load:
        name = load["name"]
        return EIA_LOAD_NAMES.get(name) or _snake(name), True
    price = _EIA_PRICE.match(raw)
    if price is None:
        return _snake(raw), False
    base = EIA_PRICE_NAMES.get(price["name"]) or _snake(price["name"])
    part = price["part"]
    return (base if part is None else f"{base}_{part.lower()}"), False


def _snake(name: str) -> str:
    """Fallback column name for an unknown EIA hub: upper snake case."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").upper()


# --- ERCOT settlement point price reports --------------------------------------------------------
def parse_ercot_spp_report(text: str, source: str) -> TimeSeries:
    """ERCOT SPP report (long, America/Chicago, hour-ending) -> one column per settlement point.

    Real time (NP6-905-CD): ``DeliveryDate`` MM/DD/YYYY, ``DeliveryHour`` 1-24,
    ``DeliveryInterval`` 1-4, ``SettlementPointName``, ``SettlementPointPrice``, ``DSTFlag``.
    Day ahead: ``HourEnding`` "01:00".."24:00" and ``SettlementPoint`` instead -> hourly.
    ``DSTFlag`` = Y marks the second (standard-time) copy of the repeated fall-back hour.
    """
    head = _head_lines(text)
    header = _csv_fields(head[0]) if head else []
    real_time = "HourEnding" not in header
    required = RT_REPORT_COLUMNS if real_time else DA_REPORT_COLUMNS
    frame, lines = parse_csv_table(text, source, required=required)
    local = _local_starts(frame, lines, source, real_time=real_time)
    starts = _chicago_to_utc(local, _dst_flags(frame, lines, source), lines, source)
    point_column = RT_POINT if real_time else DA_POINT
    points = frame[point_column].astype(str).str.strip().to_numpy(dtype=str)
    prices = to_float(frame, REPORT_PRICE, lines, source)
    return _long_to_wide(starts, points, prices, lines, source, field=point_column,
                         step_s=RT_STEP_S if real_time else DA_STEP_S)


def _local_starts(frame: pd.DataFrame, lines: np.ndarray, source: str, *,
                  real_time: bool) -> pd.DatetimeIndex:
    """Naive Central interval starts: date + (hour ending - 1) h + (interval - 1) * 15 min."""
    if real_time:
        hour = _int_column(frame, "DeliveryHour", lines, source, low=1, high=24)
        interval = _int_column(frame, "DeliveryInterval", lines, source, low=1, high=4)
        minutes = (hour - 1) * 60 + (interval - 1) * 15
    else:
        minutes = (_hour_ending(frame, lines, source) - 1) * 60
    day = _delivery_dates(frame, lines, source)
    return pd.DatetimeIndex(day + pd.to_timedelta(minutes, unit="min"))


def _delivery_dates(frame: pd.DataFrame, lines: np.ndarray, source: str) -> pd.DatetimeIndex:
    raw = frame[REPORT_DATE].astype(str).str.strip()
    days = pd.to_datetime(raw, format="%m/%d/%Y", errors="coerce")
    _raise_first(days.isna().to_numpy(), raw, lines, source, field=REPORT_DATE,
                 expected="a date MM/DD/YYYY")
    return pd.DatetimeIndex(days)


def _int_column(frame: pd.DataFrame, column: str, lines: np.ndarray, source: str, *,
                low: int, high: int) -> np.ndarray:
    """Whole numbers in ``low..high`` (e.g. hour-ending 1-24)."""
    expected = f"a whole number {low}-{high}"
    values = to_float(frame, column, lines, source, allow_empty=False, expected=expected)
    bad = (values != np.round(values)) | (values < low) | (values > high)
    _raise_first(bad, frame[column].astype(str), lines, source, field=column, expected=expected)
    return values.astype(np.int64)


def _hour_ending(frame: pd.DataFrame, lines: np.ndarray, source: str) -> np.ndarray:
    """Day-ahead ``HourEnding`` "01:00".."24:00" -> 1..24."""
    raw = frame["HourEnding"].astype(str).str.strip()
    hours = pd.to_numeric(raw.str.extract(r"^(\d{1,2}):00$")[0], errors="coerce").to_numpy(float)
    bad = np.isnan(hours) | (hours < 1) | (hours > 24)
    _raise_first(bad, raw, lines, source, field="HourEnding",
                 expected='an hour ending "01:00".."24:00"')
    return hours.astype(np.int64)


def _dst_flags(frame: pd.DataFrame, lines: np.ndarray, source: str) -> np.ndarray:
    """True where ``DSTFlag`` is Y (the repeated hour); all False when the column is absent."""
    if REPORT_DST not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    raw = frame[REPORT_DST].astype(str).str.strip().str.upper()
    _raise_first(~raw.isin(["Y", "N"]).to_numpy(), frame[REPORT_DST].astype(str), lines, source,
                 field=REPORT_DST, expected="Y or N")
    return raw.eq("Y").to_numpy()


def _chicago_to_utc(local: pd.DatetimeIndex, repeated: np.ndarray, lines: np.ndarray,
                    source: str) -> pd.DatetimeIndex:
    """Local Central starts -> UTC; ``repeated`` picks the later (CST) copy of fall-back times."""
    as_dst = local.tz_localize(ERCOT_TZ, ambiguous=np.ones(len(local), dtype=bool),
                               nonexistent="NaT")
    as_std = local.tz_localize(ERCOT_TZ, ambiguous=np.zeros(len(local), dtype=bool),
                               nonexistent="NaT")
    shown = pd.Series(local.strftime("%Y-%m-%d %H:%M"))
    _raise_first(np.asarray(as_dst.isna()), shown, lines, source, field="delivery time",
                 expected="a local time that exists (the spring-forward day skips 02:00-02:59)")
    ambiguous = as_dst.asi8 != as_std.asi8
    _raise_first(repeated & ~ambiguous, shown, lines, source, field=REPORT_DST,
                 expected="Y only on the repeated 01:00-01:59 hour of the fall-back day")
    return pd.DatetimeIndex(as_std.where(repeated, as_dst)).tz_convert("UTC")


def _long_to_wide(starts: pd.DatetimeIndex, points: np.ndarray, prices: np.ndarray,
                  lines: np.ndarray, source: str, *, field: str, step_s: int) -> TimeSeries:
    """One column per settlement point; a second price for the same point and instant is an error."""
    _raise_first(points == "", pd.Series(points), lines, source, field=field,
                 expected="a settlement point name")
    key = pd.MultiIndex.from_arrays([starts, points], names=[INDEX_NAME, "point"])
    duplicated = key.duplicated()
    if duplicated.any():
        i = int(np.flatnonzero(duplicated)[0])
        raise InputError(
            source, f"second price for {points[i]} at {starts[i]:%Y-%m-%dT%H:%MZ}",
            line=int(lines[i]),
            expected="one row per settlement point and interval (the repeated fall-back hour "
            "needs DSTFlag=Y)",
        )
    wide = pd.Series(prices, index=key).unstack("point")
    first_lines = pd.Series(lines, index=starts).groupby(level=0).min()
    times = pd.DatetimeIndex(wide.index)
    return build_series(
        times,
        {str(c): wide[c].to_numpy(dtype=float) for c in wide.columns},
        first_lines.reindex(times).to_numpy(dtype=np.int64),
        source,
        PRICE_UNIT,
        step_s=step_s,
    )


# --- shared small helpers ------------------------------------------------------------------------
def _head_lines(text: str) -> list[str]:
    """The first few lines, without splitting a large file."""
    return text[:16_384].splitlines()[:EIA_MAX_TITLE_LINES]


def _csv_fields(line: str) -> list[str]:
    return [field.strip() for field in next(csv.reader([line]), [])]


def _checked_header(frame: pd.DataFrame, source: str, header_line: int) -> list[str]:
    """Column names, rejecting empty or repeated ones."""
    names = [str(c) for c in frame.columns]
    seen: set[str] = set()
    for name in names:
        if not name or name in seen:
            problem = "an empty column name" if not name else f"column {name!r} appears twice"
            raise InputError(source, problem, line=header_line,
                             expected="unique, non-empty column names")
        seen.add(name)
    return names


def _raise_first(bad: np.ndarray, raw: pd.Series, lines: np.ndarray, source: str, *,
                 field: str, expected: str) -> None:
    """Raise :class:`InputError` on the first row flagged ``bad``."""
    flags = np.asarray(bad, dtype=bool)
    if flags.any():
        i = int(np.flatnonzero(flags)[0])
        raise InputError(source, f"{raw.iloc[i]!r} is not valid", line=int(lines[i]), field=field,
                         expected=expected)
