"""Helpers the commands share for their options: policy lists, flags the user gave, output files."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from wattswitch.errors import InputError


def split_names(values: Iterable[str] | None) -> list[str]:
    """Names from a repeated option, each value possibly comma-separated; order kept, repeats dropped.

    >>> split_names(["mpc", "threshold,oracle", "mpc"])
    ['mpc', 'threshold', 'oracle']
    """
    names: list[str] = []
    for value in values or ():
        for name in value.split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names


def check_names(names: Sequence[str], known: Sequence[str], flag: str = "--policy") -> None:
    """Every name must be one of ``known``; the error names ``flag`` and lists the choices."""
    if not names:
        raise InputError(flag, "no policy given", expected=f"at least one of {', '.join(known)}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(flag, f"unknown policy {', '.join(unknown)}", expected=", ".join(known))


def given(ctx: Any, name: str) -> bool:
    """Whether the user typed the parameter ``name`` (rather than it taking its default)."""
    get_source = getattr(ctx, "get_parameter_source", None)
    source = get_source(name) if callable(get_source) else None
    return source is not None and getattr(source, "name", "") not in ("DEFAULT", "DEFAULT_MAP")


def check_input_files(files: dict[str, Path | None]) -> None:
    """Each given file (by the flag that named it) must exist and be a file; the error names the flag."""
    for flag, path in files.items():
        if path is None:
            continue
        if not path.exists():
            raise InputError(f"{flag} {path}", "no such file", expected="an existing file (check the path)")
        if path.is_dir():
            raise InputError(f"{flag} {path}", "is a folder", expected="a file inside it")


def check_output_file(path: Path, flag: str, *, overwrite: bool = True, example: str = "report.html") -> None:
    """Fail now, naming ``flag``, when ``path`` cannot be written — before any long computation runs.

    The check creates (and removes) a temporary file beside ``path``, as the atomic write later will.
    """
    shown = f"{flag} {path}" if flag else str(path)
    if path.is_dir():
        raise InputError(shown, "is a folder", expected=f"a file path, e.g. {path / example}")
    folder = path.parent
    if not folder.exists():
        raise InputError(shown, f"folder {folder} does not exist",
                         expected="an existing folder (create it first)")
    if not folder.is_dir():
        raise InputError(shown, f"{folder} is not a folder", expected="a path inside an existing folder")
    if path.exists() and not overwrite:
        raise InputError(shown, "already exists", expected="another file name, or --force to overwrite it")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise InputError(shown, f"cannot write in folder {folder} ({reason})",
                         expected="a folder you can write to") from err
