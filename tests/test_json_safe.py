"""--json and stored results are strict JSON: NaN and infinities become null, never ``NaN``."""

from __future__ import annotations

import json
import math

from wattswitch.json_safe import dumps, finite


def test_non_finite_numbers_become_null_at_any_depth() -> None:
    data = {"a": math.nan, "b": [1.0, math.inf, {"c": -math.inf}], "d": (2, "x")}
    assert finite(data) == {"a": None, "b": [1.0, None, {"c": None}], "d": [2, "x"]}
    text = dumps(data)
    assert "NaN" not in text
    assert "Infinity" not in text
    assert json.loads(text) == {"a": None, "b": [1.0, None, {"c": None}], "d": [2, "x"]}


def test_a_default_converter_is_applied_before_the_check() -> None:
    class Odd:
        pass

    assert json.loads(dumps({"x": Odd()}, default=lambda _: math.nan)) == {"x": None}
