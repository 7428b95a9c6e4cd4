"""Site files (TOML) to and from :class:`SiteAssessment`; errors name the file and the key.

Numbers are given in the unit their key names (``energised_mw = 200``), or as a string with a
unit that converts to it (``energised_mw = "200 MW"``, ``"0.2 GW"``, ``acres = "80 ha"``,
``fiber_distance_miles = "12 km"``). An unknown unit is an error naming the key and the units
it accepts.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from wattswitch.data.io import read_text, write_text_atomic
from wattswitch.errors import InputError
from wattswitch.model.codec import from_plain, to_plain
from wattswitch.model.site_assessment import SiteAssessment

# key suffix → {unit spelling: factor to the key's unit} (spellings match case-insensitively)
_UNITS: dict[str, dict[str, float]] = {
    "_mw": {"MW": 1.0, "kW": 1e-3, "GW": 1e3},
    "_kw": {"kW": 1.0, "MW": 1e3, "W": 1e-3},
    "_acres": {"acres": 1.0, "acre": 1.0, "ac": 1.0, "ha": 2.471053814671653, "hectares": 2.471053814671653,
               "km2": 247.1053814671653},
    "_miles": {"mi": 1.0, "miles": 1.0, "mile": 1.0, "km": 0.621371192237334},
    "_ms": {"ms": 1.0, "s": 1000.0},
    "_m3_per_day": {"m3/day": 1.0, "m3/d": 1.0, "ML/day": 1000.0, "gal/day": 0.003785411784,
                    "gpd": 0.003785411784},
    "_usd_per_mwh": {"$/MWh": 1.0, "USD/MWh": 1.0, "$/kWh": 1000.0, "USD/kWh": 1000.0},
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d[\d,_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _unit_table(key: str) -> tuple[str, dict[str, float]] | None:
    for suffix, table in _UNITS.items():
        if key.endswith(suffix) or key == suffix[1:]:
            return suffix, table
    return None


def _convert_quantity(text: str, key: str, path: str, source: str) -> float | str:
    found = _unit_table(key)
    if found is None:
        return text
    suffix, table = found
    match = _QUANTITY.match(text)
    if match is None:
        raise InputError(source, f"got {text!r}", field=path,
                         expected=f"a number, or a number with a unit ({', '.join(table)})")
    number = float(match.group(1).replace(",", "").replace("_", ""))
    unit = match.group(2).replace(" ", "").lower()
    if not unit:
        return number
    factors = {spelling.lower(): factor for spelling, factor in table.items()}
    if unit not in factors:
        raise InputError(source, f"unknown unit {match.group(2).strip()!r} in {text!r}", field=path,
                         expected=f"one of {', '.join(table)} (the key is in {suffix.lstrip('_')})")
    return number * factors[unit]


def _with_units_resolved(data: Any, source: str, path: str) -> Any:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            child = f"{path}.{key}"
            if isinstance(value, str):
                out[key] = _convert_quantity(value, key, child, source)
            else:
                out[key] = _with_units_resolved(value, source, child)
        return out
    if isinstance(data, list):
        return [_with_units_resolved(v, source, f"{path}[{i}]") for i, v in enumerate(data)]
    return data


def parse_site_toml(text: str, source: str) -> SiteAssessment:
    """A SiteAssessment from TOML text (the top level is the site table)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(source, f"not valid TOML ({err})", expected="a site TOML file") from err
    return from_plain(SiteAssessment, _with_units_resolved(data, source, "site"), source, path="site")


def load_site(path: str | Path) -> SiteAssessment:
    """Read and validate a site file."""
    return parse_site_toml(read_text(path), str(path))


def site_to_toml(site: SiteAssessment) -> str:
    """TOML text that :func:`parse_site_toml` reads back into an equal SiteAssessment."""
    header = f"# wattswitch site '{site.name}' — plan it with: wattswitch plan FILE\n"
    return header + tomli_w.dumps(to_plain(site))


def save_site(site: SiteAssessment, path: str | Path) -> None:
    """Write the site to ``path`` atomically (a temp file renamed into place)."""
    write_text_atomic(path, site_to_toml(site))
