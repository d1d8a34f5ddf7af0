"""What the services' source must not contain: the bench credentials or endpoints (they come
only from the environment), and SQL built from strings (bound parameters only).

db/infra.toml, compose/ and deploy/ are configuration and hold the credentials by design; they
are not scanned. Unit tests may name a DSN (to parse it, or to point at a dead port), so the
credential check skips them; the SQL check reads tests too: built SQL is a bad example anywhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from loadtest.core.config import ROOT, settings
from loadtest.servers import manifest

SOURCE_SUFFIXES = {".py", ".go", ".rs"}
SKIPPED_DIRS = {"target", "__pycache__", ".venv", "node_modules", ".pytest_cache", ".ruff_cache"}
SQL = re.compile(r"(?is)\b(select\b.+?\bfrom|insert\s+into|update\s+\w+\s+set|delete\s+from)\b")

# String-built SQL that is justified. Each entry: the file, a marker on the flagged line, why it
# is safe, and evidence that must stay in the file for the reason to keep holding.
ALLOWED_BUILT_SQL = [
    ("services/go_stdlib/mysql.go", "insertMixBatchSQL",
     "the VALUES list repeats a constant placeholder group; no value enters the SQL text",
     'strings.Repeat("(?, ?, ?), ", mixBatchSize)'),
    ("services/rust_axum/src/routes/iomix.rs", "VALUES {rows}",
     "the VALUES list repeats a constant placeholder group; no value enters the SQL text",
     'vec!["(?, ?, ?)"; ROWS_PER_BATCH as usize].join(", ")'),
]


def source_files(name: str) -> list[Path]:
    root = manifest.load(name).cwd
    return sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file()
                  and not SKIPPED_DIRS & set(p.relative_to(root).parts))


def is_test(path: Path) -> bool:
    return ("tests" in path.parts or path.name.endswith("_test.go") or path.name.startswith("test_")
            or path.name == "conftest.py")


def without_rust_tests(text: str) -> str:
    """A Rust file up to its `#[cfg(test)]` module (by convention the file's end)."""
    return text.split("#[cfg(test)]", 1)[0]


# --- credentials -------------------------------------------------------------------------

def credential_patterns() -> list[re.Pattern]:
    s = settings()
    patterns = []
    for db in ("postgres", "mariadb"):
        user, password = re.escape(s[db]["user"]), re.escape(s[db]["password"])
        patterns.append(re.compile(rf"{user}:{password}@"))
        patterns.append(re.compile(rf"(?i)passw(or)?d\W{{0,6}}\s*[:=]?\s*[\"']{password}[\"']"))
    for server in ("postgres", "mariadb", "memcached", "external_mock"):
        patterns.append(re.compile(rf"\b{s[server]['port']}\b"))  # a hard-coded bench endpoint
    return patterns


def test_no_credentials_or_bench_endpoints_in_code(service_name):
    found = []
    files = [p for p in source_files(service_name) if not is_test(p)]
    files.append(manifest.load(service_name).cwd / "service.toml")
    for path in files:
        text = path.read_text(errors="replace")
        if path.suffix == ".rs":
            text = without_rust_tests(text)
        for pattern in credential_patterns():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)!r}")
    assert not found, "credentials or bench endpoints in code (they belong in the environment):\n" + \
        "\n".join(found)


# --- SQL -----------------------------------------------------------------------------------

def _sql_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(SQL.search(node.value))


