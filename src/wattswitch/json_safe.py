"""JSON that every parser reads: NaN and infinities become null (``json.dumps`` would write
``NaN``/``Infinity``, which is not JSON), for the CLI's ``--json`` and the API's stored results."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any


def finite(data: Any) -> Any:
    """Plain data with NaN and infinities replaced by None (JSON and PostgreSQL refuse them)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def dumps(data: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None) -> str:
    """``data`` as strict JSON text (non-finite numbers as null; anything else unserialisable raises)."""
    if default is not None:
        data = json.loads(json.dumps(data, default=default))
    return json.dumps(finite(data), indent=indent, allow_nan=False)
