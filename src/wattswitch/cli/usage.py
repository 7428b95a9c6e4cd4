"""Usage mistakes become one line naming the flag and the fix, exit code 2, whatever the typer/click version.

Typer ≥0.26 raises the exceptions of its vendored click (``typer._click.exceptions``), which are not
subclasses of the installed ``click``'s classes; older typer raises ``click``'s own. Both hierarchies
share class names and the ``exit_code`` / ``format_message()`` interface, so the code here looks at
class names and attributes only and never imports either hierarchy unguarded.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup

from wattswitch.errors import WattswitchError

USAGE_EXIT_CODE = 2


class CommandLineError(WattswitchError):
    """A usage mistake found by the command tree itself; ``usage`` (if any) is shown above the line."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


def _classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from every exception hierarchy importable here (click's, typer's vendored click)."""
    found: list[type[BaseException]] = []
    for module_name in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and issubclass(candidate, BaseException):
            found.append(candidate)
    return tuple(dict.fromkeys(found))


EXIT_CLASSES = _classes("Exit")
ABORT_CLASSES = _classes("Abort")
CLICK_ERROR_CLASSES = _classes("ClickException")


def _class_names(err: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(err).__mro__}


def is_exit(err: BaseException) -> bool:
    """``typer.Exit`` / ``click.exceptions.Exit`` of any hierarchy."""
    return isinstance(err, EXIT_CLASSES) or (
        "Exit" in _class_names(err) and isinstance(getattr(err, "exit_code", None), int)
    )


def is_abort(err: BaseException) -> bool:
    """``typer.Abort`` / ``click.exceptions.Abort`` of any hierarchy."""
    return isinstance(err, ABORT_CLASSES) or "Abort" in _class_names(err)


def is_click_error(err: BaseException) -> bool:
    """A ``ClickException`` of any hierarchy (duck-typed: ``exit_code`` and ``format_message()``)."""
    if isinstance(err, CLICK_ERROR_CLASSES):
        return True
    return isinstance(getattr(err, "exit_code", None), int) and callable(getattr(err, "format_message", None))


def message_of(err: BaseException) -> str:
    """The error's own message on one line (``format_message()`` where it has one)."""
    format_message = getattr(err, "format_message", None)
    return _one_line(str(format_message() if callable(format_message) else err))


# --- the one line -----------------------------------------------------------------------------------
def _one_line(text: str) -> str:
    return " ".join(text.split())


def _help_hint(ctx: Any) -> str:
    path = getattr(ctx, "command_path", None) or "wattswitch"
    return f"see {path} --help"


class _Where:
    """What a context says about the failing command: its path and its parameters."""

    def __init__(self, command_path: str, command: Any) -> None:
        self.command_path = command_path
        self.command = command


def _locate(root: Any, args: Sequence[str]) -> _Where:
    """The command ``args`` name (for errors raised without a context, e.g. a missing option value)."""
    path, command = ["wattswitch"], root
    for arg in args:
        if arg.startswith("-"):
            continue
        sub = getattr(command, "commands", {}).get(arg)
        if sub is None:
            break
        path.append(arg)
        command = sub
    fill_metavars(getattr(command, "params", ()))
    return _Where(" ".join(path), command)


def _long_name(param: Any) -> str:
    """``--jobs`` for an option (its longest spelling), ``FILE`` for an argument."""
    opts = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
    dashed = [o for o in opts if o.startswith("-")]
    if dashed and getattr(param, "param_type_name", "") == "option":
        return str(max(dashed, key=len))
    return str(getattr(param, "metavar", None) or (getattr(param, "name", None) or "VALUE").upper())


def _metavar(param: Any) -> str:
    metavar = getattr(param, "metavar", None)
    return str(metavar) if metavar else "VALUE"


def _help_text(param: Any) -> str:
    text = _one_line(str(getattr(param, "help", None) or "")).rstrip(".")
    first_word = text.split(" ", 1)[0]
    if first_word[1:2].isupper():  # an acronym (CSV, GPU, TOML) keeps its case
        return text
    return text[:1].lower() + text[1:]