def python_built_sql(text: str) -> list[tuple[int, str]]:
    """f-strings, % and + on SQL strings, and "...".format(), including on names bound to SQL."""
    tree = ast.parse(text)
    sql_names = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and _sql_constant(node.value)
                 for t in node.targets if isinstance(t, ast.Name)}

    def is_sql(node: ast.AST) -> bool:
        return _sql_constant(node) or (isinstance(node, ast.Name) and node.id in sql_names)

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and any(_sql_constant(v) for v in node.values):
            found.append((node.lineno, "f-string"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)) and (
                is_sql(node.left) or is_sql(node.right)):
            found.append((node.lineno, "% or + on SQL"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "format" and is_sql(node.func.value)):
            found.append((node.lineno, ".format() on SQL"))
    return found


GO_STRING = r'(?:`[^`]*`|"(?:[^"\\\n]|\\.)*")'
RUST_STRING = r'(?:r#*"[\s\S]*?"#*|"(?:[^"\\]|\\.)*")'
BUILDERS = {
    ".go": [re.compile(rf"fmt\.Sprintf\(\s*(?P<s>{GO_STRING})"),
            re.compile(rf"(?P<s>{GO_STRING})\s*\+"), re.compile(rf"\+\s*(?P<s>{GO_STRING})")],
    ".rs": [re.compile(rf"format!\(\s*(?P<s>{RUST_STRING})"),
            re.compile(rf"(?P<s>{RUST_STRING})\s*\+"), re.compile(rf"\+\s*&?(?P<s>{RUST_STRING})"),
            re.compile(rf"push_str\(\s*(?P<s>{RUST_STRING})")],
}


def compiled_built_sql(text: str, suffix: str) -> list[tuple[int, str]]:
    found = []
    for pattern in BUILDERS[suffix]:
        for match in pattern.finditer(text):
            if SQL.search(match.group("s")):
                found.append((text.count("\n", 0, match.start()) + 1, match.group(0)[:60]))
    return found


def built_sql(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(errors="replace")
    return python_built_sql(text) if path.suffix == ".py" else compiled_built_sql(text, path.suffix)


def allowed(path: Path, line: int) -> bool:
    rel = str(path.relative_to(ROOT))
    text_line = path.read_text().splitlines()[line - 1]
    return any(rel == file and marker in text_line for file, marker, _, _ in ALLOWED_BUILT_SQL)


def test_sql_only_with_bound_parameters(service_name):
    found = [f"{p.relative_to(ROOT)}:{line}: {what}" for p in source_files(service_name)
             for line, what in built_sql(p) if not allowed(p, line)]
    assert not found, "SQL built from strings (use bound parameters):\n" + "\n".join(found)


@pytest.mark.parametrize(("file", "marker", "reason", "evidence"), ALLOWED_BUILT_SQL,
                         ids=[entry[0] for entry in ALLOWED_BUILT_SQL])
def test_every_allowed_case_still_exists_and_holds(file, marker, reason, evidence):
    path = ROOT / file
    if not path.exists():
        pytest.fail(f"{file} is gone: drop its entry from ALLOWED_BUILT_SQL")
    assert evidence in path.read_text(), f"{file}: the reason ({reason}) no longer holds"
    assert any(marker in path.read_text().splitlines()[line - 1] for line, _ in built_sql(path)), \
        f"{file}: nothing built there any more: drop the entry"


def test_the_scanner_finds_built_sql():
    """The scanner itself, on the shapes it must catch and the ones it must let pass."""
    bad_python = '''
q = f"SELECT * FROM users WHERE id = {uid}"
r = "DELETE FROM devices WHERE id = %s" % uid
SQL = "UPDATE users SET name = '{}'"
s = SQL.format(name)
t = "INSERT INTO devices VALUES (" + value + ")"
'''
    assert [line for line, _ in python_built_sql(bad_python)] == [2, 3, 5, 6]
    good_python = 'cur.execute("SELECT * FROM users WHERE id = %s", (uid,))\nkey = f"device:{uid}"\n'
    assert python_built_sql(good_python) == []
    bad_go = 'q := fmt.Sprintf(`SELECT id FROM users\n WHERE id = %d`, id)\nq2 := "DELETE FROM t WHERE a = " + a\n'
    assert [line for line, _ in compiled_built_sql(bad_go, ".go")] == [1, 3]
    bad_rust = 'let q = format!("SELECT id FROM users WHERE id = {id}");\n'
    assert [line for line, _ in compiled_built_sql(bad_rust, ".rs")] == [1]
    assert compiled_built_sql('db.Query(ctx, "SELECT 1 FROM users WHERE id = $1", id)\n', ".go") == []

