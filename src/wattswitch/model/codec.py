"""Convert frozen dataclasses to plain dicts (TOML/JSON-ready) and back, with field-precise errors."""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, TypeVar

from wattswitch.errors import InputError, ModelError, shown

T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """A dataclass tree as dicts, lists and scalars; ``None`` fields are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            field_value = getattr(value, item.name)
            if field_value is not None:
                out[item.name] = to_plain(field_value)
        return out
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    return value


def from_plain(cls: type[T], data: Any, source: str, path: str = "") -> T:
    """Build ``cls`` from plain data; any problem raises InputError naming ``source`` and the key."""
    return typing.cast(T, _convert(cls, data, source, path or cls.__name__))


def _convert(annotation: Any, data: Any, source: str, path: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if data is None:
            return None
        return _convert(options[0], data, source, path)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(annotation)
        if not isinstance(data, list | tuple):
            raise InputError(source, f"got {type(data).__name__}", field=path, expected="a list")
        return tuple(_convert(item_type, v, source, f"{path}[{i}]") for i, v in enumerate(data))
    if dataclasses.is_dataclass(annotation):
        return _build(typing.cast(type, annotation), data, source, path)
    return _scalar(annotation, data, source, path)


def _build(cls: type, data: Any, source: str, path: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(source, f"got {type(data).__name__}", field=path, expected="a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InputError(
            source, f"unknown key(s) {', '.join(unknown)}", field=path,
            expected=f"keys among {', '.join(fields)}",
        )
    kwargs: dict[str, Any] = {}
    for field_name, field in fields.items():
        if field_name in data:
            kwargs[field_name] = _convert(hints[field_name], data[field_name], source,
                                          f"{path}.{field_name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise InputError(source, "missing", field=f"{path}.{field_name}",
                             expected=f"a value for {field_name}")
    try:
        return cls(**kwargs)
    except ModelError as err:
        raise InputError(source, str(err), field=path) from err


def _scalar(annotation: Any, data: Any, source: str, path: str) -> Any:
    if annotation is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise InputError(source, f"got {_got(data)}", field=path, expected="a number")
        return float(data)
    if annotation is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise InputError(source, f"got {_got(data)}", field=path, expected="a whole number")
        return data
    if annotation is bool:
        if not isinstance(data, bool):
            raise InputError(source, f"got {_got(data)}", field=path, expected="true or false")
        return data
    if annotation is str:
        if not isinstance(data, str):
            raise InputError(source, f"got {_got(data)}", field=path, expected="a string")
        return data
    if annotation is datetime:
        if isinstance(data, str):  # quoted in TOML, or from JSON: the same ISO 8601 text
            with contextlib.suppress(ValueError):
                data = datetime.fromisoformat(data.strip())
        if not isinstance(data, datetime) or data.tzinfo is None:
            raise InputError(source, f"got {_got(data)}", field=path,
                             expected="a date-time with zone, e.g. 2025-01-01T00:00:00Z "
                                      "(quoted or not)")
        return data
    raise TypeError(f"codec: unsupported field type {annotation!r} at {path}")


def _got(data: Any) -> str:
    """What the file holds, as its author wrote it (short; a date-time without its zone said so)."""
    if isinstance(data, datetime):
        return f"{data.isoformat()}" + (" (no time zone)" if data.tzinfo is None else "")
    return shown(data) if isinstance(data, str) else shown(repr(data))
