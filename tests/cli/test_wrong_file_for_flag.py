"""A file given to the wrong flag says what it holds and which flag takes it, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_testing import run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "prices"
PRICES = FIXTURES / "tidy_ercot_rt_sample.csv"
LOAD = FIXTURES / "eia_ercot_load_2020_names.csv"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--prices", str(LOAD)), "this file holds system load (MW), not prices"),
        (("--day-ahead", str(LOAD)), "give a load file as --load"),
        (("--load", str(PRICES)), "this file holds hub prices, not system load"),
        (("--prices", str(PRICES), "--hub", "HB_FOO"), "no hub/zone column 'HB_FOO'"),
    ],
)
def test_the_wrong_file_is_named_with_the_flag_that_takes_it(args: tuple[str, ...], says: str) -> None:
    done = run_cli("simulate", *args, "--start", "2021-02-15", "--end", "2021-02-16", timeout_s=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert says in line
