"""Usage mistakes as a newcomer makes them, on the real executable: one line, exit 2, no traceback."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

import wattswitch

FIXTURES = Path(__file__).parents[1] / "fixtures"
JOBS = FIXTURES / "scheduling" / "tiny_jobs.csv"
# Run the module on the very sources this test process imported (then whatever else is on the path, e.g.
# another typer to check against); wide lines so nothing wraps.
SOURCES = str(Path(wattswitch.__file__).parents[1])
PYTHONPATH = os.pathsep.join(p for p in (SOURCES, os.environ.get("PYTHONPATH")) if p)
ENV = {**os.environ, "PYTHONPATH": PYTHONPATH, "COLUMNS": "200"}
BANNED_TYPES = ("<bool>", "<str>", "<int>", "<float>", "<path>", "<list[")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m wattswitch ARGS`` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "wattswitch", *args], capture_output=True, text=True,
                          timeout=300, check=False, env=ENV)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line on stderr of a usage error (exit 2, nothing on stdout, no traceback)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_no_arguments_is_a_short_usage_block_and_exit_2() -> None:
    result = run()
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert 1 < len(lines) <= 4
    assert lines[0].startswith("Usage: wattswitch")
    assert "missing command" in lines[-1]
    assert "simulate" in lines[-1]
    assert "wattswitch --help" in lines[-1]


def test_a_group_without_its_command_says_which_commands_it_has() -> None:
    result = run("scenario")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "show, save, check" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("simulat",), ("unknown command 'simulat'", "did you mean 'simulate'", "wattswitch --help")),
        (("bogus",), ("unknown command 'bogus'", "schedule")),
        (("schedule",), ("missing option --jobs", "give --jobs FILE", "see wattswitch schedule --help")),
        (("schedule", "--jobs", str(JOBS), "--gpus", "abc"), ("--gpus abc", "not a whole number", "N")),
        (("schedule", "--jobs", str(JOBS), "--gpus=abc"), ("--gpus abc", "not a whole number")),
        (("simulate", "--start"), ("option --start needs a value", "give --start ",
                                   "see wattswitch simulate --help")),
        (("simulate", "--frob"), ("unknown option --frob", "wattswitch simulate --help")),
        (("simulate", "--jsn"), ("unknown option --jsn", "--json")),
        (("scenario", "save"), ("missing argument FILE", "see wattswitch scenario save --help")),
        (("scenario", "check", "a.toml", "b.toml"), ("unexpected argument b.toml",)),
        (("data", "inspect", "x.csv", "--kind", "nope"), ("--kind nope", "prices")),
        (("schedule", "--jobs", str(JOBS), "--limit-jobs", "0"), ("--limit-jobs 0", "x>=1")),
    ],
)
def test_usage_mistakes_are_one_line_naming_the_flag(args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    line = one_error_line(run(*args))
    for needle in needles:
        assert needle in line


def test_version_flag_and_command() -> None:
    for args in (("--version",), ("version",)):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == wattswitch.__version__


def test_help_exits_0_on_stdout() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "simulate" in result.stdout
    assert "--version" in result.stdout


# --- errors name the flag the user typed, never an internal object ------------------------------------
@pytest.mark.parametrize(
    ("args", "start"),
    [
        (("simulate", "--start", "2025-03-01", "--end", "2025-02-01"), "error: --start/--end: 2025-03-01"),
        (("compare", "--start", "2025-03-01", "--end", "2025-03-01"), "error: --start/--end:"),
        (("simulate", "--start", "2030-01-01"), "error: --start 2030-01-01: not before the scenario's end"),
        (("simulate", "--end", "2020-01-01"), "error: --end 2020-01-01: not after the scenario's start"),
        (("simulate", "--step", "600"), "error: --step 600: "),
        (("simulate", "--policy", "mpc", "--policy", "threshold"), "error: --policy: simulate runs one"),
        (("simulate", "--policy", "mpc,threshold"), "error: --policy: simulate runs one"),
        (("simulate", "--policy", "nope"), "error: --policy: unknown policy nope"),
        (("compare", "--policy", "mpc", "--policies", "threshold"), "error: --policies: "),
        (("schedule", "--jobs", str(JOBS), "--gpus", "100"),
         "error: --gpus 100: not a multiple of 8 GPUs per node"),
        (("schedule", "--jobs", str(JOBS), "--gpus", "4"), "error: --gpus 4: fewer GPUs than one node"),
        (("schedule", "--jobs", str(JOBS), "--policy", "fifo", "--compare"), "error: --policy/--compare: "),
        (("schedule", "--jobs", str(JOBS), "--policy", "sjf"), "error: --policy: unknown policy sjf"),
        (("schedule", "--jobs", "nope.csv"), "error: --jobs nope.csv: no such file"),
        (("simulate", "--prices", "nope.csv"), "error: --prices nope.csv: no such file"),
        (("compare", "--scenario", "nope.toml"), "error: --scenario nope.toml: no such file"),
    ],
)
def test_errors_name_the_flags_given(args: tuple[str, ...], start: str) -> None:
    line = one_error_line(run(*args))
    assert line.startswith(start), line
    assert "Scenario" not in line
    assert "ClusterSpec" not in line
    assert "_utc" not in line


@pytest.mark.parametrize("command", ["simulate", "compare"])
@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("missing-folder/report.html", "does not exist"),
        (".", "is a folder"),
        ("/proc/report.html", "cannot write"),
    ],
)
def test_a_bad_report_path_fails_before_the_backtest(
    command: str, target: str, needle: str, tmp_path: Path
) -> None:
    path = target if target.startswith("/") else str(tmp_path / target)
    line = one_error_line(run(command, "--report", path))
    assert line.startswith(f"error: --report {path}"), line
    assert needle in line


def test_plan_report_path_is_checked_before_planning(tmp_path: Path) -> None:
    site = Path(__file__).parents[2] / "examples" / "sites" / "permian-200.toml"
    line = one_error_line(run("plan", str(site), "--report", str(tmp_path / "nope" / "plan.html")))
    assert line.startswith("error: --report "), line


def test_scenario_save_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text("# mine\n", encoding="utf-8")
    line = one_error_line(run("scenario", "save", str(path)))
    assert line.startswith(f"error: {path}: already exists"), line
    assert "--force" in line
    assert path.read_text(encoding="utf-8") == "# mine\n"
    forced = run("scenario", "save", str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "[site]" in path.read_text(encoding="utf-8")


# --- data inspect: a system-load file is MW, and gaps are lengths of time ----------------------------------
def test_data_inspect_knows_a_load_file_and_gives_gap_lengths() -> None:
    path = FIXTURES / "prices" / "tidy_ercot_load_sample.csv"
    text = run("data", "inspect", str(path))
    assert text.returncode == 0, text.stderr
    assert "(load, MW)" in text.stdout
    assert "$/MWh" not in text.stdout
    assert "usd_per_mwh" not in text.stdout
    assert "longest gap 3 h" in text.stdout
    summary = json.loads(run("data", "inspect", str(path), "--json").stdout)
    assert (summary["kind"], summary["unit"]) == ("load", "mw")
    assert summary["gaps"]["longest_s"] == 3 * 3600
    assert summary["gaps"]["missing_s"] == 3 * 3600
    assert summary["gaps"]["longest"]["duration_s"] == 3 * 3600


def test_data_inspect_a_raw_eia_load_file_is_load() -> None:
    summary = json.loads(run("data", "inspect", str(FIXTURES / "prices" / "eia_ercot_load_2020_names.csv"),
                             "--json").stdout)
    assert (summary["kind"], summary["unit"]) == ("load", "mw")


@pytest.mark.realdata
def test_data_inspect_the_real_ercot_load_file(shared_data: Path) -> None:
    folder = shared_data / "ercot_load_hourly_by_weather_zone"
    path = folder / "ercot_load_hourly_by_weather_zone_2020_2023.csv.gz"
    summary = json.loads(run("data", "inspect", str(path), "--json").stdout)
    assert (summary["kind"], summary["unit"]) == ("load", "mw")
    assert summary["gaps"]["longest"]["intervals"] == 1042
    assert summary["gaps"]["longest_s"] == 1042 * 3600
    text = run("data", "inspect", str(path)).stdout
    assert "longest gap 43 d 10 h" in text


# --- help shows real metavars and defaults ---------------------------------------------------------------
COMMANDS = [
    (), ("scenario",), ("scenario", "show"), ("scenario", "save"), ("scenario", "check"), ("data",),
    ("data", "inspect"), ("plan",), ("simulate",), ("compare",), ("schedule",), ("serve",), ("version",),
    ("control",), ("control", "event"), ("control", "demo"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "wattswitch")
def test_help_shows_metavars_not_python_types(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    for banned in BANNED_TYPES:
        assert banned not in result.stdout, (banned, result.stdout)


def test_help_shows_the_metavars_and_defaults_a_newcomer_needs() -> None:
    simulate = run("simulate", "--help").stdout
    for text in ("--policy", "POLICY", "[default: mpc]", "YYYY-MM-DD", "--report", "FILE", "SECONDS"):
        assert text in simulate, text
    compare = run("compare", "--help").stdout
    assert "--policies" not in compare  # the deprecated spelling is hidden
    assert "[default: always-on, threshold, mpc, oracle]" in compare
    schedule = run("schedule", "--help").stdout
    for text in ("--gpus", "[default: 640]", "[default: srtf-est]", "--jobs", "FILE"):
        assert text in schedule, text


# --- the same line whichever click raised it (installed click, or typer ≥0.26's vendored copy) -----------
def _exception_modules() -> list[ModuleType]:
    modules = []
    for name in ("click.exceptions", "typer._click.exceptions"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


EXCEPTION_MODULES = _exception_modules()
JOBS_PARAM = SimpleNamespace(opts=["--jobs"], secondary_opts=[], param_type_name="option", metavar="FILE",
                             help="Job trace CSV.", name="jobs")
SCHEDULE_CTX = SimpleNamespace(command_path="wattswitch schedule",
                               command=SimpleNamespace(params=[JOBS_PARAM]), color=None)


def _raising(err: BaseException) -> Callable[..., object]:
    def app(**_kwargs: object) -> object:
        raise err

    return app


@pytest.mark.parametrize("module", EXCEPTION_MODULES, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    ("make", "line"),
    ids=["missing", "no-such-option", "bad-parameter", "extra-argument"],
    argvalues=[
        (lambda m: m.MissingParameter(ctx=SCHEDULE_CTX, param=JOBS_PARAM),
         "missing option --jobs: give --jobs FILE, job trace CSV (see wattswitch schedule --help)"),
        (lambda m: m.NoSuchOption("--jbos", possibilities=["--jobs"], ctx=SCHEDULE_CTX),
         "unknown option --jbos: did you mean --jobs? see wattswitch schedule --help for the options"),
        (lambda m: m.BadParameter("'x' is not a valid integer.", ctx=SCHEDULE_CTX, param=JOBS_PARAM),
         "--jobs x: not a whole number; expected FILE (see wattswitch schedule --help)"),
        (lambda m: m.UsageError("Got unexpected extra argument (y)", ctx=SCHEDULE_CTX),
         "unexpected argument y: this command takes no such argument (see wattswitch schedule --help)"),
    ],
)
def test_click_errors_of_either_hierarchy_become_the_same_line(
    module: ModuleType, make: Callable[[ModuleType], BaseException], line: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from wattswitch.cli import main as cli_main

    monkeypatch.setattr(cli_main, "app", _raising(make(module)))
    with pytest.raises(SystemExit) as exited:
        cli_main.main(["schedule", "--jobs", "x"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"error: {line}"]


@pytest.mark.parametrize("module", EXCEPTION_MODULES, ids=lambda m: m.__name__)
def test_exit_and_abort_of_either_hierarchy(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wattswitch.cli import main as cli_main

    exit_class = getattr(module, "Exit", None) or importlib.import_module("typer.exceptions").Exit
    abort_class = getattr(module, "Abort", None) or importlib.import_module("typer.exceptions").Abort
    for err, code in ((exit_class(3), 3), (abort_class(), 1)):
        monkeypatch.setattr(cli_main, "app", _raising(err))
        with pytest.raises(SystemExit) as exited:
            cli_main.main([])
        assert exited.value.code == code
    assert "Traceback" not in capsys.readouterr().err
