"""Inside the Debian 13 guest (cgroup v2, 2 vCPUs, emulated): the harness's own placement
(loadtest/runtime/isolation.py, as loadtest/runtime/native.py drives it) for real, read back
from the unified hierarchy. Writes one JSON document to argv[2]; tests/guest asserts on it.

Three boxes, all made by isolation.ServiceBox:
- service: go_stdlib in the sweep's placement (1-vCPU quota, 2 GiB, one core), loaded with
  /api/fib from the other core; its limits and cpu.stat are read back;
- quota:   the same box on both cores, two spinning processes (2 vCPUs of demand): the quota
  must throttle them;
- memory:  the same box with a 64 MiB limit, a process that allocates 256 MiB: it must be
  OOM-killed in its group while the service and everything else survive.
Emulated: these numbers prove behaviour, never timing.

It runs on the guest's python3 (3.13) with Debian's modules, no venv: when the harness's import
graph gains a third-party module, the result's "error" says which, and scripts/guest/rootfs.sh's
INCLUDE gains its python3-* package."""

from __future__ import annotations

import http.client
import json
import os
import platform
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

REPO, OUT = Path(sys.argv[1]), Path(sys.argv[2])
sys.path.insert(0, str(REPO))

from loadtest.runtime import isolation, native, service
from loadtest.servers import manifest

CG = isolation.CGROUP_ROOT
LOAD_SECONDS = 8  # guest seconds of /api/fib load; bounded
SPIN_SECONDS = 4


def read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError as e:
        return f"<{e.strerror}>"


def hierarchy() -> dict[str, str | None]:
    """Every cgroup below the root with the controllers it hands down."""
    return {os.path.relpath(d, CG): read(Path(d) / "cgroup.subtree_control")
            for d, _, _ in os.walk(CG)}


def limits(box: isolation.ServiceBox) -> dict:
    d = box.dirs["cpu"]
    return {"dir": str(d), **{f: read(d / f) for f in (
        "cgroup.controllers", "cpu.max", "memory.max", "cpuset.cpus", "cpuset.cpus.effective",
        "cpuset.mems.effective", "cgroup.procs")}}


def load(port: int, seconds: float, out: dict) -> None:
    """Keep-alive GETs of /api/fib/27 from the generator's core until the time is up."""
    os.sched_setaffinity(0, {1})
    deadline, ok, errors = time.monotonic() + seconds, 0, 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline:
        try:
            conn.request("GET", "/api/fib/27")
            resp = conn.getresponse()
            resp.read()
            ok, errors = ok + (resp.status == 200), errors + (resp.status != 200)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    out["ok"], out["errors"] = out.get("ok", 0) + ok, out.get("errors", 0) + errors


def plain(value):
    """A runtime's figures as JSON: pydantic models (loadtest.records.level) or dicts."""
    return value.model_dump() if hasattr(value, "model_dump") else value


def cpu_dict(c0: isolation.CpuSample, c1: isolation.CpuSample) -> dict:
    return {"usage_s": (c1.usage_ns - c0.usage_ns) / 1e9, "nr_periods": c1.nr_periods - c0.nr_periods,
            "nr_throttled": c1.nr_throttled - c0.nr_throttled,
            "throttled_s": (c1.throttled_ns - c0.throttled_ns) / 1e9}


def service_box(result: dict, rt: native.NativeRuntime) -> native.NativeHandle:
    """native.NativeRuntime.start, step by step: the service answers 503 on /healthz here
    (no databases in the guest), so it is started with require_healthy=False."""
    m = manifest.load("go_stdlib")
    box = isolation.ServiceBox(m.name, rt.placement)
    box.create()
    running = service.start(m, mock_key="guest", prefix=box.prefix(), require_healthy=False)
    box.attach(running.pid)
    handle = native.NativeHandle(running, box)
    result["service"] = {"limits": limits(box), "pid": running.pid,
                         "pid_cgroup": read(Path(f"/proc/{running.pid}/cgroup")),
                         "peak_resettable": box.peak_resettable}
    return handle


