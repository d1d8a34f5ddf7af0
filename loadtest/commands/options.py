"""The options every command spells the same way: a list is a repeatable flag whose value may
also be comma-separated (`--scenario fib --scenario users` or `--scenario fib,users`; a list of
names given as arguments takes commas too: `sweep go_stdlib,rust_axum`), `--out` is
always a folder, and `--dry-run` prints the plan and exits 0 without starting anything."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path

from ..core.errors import UsageError


class Default(list):
    """A list option's default: replaced, not extended, by the first value given."""


class ListAction(argparse.Action):
    """Extends the list with each comma-separated item, checked against `names` (when given)
    here rather than by argparse, whose `choices` would test the whole list."""

    def __init__(self, option_strings, dest, names: Iterable[str] | None = None,
                 convert: Callable[[str], object] = str, **kwargs):
        self.names = list(names) if names is not None else None
        self.convert = convert
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        current = getattr(namespace, self.dest, None)
        items = [] if current is None or isinstance(current, Default) else list(current)
        for value in values if isinstance(values, list) else [values]:
            for part in str(value).split(","):
                part = part.strip()
                if not part:
                    parser.error(f"argument {option_string}: an empty name in {value!r}")
                if self.names is not None and part not in self.names:
                    parser.error(f"argument {option_string}: unknown {part!r} (one of: {', '.join(self.names)})")
                items.append(self.convert(part))
        setattr(namespace, self.dest, items)


def add_list(parser: argparse.ArgumentParser, flag: str, *, dest: str, help: str,
             names: Iterable[str] | None = None, default: list | None = None, metavar: str | None = None,
             convert: Callable[[str], object] = str, aliases: tuple[str, ...] = ()) -> None:
    """A list option. `help` should say the default; `names` are listed in it once, by the caller.
    `aliases` are old spellings taking several values (`--faults a b`), accepted but not shown."""
    names = list(names) if names is not None else None
    default = Default(default) if default is not None else None
    parser.add_argument(flag, dest=dest, action=ListAction, names=names, convert=convert, default=default,
                        metavar=metavar or flag.lstrip("-").upper().replace("-", "_"),
                        help=f"{help}; repeatable, or comma-separated")
    for alias in aliases:
        parser.add_argument(alias, dest=dest, action=ListAction, names=names, convert=convert, nargs="+",
                            default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def add_out(parser: argparse.ArgumentParser, what: str) -> None:
    """--out: always a folder (created if missing); `what` says what is written in it."""
    parser.add_argument("--out", type=Path, metavar="DIR", help=f"a folder (created if missing): {what}")


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan (what would run, in which order, the expected time) "
                             "and exit 0 without starting anything")


FILE_SUFFIXES = (".md", ".txt", ".json", ".jsonl", ".csv", ".html")


def out_file(directory: Path, name: str) -> Path:
    """`name` inside the --out folder. A path that names a file (as --out did once in summary,
    compare and export: committed COMMAND.md files still show it) is refused, not made a folder."""
    if directory.is_file() or (not directory.exists() and directory.suffix in FILE_SUFFIXES):
        raise UsageError(f"--out {directory}: --out is a folder; give its parent ({directory.parent}), "
                         f"the command writes {name} in it")
    directory.mkdir(parents=True, exist_ok=True)
    return directory / name
