"""The cgroup launcher on this machine: the tracked pid is the service, limits are set, and
everything is removed afterwards. Skips where cgroups cannot be written (the fallback mode
is then what a sweep uses, and it is recorded)."""

import subprocess
import time

import pytest

from loadtest.runtime import isolation

pytestmark = pytest.mark.skipif(isolation.detect_mode() == "taskset",
                                reason="cgroups not writable here: sweeps use taskset + watchdog")


def test_service_runs_in_its_group_and_group_goes_away():
    placement = isolation.placement()
    box = isolation.ServiceBox("unit-test", placement)
    box.create()
    proc = subprocess.Popen([*box.prefix(), "sleep", "5"])
    try:
        # The launcher joins the group, then execs: wait (bounded) for the exec, however busy
        # the machine is.
        for _ in range(100):
            with open(f"/proc/{proc.pid}/cmdline") as f:
                if f.read().startswith("sleep"):
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the launcher must exec the service in place")
        with open(f"/proc/{proc.pid}/cgroup") as f:
            membership = f.read()
        assert box.name in membership
        with open(f"/proc/{proc.pid}/status") as f:
            allowed = next(l for l in f if l.startswith("Cpus_allowed_list")).split()[1]
        assert allowed == ",".join(map(str, placement.service_cpus))
        assert box.cpu(proc.pid) is not None
        mem = box.memory(proc.pid)
        assert mem["current_bytes"] is not None and mem["peak_bytes"] is not None
    finally:
        proc.kill()
        proc.wait()
        box.cleanup()
    assert box.dirs == {}


def test_memory_watchdog_kills_over_the_limit():
    proc = subprocess.Popen(["python3", "-c", "x = bytearray(64 << 20); import time; time.sleep(10)"])
    wd = isolation.MemoryWatchdog(proc.pid, limit=16 << 20, interval=0.05)
    wd.start()
    try:
        assert proc.wait(timeout=5) != 0 and wd.killed
    finally:
        wd.stop()
        proc.kill()


def test_sampled_peaks_see_the_service_memory_and_reset_per_level():
    placement = isolation.placement()
    box = isolation.ServiceBox("unit-test-mem", placement)
    box.create()
    # 48 MiB touched, then freed on a signal from the test: the level's peaks must see it, the
    # next level's not. The child says when each state is reached, so no sleep guesses.
    code = ("import sys; x = bytearray(48 << 20); print('big', flush=True); sys.stdin.readline(); "
            "del x; print('small', flush=True); sys.stdin.readline()")
    proc = subprocess.Popen([*box.prefix(), "python3", "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        box.attach(proc.pid)
        box.reset_memory_peak()
        assert proc.stdout.readline().strip() == "big"
        mem = box.memory(proc.pid)  # samples once more itself
        assert mem["peak_rss_bytes"] >= 48 << 20
        assert mem["peak_working_set_bytes"] >= 48 << 20
        assert mem["peak_working_set_bytes"] <= mem["peak_bytes"]  # the cgroup's peak adds page cache
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "small"
        box.reset_memory_peak()
        mem = box.memory(proc.pid)
        assert mem["peak_rss_bytes"] < 40 << 20
        assert mem["peak_working_set_bytes"] < 40 << 20
        proc.stdin.write("\n")
        proc.stdin.flush()
    finally:
        proc.kill()
        proc.wait()
        box.cleanup()
