"""The runtime interface sweep.py drives: native stays what it was, compose plugs in beside it."""

from __future__ import annotations

import pytest

from loadtest import cli, runtime
from loadtest.measurement import plan
from loadtest.runtime import base, compose, isolation, native
from loadtest.runtime.isolation import CpuSample
from loadtest.runtime.native import service_cpu
from loadtest.servers.manifest import load

PLACEMENT = isolation.placement([0, 1], mode="cgroup-v1")


def members(protocol) -> set[str]:
    return {n for n in vars(protocol) if not n.startswith("_")} | set(protocol.__annotations__)


@pytest.mark.parametrize(("impl", "protocol"), [
    (native.NativeRuntime, base.Runtime), (compose.ComposeRuntime, base.Runtime)])
def test_both_runtimes_implement_the_whole_interface(impl, protocol):
    methods = {n for n in members(protocol) if callable(getattr(protocol, n, None))}
    for name in methods:
        assert callable(getattr(impl, name, None)), f"{impl.__name__} lacks {name}"


@pytest.mark.parametrize("impl", [native.NativeHandle, compose.ComposeHandle])
def test_both_handles_implement_the_whole_interface(impl):
    methods = {n for n in members(base.Handle) if callable(getattr(base.Handle, n, None))}
    for name in methods:
        assert callable(getattr(impl, name, None)), f"{impl.__name__} lacks {name}"


def test_native_is_the_default():
    args = cli.build_parser().parse_args(["sweep", "go_stdlib"])
    assert args.runtime == "native"
    assert plan.from_args(args).runtime == "native"
    assert plan.from_args(cli.build_parser().parse_args(
        ["sweep", "go_stdlib", "--runtime", "compose"])).runtime == "compose"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["sweep", "--runtime", "kubernetes"])


def test_native_runtime_keeps_the_native_setup():
    rt = runtime.make("native")
    assert isinstance(rt, native.NativeRuntime)
    assert rt.placement.mode in ("cgroup-v1", "cgroup-v2", "taskset")
    assert rt.mock_key(load("go_stdlib")) == "bench-go_stdlib"  # as the sweep always named it


def test_native_cpu_figures_unchanged():
    c0, c1 = CpuSample(0, 0, 0, 0), CpuSample(500_000_000, 10, 2, 5_000_000)
    assert service_cpu(c0, c1, 1.0, PLACEMENT, "cgroup-v1").model_dump() == {
        "percent_of_quota": 50.0, "usage_s": 0.5, "nr_periods": 10, "nr_throttled": 2,
        "throttled_s": 0.005, "user_s": None, "system_s": None, "source": "cgroup"}
    split = service_cpu(CpuSample(0, 0, 0, 0, 10, 20), CpuSample(500_000_000, 10, 2, 5_000_000, 300_000_010, 200_000_020),
                        1.0, PLACEMENT, "cgroup-v1")
    assert (split.user_s, split.system_s) == (0.3, 0.2)  # user space and kernel, where the source splits them
    taskset = service_cpu(c0, c1, 2.0, PLACEMENT, "taskset")
    assert taskset.percent_of_quota == 25.0 and taskset.source == "psutil"
    assert taskset.nr_periods is None
    assert service_cpu(None, c1, 1.0, PLACEMENT, "cgroup-v2").source == "none"
