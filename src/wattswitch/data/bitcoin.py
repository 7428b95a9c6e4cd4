"""Daily Bitcoin network economics (price, hash rate, fees, issuance, hashprice) as a TimeSeries.

Parsers are pure (text in, :class:`TimeSeries` out); :func:`load_bitcoin` reads a file and sniffs
its format. Rows sit on a complete grid of UTC day starts (step 86 400 s); a day missing from the
file, or a day without a value, is NaN and never filled. Column units are in the column names,
so ``TimeSeries.unit`` is ``"per_column"``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wattswitch.data.io import check_non_negative, parse_csv_table, read_text, to_float, to_utc_timestamps
from wattswitch.data.regular import build_series
from wattswitch.economics.hashprice import (
    hashprice_usd_per_ph_day,
    miner_revenue_usd_per_day,
    smooth_hashprice,
)
from wattswitch.errors import InputError
from wattswitch.model.timeseries import TimeSeries

DAY_S = 86_400
UNIT = "per_column"
H_PER_TH = 1e12
HASHPRICE = "hashprice_usd_per_ph_day"
NETWORK_COLUMNS = ("price_usd", "hashrate_th_s", "fees_usd", "issuance_usd", HASHPRICE)
BITINFOCHARTS_COLUMNS = ("price_usd", "hashrate_th_s", HASHPRICE)

# Coin Metrics metric names -> our names.
_COINMETRICS = {
    "PriceUSD": "price_usd",
    "HashRate": "hashrate_th_s",
    "FeeTotUSD": "fees_usd",
    "IssTotUSD": "issuance_usd",
}
_SIMPLE = ("price_usd", "hashrate_th_s", "fees_usd", "issuance_usd")
_BITINFOCHARTS_REQUIRED = (
    "date", "price_usd", "hashrate_h_s", "mining_profitability_usd_per_th_day",
)


def _days(frame: pd.DataFrame, lines: np.ndarray, source: str) -> pd.DatetimeIndex:
    """The ``date`` column as UTC day starts (naive dates are UTC days)."""
    days = to_utc_timestamps(frame, "date", lines, source, assume_utc=True)
    off = np.flatnonzero(days.asi8 % (DAY_S * 1_000_000_000) != 0)
    if off.size:
        i = int(off[0])
        raise InputError(
            source, f"{frame['date'].iloc[i]!r} is not a UTC day start", line=int(lines[i]),
            field="date", expected="a date such as 2023-01-31 (one row per UTC day)",
        )
    return days



def _daily_series(
    days: pd.DatetimeIndex, columns: dict[str, np.ndarray], lines: np.ndarray, source: str
) -> TimeSeries:
    return build_series(days, columns, lines, source, UNIT, step_s=DAY_S)


def _with_smoothed_hashprice(series: TimeSeries, smoothing_days: int) -> TimeSeries:
    """A copy whose hashprice column is the trailing ``smoothing_days``-day mean (0 = as is)."""
    if smoothing_days < 0:
        raise InputError(series.source, f"smoothing_days = {smoothing_days}", expected="≥ 0")
    if smoothing_days <= 1:
        return series
    frame = series.frame.copy()
    frame[HASHPRICE] = smooth_hashprice(frame[HASHPRICE], smoothing_days)
    return TimeSeries(frame=frame, step_s=series.step_s, unit=series.unit, source=series.source)


def parse_coinmetrics_csv(text: str, source: str, smoothing_days: int = 0) -> TimeSeries:
    """Daily network series from a Coin Metrics CSV or one of our two simple daily CSVs.

    Accepted headers (``date`` is a UTC day, one row per day, increasing, no repeats):

    * Coin Metrics: ``PriceUSD``, ``HashRate`` (TH/s), ``FeeTotUSD``, ``IssTotUSD`` (other columns,
      including a pre-computed hashprice, are ignored);
    * ours: ``price_usd``, ``hashrate_th_s``, ``fees_usd``, ``issuance_usd``;
    * hashprice only: ``hashprice_usd_per_ph_day`` (the other four columns are then NaN).

    Returns columns ``price_usd``, ``hashrate_th_s``, ``fees_usd``, ``issuance_usd`` and
    ``hashprice_usd_per_ph_day`` = 1000·(fees + issuance)/hash rate (computed here). Days without a
    value (e.g. before 2010-07-18, when Bitcoin had no market price) stay NaN. ``smoothing_days``
    > 1 replaces hashprice with its trailing mean over that many days.
    """
    frame, lines = parse_csv_table(text, source, required=("date",))
    header = set(frame.columns)
    names: dict[str, str]
    if set(_COINMETRICS) <= header:
        names = _COINMETRICS
    elif set(_SIMPLE) <= header:
        names = {c: c for c in _SIMPLE}
    elif HASHPRICE in header:
        names = {}
    else:
        raise InputError(
            source, "unknown daily Bitcoin format", line=1,
            expected=(
                "columns date + PriceUSD, HashRate, FeeTotUSD, IssTotUSD (Coin Metrics), "
                "or date + price_usd, hashrate_th_s, fees_usd, issuance_usd, "
                f"or date + {HASHPRICE} (found {', '.join(frame.columns)})"
            ),
        )
    days = _days(frame, lines, source)
    nan = np.full(len(frame), np.nan)
    if names:
        values = {
            ours: check_non_negative(to_float(frame, theirs, lines, source), lines, source, theirs)
            for theirs, ours in names.items()
        }
        revenue = miner_revenue_usd_per_day(values["fees_usd"], values["issuance_usd"])
        values[HASHPRICE] = hashprice_usd_per_ph_day(revenue, values["hashrate_th_s"])
    else:
        hashprice = to_float(frame, HASHPRICE, lines, source)
        values = dict.fromkeys(_SIMPLE, nan) | {
            HASHPRICE: check_non_negative(hashprice, lines, source, HASHPRICE)
        }
    series = _daily_series(days, {c: values[c] for c in NETWORK_COLUMNS}, lines, source)
    return _with_smoothed_hashprice(series, smoothing_days)


def parse_bitinfocharts_csv(text: str, source: str) -> TimeSeries:
    """Daily series from the bitinfocharts export (an independent cross-check).

    Returns ``price_usd``, ``hashrate_th_s`` (the file's ``hashrate_h_s`` / 1e12: the file is in
    H/s) and ``hashprice_usd_per_ph_day`` = 1000 · ``mining_profitability_usd_per_th_day``.
    bitinfocharts rounds profitability to two decimals in later years (0.25 $/TH/day), so this
    is for validation, not for decisions.
    """
    frame, lines = parse_csv_table(text, source, required=_BITINFOCHARTS_REQUIRED)
    days = _days(frame, lines, source)

    def column(name: str) -> np.ndarray:
        return check_non_negative(to_float(frame, name, lines, source), lines, source, name)

    values = {
        "price_usd": column("price_usd"),
        "hashrate_th_s": column("hashrate_h_s") / H_PER_TH,
        HASHPRICE: column("mining_profitability_usd_per_th_day") * 1000.0,
    }
    return _daily_series(days, values, lines, source)


def _is_bitinfocharts(text: str) -> bool:
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    names = {h.strip() for h in header.split(",")}
    return "hashrate_h_s" in names or "mining_profitability_usd_per_th_day" in names


def parse_bitcoin(text: str, source: str, smoothing_days: int = 0) -> TimeSeries:
    """Sniff the format (bitinfocharts or Coin Metrics / ours) from the header and parse it."""
    if _is_bitinfocharts(text):
        return _with_smoothed_hashprice(parse_bitinfocharts_csv(text, source), smoothing_days)
    return parse_coinmetrics_csv(text, source, smoothing_days)


def load_bitcoin(path: str | Path, smoothing_days: int = 0) -> TimeSeries:
    """Read a daily Bitcoin CSV (``.gz`` allowed) of any format :func:`parse_bitcoin` accepts."""
    return parse_bitcoin(read_text(path), str(path), smoothing_days)
