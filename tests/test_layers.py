"""Imports point down only (DESIGN.md), and the core imports no I/O framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "wattswitch"

# Rank of each layer: a module may import only layers of equal or lower rank.
LAYER_RANK = {
    "errors": 0, "model": 1, "economics": 2, "dispatch": 3, "scheduling": 3,
    "sim": 4, "metrics": 4, "report": 4, "control": 5, "store": 5, "data": 5,
    "cli": 6, "api": 6, "web": 6,
}
CORE = ("model", "economics", "dispatch", "scheduling")
IO_FRAMEWORKS = (
    "sqlalchemy", "fastapi", "pyasic", "httpx", "requests", "uvicorn", "gridstatus", "psycopg",
    "typer", "rich", "alembic", "starlette", "grpclib", "pynvml", "matplotlib", "plotly",
)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _layer(module_path: Path) -> str:
    parts = module_path.relative_to(SRC).with_suffix("").parts
    return parts[0]


MODULES = sorted(p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] in LAYER_RANK
                 or p.stem in LAYER_RANK)


def test_every_layer_of_the_design_exists() -> None:
    for layer in LAYER_RANK:
        assert (SRC / layer).is_dir() or (SRC / f"{layer}.py").is_file(), layer


def _violations(own: str, names: list[str]) -> list[str]:
    found: list[str] = []
    for name in names:
        parts = name.split(".")
        if own in CORE and parts[0] in IO_FRAMEWORKS:
            found.append(f"core layer {own} imports I/O framework {name}")
        is_layer = parts[0] == "wattswitch" and len(parts) > 1 and parts[1] in LAYER_RANK
        if is_layer and LAYER_RANK[parts[1]] > LAYER_RANK[own]:
            found.append(f"{own} imports the higher layer {name}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_and_core_stays_pure(path: Path) -> None:
    assert _violations(_layer(path), _imports(path)) == []


def test_the_checker_catches_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom wattswitch.cli import main\nfrom wattswitch.model import x\n")
    assert _violations("dispatch", _imports(bad)) == [
        "core layer dispatch imports I/O framework sqlalchemy",
        "dispatch imports the higher layer wattswitch.cli",
    ]
