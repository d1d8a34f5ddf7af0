"""A scenario's or a load tool's knowledge stays in its own module: no other module of the
harness names a scenario, a tool, or a scenario's parameter (tests, docs and data files aside).

Allowed to name them: the scenarios/ and tools/ packages (each module and its registry), the
tools' own files (loadtest/k6, loadtest/locust), and the write-ups (loadtest/reproduce's
protocol modules), whose definition is which scenario and tool a write-up used. The rest asks
the registries (SCENARIOS, TOOLS and the roles they name, such as scenarios.QUICK).

Two names are also ordinary words of the harness: "users" (a level's concurrency) and "ab" (a
file mode). Those count only where they are used as a scenario or a tool: looked up in a
registry, or compared with a scenario's or a tool's name."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from loadtest import reproduce
from loadtest.scenarios import SCENARIOS
from loadtest.tools import TOOLS

PACKAGE = Path(__file__).parents[2] / "loadtest"
OWNERS = ("scenarios/", "tools/", "k6/", "locust/")
# Fault runs still pick their load by scenario and check its writes there; they move into the
# scenarios with the keyed-write checker. Listed so that nothing else can join them unseen.
NOT_YET: tuple[str, ...] = ()
AMBIGUOUS = {"users", "ab"}
REGISTRIES = {"SCENARIOS", "TOOLS", "get"}
CONTEXT_WORDS = ("scenario", "shape", "tool")


def write_ups() -> set[str]:
    """The modules of reproduce/ that define a registered write-up (a module-level PROTOCOL)."""
    out = set()
    for path in (PACKAGE / "reproduce").glob("*.py"):
        module = importlib.import_module(f"loadtest.reproduce.{path.stem}")
        if getattr(module, "PROTOCOL", None) in reproduce.PROTOCOLS.values():
            out.add(f"reproduce/{path.name}")
    return out


def names() -> tuple[set[str], set[str]]:
    """String names (scenarios, tools) and identifiers (their Python spellings, parameters)."""
    strings = set(SCENARIOS) | set(TOOLS)
    identifiers = {n.replace("-", "_") for n in strings} - AMBIGUOUS
    identifiers |= {p.name for s in SCENARIOS.values() for p in s.params}
    return strings, identifiers


def _used_as_a_name(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An ambiguous word counts where a registry looks it up or a name is compared with it."""
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript) and isinstance(parent.value, ast.Name):
        return parent.value.id in REGISTRIES
    if isinstance(parent, ast.Call):
        func = parent.func
        return isinstance(func, ast.Attribute) and func.attr in REGISTRIES
    if isinstance(parent, ast.Compare):
        return any(word in ast.unparse(parent).lower() for word in CONTEXT_WORDS)
    if isinstance(parent, ast.keyword):
        return any(word in (parent.arg or "") for word in CONTEXT_WORDS)
    return False


def leaks(path: Path) -> list[str]:
    strings, identifiers = names()
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        hit = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in strings:
            if node.value not in AMBIGUOUS or _used_as_a_name(node, parents):
                hit = repr(node.value)
        elif isinstance(node, ast.Name) and node.id in identifiers:
            hit = node.id
        elif isinstance(node, ast.Attribute) and node.attr in identifiers:
            hit = f".{node.attr}"
        elif isinstance(node, ast.keyword) and node.arg in identifiers:
            hit = f"{node.arg}="
        elif isinstance(node, ast.ImportFrom):
            parts = set((node.module or "").split(".")) | {a.name for a in node.names}
            if parts & identifiers:
                hit = f"import {', '.join(sorted(parts & identifiers))}"
        if hit:
            found.append(f"{path.relative_to(PACKAGE) if path.is_relative_to(PACKAGE) else path}:{node.lineno}: {hit}")
    return found


def checked_files() -> list[Path]:
    allowed = write_ups()
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if not rel.startswith(OWNERS + NOT_YET) and rel not in allowed:
            out.append(path)
    return out


def test_no_module_names_a_scenario_or_a_tool():
    found = [leak for path in checked_files() for leak in leaks(path)]
    assert not found, "name the scenario or tool in its own module, or give it a role in its registry:\n" + \
        "\n".join(found)


def test_the_check_sees_a_leak(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('def f(level, load):\n    return level.scenario == "users" and "io-mix" and load.fib_n\n'
                     'from ..tools import oha\nSCENARIOS["users"]\n')
    assert len(leaks(probe)) == 5


def test_ordinary_words_are_not_leaks(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('open(p, "ab")\nheader = ["users", "req/s"]\nusers = level.users\n')
    assert leaks(probe) == []
