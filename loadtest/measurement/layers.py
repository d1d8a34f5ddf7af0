"""A request's instructions by layer (layers.toml): callgrind's cost of each function, read with
valgrind's own callgrind_annotate, summed per layer. Instructions are attributed to the function
that executed them (callgrind's self cost), so the layers add up to the whole, each instruction
counted once; layers.toml says what this can split (native libraries, Go packages, Rust crates)
and what it cannot (Python code: all of it is the interpreter's)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InfraError

PATH = Path(__file__).with_name("layers.toml")
OTHER = "other"
ANNOTATE_LIMIT_S = 600.0
# callgrind_annotate's function lines: "  1,234,567  file:function [object]" (the object is
# left out when callgrind did not know it)
LINE = re.compile(r"^\s*([\d,]+)\s+(.*?)(?:\s+\[(.*)\])?\s*$")


@dataclass(frozen=True)
class Rule:
    name: str
    object: re.Pattern | None
    function: re.Pattern | None

    def matches(self, function: str, obj: str) -> bool:
        return ((self.object is None or bool(self.object.search(obj)))
                and (self.function is None or bool(self.function.search(function))))


def load(path: Path = PATH) -> list[Rule]:
    rules = []
    for entry in tomllib.loads(path.read_text())["layer"]:
        if "object" not in entry and "function" not in entry:
            raise ValueError(f"{path.name}: layer {entry['name']!r} matches nothing (no object, no function)")
        rules.append(Rule(entry["name"], _compile(entry.get("object")), _compile(entry.get("function"))))
    return rules


def _compile(pattern: str | None) -> re.Pattern | None:
    return re.compile(pattern) if pattern else None


def names(rules: list[Rule]) -> list[str]:
    """Every layer in layers.toml's order, then "other"."""
    out = list(dict.fromkeys(r.name for r in rules))
    return [*out, OTHER]


def classify(function: str, obj: str, rules: list[Rule]) -> str:
    """The first layer whose rule matches, else "other"."""
    return next((r.name for r in rules if r.matches(function, obj)), OTHER)


def parse_annotate(text: str) -> Iterable[tuple[int, str, str]]:
    """(self instructions, function, object) of each function line of callgrind_annotate's
    output; the header, the totals and blank lines are skipped."""
    in_functions = False
    for line in text.splitlines():
        if not in_functions:
            # the function list follows the header line "Ir  file:function"
            in_functions = bool(re.match(r"^\s*Ir\s+file:function\s*$", line))
            continue
        m = LINE.match(line)
        if not m or ":" not in m.group(2):
            continue
        where = m.group(2)
        function = where.split(":", 1)[1] if not where.startswith("???:") else where[4:]
        yield int(m.group(1).replace(",", "")), function, m.group(3) or ""


def annotate(path: Path) -> str:
    """callgrind_annotate's flat profile of one callgrind.out file: every function (threshold
    100 %), self cost, no source annotation, no percentages."""
    argv = ["callgrind_annotate", "--threshold=100", "--auto=no", "--inclusive=no", "--show-percs=no", str(path)]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=ANNOTATE_LIMIT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InfraError(f"callgrind_annotate on {path}: {e} (valgrind's package installs it)") from e
    if r.returncode != 0:
        raise InfraError(f"callgrind_annotate on {path} exited {r.returncode}: {r.stderr.strip()[:300]}")
    return r.stdout


def with_objects(rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The rows with the object filled in where callgrind_annotate left it out: code inlined
    from another file (a C header) is listed as that file's function, without its object; the
    same function's own row names it."""
    known = {function: obj for _, function, obj in rows if obj}
    return [(ir, function, obj or known.get(function, "")) for ir, function, obj in rows]


def by_layer(files: Iterable[Path], rules: list[Rule] | None = None) -> dict[str, int]:
    """{layer: instructions} over callgrind.out files (a process tree), every layer present."""
    rules = rules if rules is not None else load()
    totals = dict.fromkeys(names(rules), 0)
    for path in files:
        for instructions, function, obj in with_objects(list(parse_annotate(annotate(path)))):
            totals[classify(function, obj, rules)] += instructions
    return totals