def drive(result: dict, handle: native.NativeHandle) -> None:
    port = int(handle.base_url.rsplit(":", 1)[1])
    handle.reset_memory_peak()
    c0, t0, counts = handle.cpu(), time.monotonic(), {}
    threads = [threading.Thread(target=load, args=(port, LOAD_SECONDS, counts)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LOAD_SECONDS + 60)
    c1, elapsed = handle.cpu(), time.monotonic() - t0
    result["service"]["load"] = {**counts, "elapsed_s": elapsed, "cpu": cpu_dict(c0, c1),
                                 "figures": plain(handle.cpu_figures(c0, c1, elapsed)),
                                 "memory": plain(handle.memory())}


def quota_box(result: dict, rt: native.NativeRuntime) -> None:
    everywhere = isolation.Placement(**{**rt.placement.as_dict(),
                                        "service_cpus": rt.placement.cpus_online})
    box = isolation.ServiceBox("quota", everywhere)
    box.create()
    try:
        spin = ["python3", "-c", (f"import time\ne = time.monotonic() + {SPIN_SECONDS}\n"
                                  "while time.monotonic() < e: pass")]
        c0, t0 = box.cpu(), time.monotonic()
        procs = [subprocess.Popen([*box.prefix(), *spin]) for _ in range(2)]
        for p in procs:
            p.wait(SPIN_SECONDS + 60)
        c1 = box.cpu()
        result["quota"] = {"limits": limits(box), "spinners": 2, "elapsed_s": time.monotonic() - t0,
                           "cpu": cpu_dict(c0, c1)}
    finally:
        box.cleanup()


def memory_box(result: dict, rt: native.NativeRuntime, handle: native.NativeHandle) -> None:
    saved, isolation.MEMORY_LIMIT = isolation.MEMORY_LIMIT, 64 * 1024**2
    try:
        box = isolation.ServiceBox("memory", rt.placement)
        box.create()
    finally:
        isolation.MEMORY_LIMIT = saved
    try:
        hog = subprocess.run([*box.prefix(), "python3", "-c", "b = b'x' * (256 << 20); print(len(b))"],
                             check=False, capture_output=True, text=True, timeout=300)
        port = int(handle.base_url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/fib/10")
        status = conn.getresponse().status
        conn.close()
        result["memory"] = {"limits": limits(box), "hog_returncode": hog.returncode,
                            "hog_stdout": hog.stdout.strip(), "events": read(box.dirs["memory"] / "memory.events"),
                            "oom_kills": box.memory()["oom_kills"], "service_alive": handle.alive(),
                            "service_status_after": status}
    finally:
        box.cleanup()


def main() -> None:
    result: dict = {"emulated": True, "note": "made in an emulated guest (QEMU TCG): behaviour, never timing",
                    "kernel": platform.release(), "python": platform.python_version(),
                    "nproc": os.cpu_count(), "probe_pid": os.getpid(), "controllers": read(CG / "cgroup.controllers"),
                    "mode": isolation.detect_mode()}
    before = hierarchy()
    result["hierarchy_before"] = before
    handle = None
    try:
        rt = native.NativeRuntime()
        result["placement"] = rt.placement.as_dict()
        handle = service_box(result, rt)
        result["during"] = {"hierarchy": hierarchy(), "root_subtree_control": read(CG / "cgroup.subtree_control")}
        drive(result, handle)
        quota_box(result, rt)
        memory_box(result, rt, handle)
    except BaseException:
        result["error"] = traceback.format_exc()
        raise
    finally:
        if handle is not None:
            handle.stop()
            result["service_stopped"] = not handle.alive()
        result["hierarchy_after"] = hierarchy()
        result["restored"] = result["hierarchy_after"] == before
        OUT.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
