"""The harness's import graph: no cycles, and no layer importing a layer above it.

The layers, lowest first, as loadtest/README.md's map describes them: each a folder of
loadtest/, the commands at its root. A module belongs to the layer of its top-level name
(`servers.infra` is in the layer of `servers`); a new folder or root module must be placed here,
which is the point: where it goes says what it may use."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "loadtest"

LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"core"}),
    ("servers", {"servers"}),
    ("scenarios and tools", {"scenarios", "tools"}),
    ("records", {"records"}),
    ("runtime", {"runtime", "topology"}),
    ("measurement", {"measurement"}),
    ("analysis", {"analysis"}),
    ("exporters", {"report"}),
    ("commands", {"sweep", "reproduce", "chaos", "commands", "cli", "__main__", "locust"}),
]


def modules() -> dict[str, Path]:
    """loadtest's modules by dotted name relative to the package ('tools.oha', 'cli')."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The loadtest modules `name` imports, anywhere in its body (lazy imports count)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "loadtest":
                base = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                target = ".".join([*base, alias.name])
                found.add(target if target in known else ".".join(base))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("loadtest.") for a in node.names if a.name.startswith("loadtest.")}
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def layer(name: str) -> int:
    top = name.split(".")[0]
    for i, (_, members) in enumerate(LAYERS):
        if top in members:
            return i
    raise AssertionError(f"loadtest/{top} is in no layer: add it to LAYERS in {Path(__file__).name}")


def test_every_module_has_a_layer():
    for name in modules():
        layer(name)


def test_the_package_root_holds_only_the_commands():
    """Every layer below the commands is a folder: a module at the root would hide its layer."""
    loose = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"} - LAYERS[-1][1]
    assert not loose, f"move {sorted(loose)} into the folder of its layer (LAYERS above)"


def test_no_layer_imports_a_layer_above_it():
    upward = [f"{a} ({LAYERS[layer(a)][0]}) imports {b} ({LAYERS[layer(b)][0]})"
              for a, targets in graph().items() for b in targets if layer(b) > layer(a)]
    assert not upward, "\n".join(sorted(upward))


def test_no_import_cycles():
    edges, state, cycles = graph(), {}, []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "\n".join(cycles)


def test_the_graph_is_read_from_real_imports():
    g = graph()
    assert "measurement.bench" in g["sweep"] and "tools.base" in g["tools.oha"] and "analysis" in g["report.markdown"]