def _given_value(param: Any, args: Sequence[str]) -> str | None:
    """The last value the user typed for option ``param`` (``--gpus abc`` or ``--gpus=abc``)."""
    spellings = (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
    opts = [o for o in spellings if o.startswith("-")]
    value: str | None = None
    for index, arg in enumerate(args):
        for opt in opts:
            if arg == opt and index + 1 < len(args):
                value = args[index + 1]
            elif arg.startswith(opt + "=") and opt.startswith("--"):
                value = arg[len(opt) + 1 :]
    return value


def _reason(message: str) -> str:
    """A typer/click/pydantic complaint in a few plain words."""
    lowered = message.lower()
    if "valid integer" in lowered or "is not a valid integer" in lowered:
        return "not a whole number"
    if "valid number" in lowered or "valid float" in lowered or "is not a valid float" in lowered:
        return "not a number"
    text = _one_line(message).rstrip(".")
    text = text.removeprefix("Value error, ").removeprefix("value error, ")
    return text[:1].lower() + text[1:]


def _find_option(ctx: Any, name: str) -> Any:
    command = getattr(ctx, "command", None)
    for param in getattr(command, "params", ()):
        if name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
            return param
    return None


def explain(err: BaseException, args: Sequence[str], root: Any = None) -> str:
    """One line for a typer/click usage error: the flag, what is wrong, the fix and where to read more.

    ``root`` is the top click command, used to find the failing command when the error carries no context.
    """
    names = _class_names(err)
    ctx = getattr(err, "ctx", None)
    if ctx is None and root is not None:
        ctx = _locate(root, args)
    hint = _help_hint(ctx)
    param = getattr(err, "param", None)
    message = str(getattr(err, "message", "") or "")
    if "MissingParameter" in names and param is not None:
        kind = getattr(param, "param_type_name", "parameter")
        flag = _long_name(param)
        give = f"{flag} {_metavar(param)}" if kind == "option" else flag
        about = _help_text(param)
        return f"missing {kind} {flag}: give {give}" + (f", {about}" if about else "") + f" ({hint})"
    if "NoSuchOption" in names:
        option = str(getattr(err, "option_name", "") or message)
        possible = sorted(getattr(err, "possibilities", None) or ())
        guess = f"did you mean {' or '.join(possible)}? " if possible else ""
        return f"unknown option {option}: {guess}{hint} for the options"
    if "BadOptionUsage" in names:
        option = str(getattr(err, "option_name", "") or "")
        found = _find_option(ctx, option)
        if "requires" in message and "argument" in message:
            what = f"{option} {_metavar(found)}" if found is not None else f"{option} and a value"
            return f"option {option} needs a value: give {what} ({hint})"
        return f"option {option}: {_reason(message)} ({hint})"
    if "BadParameter" in names and param is not None:
        flag = _long_name(param)
        given = _given_value(param, args) if getattr(param, "param_type_name", "") == "option" else None
        where = f"{flag} {given}" if given is not None else flag
        range_text = getattr(param, "_get_number_range_help_str", lambda: None)()
        expected = f"{_metavar(param)} ({range_text})" if range_text else _metavar(param)
        if "is not one of" in message:
            return f"{where}: {_reason(message)} ({hint})"
        return f"{where}: {_reason(message)}; expected {expected} ({hint})"
    text = message_of(err)
    if text.startswith("Got unexpected extra argument"):
        extra = text.rpartition("(")[2].rstrip(")")
        return f"unexpected argument {extra}: this command takes no such argument ({hint})"
    return f"{text[:1].lower() + text[1:]} ({hint})"


# --- help with real metavars -------------------------------------------------------------------------
_NAME_METAVARS = (
    ("_mw", "MW"),
    ("_min", "MIN"),
    ("_s", "SECONDS"),
    ("_usd", "USD"),
    ("url", "URL"),
    ("host", "HOST"),
    ("port", "PORT"),
    ("share", "FRACTION"),
)


def _type_name(param: Any) -> str:
    """``path``, ``choice``, ``int``, ``float``, ``str`` … under old and new typer alike."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        if getattr(descriptor, "is_choice", False):
            return "choice"
        if getattr(descriptor, "is_path", False):
            return "path"
        annotation = descriptor.annotation
        args = getattr(annotation, "__args__", None)
        if getattr(descriptor, "is_list", False) and args:
            annotation = args[0]
        name = str(getattr(annotation, "__name__", ""))
        return "path" if name.endswith("Path") else name
    click_type = getattr(param, "type", None)
    return {"integer": "int", "text": "str"}.get(str(getattr(click_type, "name", "")), "")


def default_metavar(param: Any) -> str | None:
    """A meaningful metavar for a parameter that has none (``""`` for flags), or None to keep typer's."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    type_name = _type_name(param)
    if type_name == "choice":
        return None
    name = str(getattr(param, "name", "") or "")
    if type_name in ("int", "float"):
        for suffix, metavar in _NAME_METAVARS:
            if name.endswith(suffix):
                return metavar
        return "N" if type_name == "int" else "NUMBER"
    if type_name == "path":
        return "FILE"
    for part, metavar in _NAME_METAVARS:
        if part in name:
            return metavar
    return "TEXT"


def _no_type(ctx: Any = None) -> None:  # noqa: ARG001  (typer calls it with ctx=)
    return None


def fill_metavars(params: Sequence[Any]) -> None:
    """Give every parameter without a metavar a meaningful one, so help never shows ``<str>``.

    Typer 0.29 prints an argument's type (``<path>``) beside its metavar; an argument that has a
    metavar shows the metavar alone.
    """
    for param in params:
        if getattr(param, "metavar", None) is None:
            metavar = default_metavar(param)
            if metavar is not None:
                param.metavar = metavar
        is_argument = getattr(param, "param_type_name", "") == "argument"
        if is_argument and getattr(param, "metavar", None) and _type_name(param) != "choice":
            param.display_type_rich = _no_type


class WattswitchGroup(TyperGroup):
    """A command group whose usage mistakes are one clear line and whose help shows real metavars."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        fill_metavars(params)
        return params

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            commands = ", ".join(self._visible_commands(ctx))
            raise CommandLineError(
                f"missing command: choose one of {commands} ({_help_hint(ctx)})", usage=ctx.get_usage()
            )
        rest: list[str] = super().parse_args(ctx, args)
        return rest

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            fill_metavars(getattr(command, "params", ()))
            get_help_option = getattr(command, "get_help_option", None)
            if callable(get_help_option) and not isinstance(command, WattswitchGroup):
                help_option = get_help_option(ctx)
                if help_option is not None:
                    fill_metavars([help_option])
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing:
            known = self._visible_commands(ctx)
            if super().get_command(ctx, name) is None:
                close = difflib.get_close_matches(name, known, n=1)
                guess = f"did you mean {close[0]!r}? " if close else ""
                raise CommandLineError(
                    f"unknown command {name!r}: {guess}choose one of {', '.join(known)} ({_help_hint(ctx)})"
                )
        return super().resolve_command(ctx, args)

    def _visible_commands(self, ctx: Any) -> list[str]:
        names: list[str] = []
        for name in self.list_commands(ctx):
            command = super().get_command(ctx, name)
            if command is not None and not getattr(command, "hidden", False):
                names.append(name)
        return names
