"""`loadtest instructions --by-layer`: reading callgrind_annotate's flat profile, the layers of
layers.toml, the difference rule per layer, and one real split of a tiny program under callgrind
(a second or two; skipped where valgrind is absent)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from loadtest.measurement import instructions, layers

# The head of callgrind_annotate's output (valgrind 3.19, --show-percs=no), with a Python
# extension, the interpreter, a Go and a Rust function, one of unknown object.
ANNOTATE = """\
--------------------------------------------------------------------------------
Profile data file 'callgrind.out.4242' (creator: callgrind-3.19.0)
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
1,000,000  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir  file:function
--------------------------------------------------------------------------------
400,000  Python/ceval.c:_PyEval_EvalFrameDefault [/root/.pyenv/versions/3.11.7/bin/python3.11]
 90,000  Modules/gcmodule.c:gc_collect_main [/root/.pyenv/versions/3.11.7/bin/python3.11]
 60,000  Objects/obmalloc.c:_PyObject_Malloc [/root/.pyenv/versions/3.11.7/bin/python3.11]
 50,000  ???:orjson::serialize::serializer::PyObjectSerializer [/x/.venv/lib/python3.11/site-packages/orjson/orjson.cpython-311-x86_64-linux-gnu.so]
 40,000  ???:granian::http::handle [/x/.venv/lib/python3.11/site-packages/granian/_granian.cpython-311-x86_64-linux-gnu.so]
 30,000  ???:runtime.mallocgc [/work/main/.bench/bin/go_stdlib]
 20,000  ???:<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse [/work/main/.bench/bin/rust_axum]
 10,000  ./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memmove_avx_unaligned_erms [/usr/lib/x86_64-linux-gnu/libc.so.6]
  5,000  ???:0x0000000000401000
"""


def test_the_flat_profile_is_read_function_by_function():
    rows = list(layers.parse_annotate(ANNOTATE))
    assert len(rows) == 9  # the totals line and the headers are not functions
    assert rows[0] == (400_000, "_PyEval_EvalFrameDefault", "/root/.pyenv/versions/3.11.7/bin/python3.11")
    assert rows[5] == (30_000, "runtime.mallocgc", "/work/main/.bench/bin/go_stdlib")
    assert rows[6][1].startswith("<hyper::proto::h1::role::Server")  # a Rust path keeps its colons
    assert rows[8] == (5_000, "0x0000000000401000", "")  # no object known


def test_each_function_falls_in_the_first_layer_that_matches():
    rules = layers.load()
    rows = {function: layers.classify(function, obj, rules) for _, function, obj in layers.parse_annotate(ANNOTATE)}
    assert rows["_PyEval_EvalFrameDefault"].startswith("Python interpreter")
    assert rows["gc_collect_main"].startswith("garbage collector")
    assert rows["_PyObject_Malloc"].startswith("memory allocator")
    assert rows["orjson::serialize::serializer::PyObjectSerializer"] == "JSON (orjson)"
    assert rows["granian::http::handle"] == "HTTP server (granian)"
    assert rows["runtime.mallocgc"] == "Go runtime: memory allocator"
    assert rows["<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse"].startswith(
        "HTTP server (hyper")
    assert rows["__memmove_avx_unaligned_erms"].startswith("C library")
    assert rows["0x0000000000401000"] == layers.OTHER
    assert layers.names(rules)[-1] == layers.OTHER and len(set(layers.names(rules))) == len(layers.names(rules))


def test_inlined_code_takes_the_object_of_its_function():
    # callgrind_annotate lists code inlined from a header as that header's function, without the
    # object; the function's own row names it
    rows = [(10, "_PyDict_Next", "/usr/bin/python3.11"), (7, "_PyDict_Next", ""), (3, "0x1", "")]
    assert layers.with_objects(rows) == [(10, "_PyDict_Next", "/usr/bin/python3.11"),
                                         (7, "_PyDict_Next", "/usr/bin/python3.11"), (3, "0x1", "")]


def test_a_layer_that_matches_nothing_is_refused(tmp_path):
    bad = tmp_path / "layers.toml"
    bad.write_text('[[layer]]\nname = "everything"\n')
    with pytest.raises(ValueError, match="matches nothing"):
        layers.load(bad)


def test_the_difference_rule_holds_layer_by_layer_and_adds_up():
    runs = [{"repeat": r, "count": n, "instructions": 100 * n + 5000,
             "layers": {"a": 70 * n + 4000, "b": 30 * n + 1000, "other": 0}}
            for r in (1, 2) for n in (10, 30)]
    fig = instructions.figures(runs, (10, 30))
    assert fig["mean"] == 100.0 and fig["layers"] == {"a": 70.0, "b": 30.0, "other": 0.0}
    assert sum(fig["layers"].values()) == fig["mean"]
    assert "layers" not in instructions.figures([{k: v for k, v in r.items() if k != "layers"} for r in runs],
                                                (10, 30))


def test_by_layer_counts_under_callgrind():
    plan = instructions.Plan(["go_stdlib"], ["devices-get"], by_layer=True)
    assert plan.tool == "callgrind" and instructions.Plan(["go_stdlib"], ["devices-get"]).tool == "cachegrind"
    argv = instructions.valgrind_argv(Path("OUT"), plan.tool)
    assert "--tool=callgrind" in argv and "--callgrind-out-file=OUT/callgrind.out.%p" in argv


@pytest.mark.skipif(not shutil.which("callgrind_annotate"), reason="valgrind is installed by scripts/setup.sh")
@pytest.mark.timeout(120)
def test_a_real_split_adds_up_to_the_count(tmp_path):
    """A shell loop under callgrind: its layers (libc, the loader, the shell's own functions in
    "other") add up to the count callgrind's summary line gives."""
    out = tmp_path / "run"
    out.mkdir()
    loop = "i=0; while [ $i -lt 200 ]; do i=$((i+1)); done"
    subprocess.run([*instructions.valgrind_argv(out, "callgrind"), "/bin/sh", "-c", loop], check=True, timeout=60)
    processes = instructions.read_totals(out, "callgrind")
    split = layers.by_layer(out / p["file"] for p in processes)
    assert sum(split.values()) == sum(p["instructions"] for p in processes)
    assert split["C library and dynamic loader (libc, ld.so)"] > 0
