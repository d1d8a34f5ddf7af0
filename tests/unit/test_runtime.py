"""The runtime interface sweep.py drives: native stays what it was, compose plugs in beside it."""

from __future__ import annotations

import argparse
import ast
import inspect

import pytest

from loadtest import cli, isolation, plan, runtime, runtime_compose, sweep
from loadtest.isolation import CpuSample
from loadtest.manifest import load

PLACEMENT = isolation.plan([0, 1], mode="cgroup-v1")


def members(protocol) -> set[str]:
    return {n for n in vars(protocol) if not n.startswith("_")} | set(protocol.__annotations__)


@pytest.mark.parametrize(("impl", "protocol"), [
    (runtime.NativeRuntime, runtime.Runtime), (runtime_compose.ComposeRuntime, runtime.Runtime),
    (runtime.NativeHandle, runtime.Handle), (runtime_compose.ComposeHandle, runtime.Handle)])
def test_both_runtimes_implement_the_whole_interface(impl, protocol):
    source = inspect.getsource(impl)
    for name in members(protocol):
        assert hasattr(impl, name) or f"self.{name}" in source, f"{impl.__name__} lacks {name}"


def test_sweep_has_no_runtime_branches():
    """Only runtime.make() reads plan.runtime: no name or string in the code (docstrings and
    comments aside) is about compose, cgroups or the service process."""
    tree = ast.parse(inspect.getsource(sweep))
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    words = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    words += [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    words += [n.value for n in ast.walk(tree)
              if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]
    for word in ("compose", "docker", "isolation", "ServiceBox", "pid"):
        assert not [w for w in words if word in w], word
    assert inspect.getsource(sweep).count("plan.runtime") == 1


def test_native_is_the_default():
    args = cli.build_parser().parse_args(["sweep", "go_stdlib"])
    assert args.runtime == "native"
    assert plan.from_args(args).runtime == "native"
    assert plan.from_args(cli.build_parser().parse_args(
        ["sweep", "go_stdlib", "--runtime", "compose"])).runtime == "compose"
    # a namespace from before the option (older callers) still plans a native sweep
    old = argparse.Namespace(services=["go_stdlib"], scenario=None, tool="oha", levels=None,
                             duration=None, warmup=None, pause=None, quick=False, open_loop=False,
                             no_keepalive=False, fib_n=25, external_delay=500, skip_gate=False)
    assert plan.from_args(old).runtime == "native"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["sweep", "--runtime", "kubernetes"])


def test_native_runtime_keeps_the_native_setup():
    rt = runtime.make("native")
    assert isinstance(rt, runtime.NativeRuntime)
    assert rt.placement.mode in ("cgroup-v1", "cgroup-v2", "taskset")
    m = load("go_stdlib")
    assert rt.mock_key(m) == "bench-go_stdlib"  # as the sweep always named it


def test_native_cpu_figures_unchanged():
    assert sweep.service_cpu is runtime.service_cpu
    c0, c1 = CpuSample(0, 0, 0, 0), CpuSample(500_000_000, 10, 2, 5_000_000)
    assert runtime.service_cpu(c0, c1, 1.0, PLACEMENT, "cgroup-v1") == {
        "percent_of_quota": 50.0, "usage_s": 0.5, "nr_periods": 10, "nr_throttled": 2,
        "throttled_s": 0.005, "source": "cgroup"}
    taskset = runtime.service_cpu(c0, c1, 2.0, PLACEMENT, "taskset")
    assert taskset["percent_of_quota"] == 25.0 and taskset["source"] == "psutil"
    assert taskset["nr_periods"] is None
    assert runtime.service_cpu(None, c1, 1.0, PLACEMENT, "cgroup-v2")["source"] == "none"
