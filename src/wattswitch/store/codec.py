"""Plain JSON payloads to domain objects and back: scenarios and site assessments.

JSON has no date-times, so fields the dataclass declares as ``datetime`` travel as ISO 8601 text
with a zone (``2025-07-01T05:00:00Z``). Everything goes through ``model.codec.from_plain``, so a
bad payload raises an InputError naming the field. :func:`check_plain` rejects what a database
cannot hold faithfully (NUL characters, lone surrogates, NaN and infinities) before anything is
parsed or written.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from datetime import datetime
from typing import Any, TypeVar

from wattswitch.data.scenario_file import parse_scenario_toml
from wattswitch.data.site_file import parse_site_toml
from wattswitch.errors import InputError
from wattswitch.model.codec import from_plain, to_plain
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_assessment import SiteAssessment

T = TypeVar("T")
MAX_DEPTH = 32


def bad_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (NUL or a lone surrogate), or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    return None


def check_plain(data: Any, source: str, path: str, depth: int = 0) -> None:
    """Reject NUL/surrogate text, non-finite numbers and absurd nesting anywhere in ``data``."""
    if depth > MAX_DEPTH:
        raise InputError(source, "nested too deeply", field=path, expected=f"at most {MAX_DEPTH} levels")
    if isinstance(data, str):
        problem = bad_text(data)
        if problem:
            raise InputError(source, f"text {problem}", field=path, expected="printable text")
    elif isinstance(data, float):
        if not math.isfinite(data):
            raise InputError(source, f"got {data!r}", field=path, expected="a finite number")
    elif isinstance(data, dict):
        for key, value in data.items():
            check_plain(key, source, path, depth + 1)
            check_plain(value, source, f"{path}.{key}", depth + 1)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            check_plain(value, source, f"{path}[{i}]", depth + 1)


def _is_datetime(annotation: Any) -> bool:
    if annotation is datetime:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(a is datetime for a in typing.get_args(annotation))
    return False


def _dataclass_of(annotation: Any) -> Any:
    """The dataclass inside ``X``, ``X | None`` or ``tuple[X, ...]`` (else None)."""
    if dataclasses.is_dataclass(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        if arg is not type(None) and arg is not Ellipsis and dataclasses.is_dataclass(arg):
            return arg
    return None


def with_datetimes(cls: Any, data: Any) -> Any:
    """``data`` with ISO text parsed wherever ``cls`` declares a datetime (unparseable text is left for
    ``from_plain`` to report with its field)."""
    if not isinstance(data, dict) or not dataclasses.is_dataclass(cls):
        return data
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for key, value in data.items():
        annotation = hints.get(key) if isinstance(key, str) else None
        if annotation is None:
            out[key] = value
        elif _is_datetime(annotation) and isinstance(value, str):
            try:
                out[key] = datetime.fromisoformat(value)
            except ValueError:
                out[key] = value
        elif (inner := _dataclass_of(annotation)) is not None:
            if isinstance(value, list):
                out[key] = [with_datetimes(inner, v) for v in value]
            else:
                out[key] = with_datetimes(inner, value)
        else:
            out[key] = value
    return out


def jsonable(value: Any) -> Any:
    """Plain data with datetimes as ISO text (UTC written ``Z``)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def scenario_from_json(data: Any, source: str = "scenario") -> Scenario:
    """A Scenario from plain JSON (the shape ``scenario show --json`` prints under ``scenario``)."""
    check_plain(data, source, "scenario")
    return from_plain(Scenario, with_datetimes(Scenario, data), source, path="scenario")


def scenario_from_toml(text: str, source: str = "scenario") -> Scenario:
    """A Scenario from TOML text (a scenario file)."""
    check_plain(text, source, "toml")
    return parse_scenario_toml(text, source)


def scenario_to_json(scenario: Scenario) -> dict[str, Any]:
    """Plain JSON of a scenario (reads back equal through :func:`scenario_from_json`)."""
    return typing.cast(dict[str, Any], jsonable(to_plain(scenario)))


def site_from_json(data: Any, source: str = "assessment") -> SiteAssessment:
    """A site assessment from plain JSON (a site file's tables; numbers in the unit each key names)."""
    check_plain(data, source, "site")
    return from_plain(SiteAssessment, data, source, path="site")


def site_from_toml(text: str, source: str = "assessment") -> SiteAssessment:
    """A site assessment from a site TOML file's text (unit strings such as ``"200 MW"`` allowed)."""
    check_plain(text, source, "toml")
    return parse_site_toml(text, source)


def site_to_json(site: SiteAssessment) -> dict[str, Any]:
    """Plain JSON of a site assessment."""
    return typing.cast(dict[str, Any], jsonable(to_plain(site)))
