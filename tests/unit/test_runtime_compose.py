"""`sweep --runtime compose` without an engine: the figures from recorded Engine API answers, the
command lines it runs, and the error when no engine is there. No engine is faked: what needs one
(an end-to-end compose sweep) is not run here (docs/containers.md)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from loadtest.core import config
from loadtest.core.errors import InfraError
from loadtest.core.sampler import Peaks
from loadtest.records.level import Level
from loadtest.report import markdown
from loadtest.runtime import compose as runtime_compose
from loadtest.runtime import engine as docker_engine
from loadtest.runtime import gate
from loadtest.servers import infra
from tests.unit import harness_samples

# GET /containers/{id}/stats?stream=false&one-shot=true on a cgroup v2 host, shaped as Docker's
# API reference documents it: no percpu_usage, no max_usage/failcnt, v2 memory.stat keys, and
# precpu_stats left empty by one-shot. Two samples of one container 5.5 s apart.
V2_BEFORE = json.loads("""{
 "read": "2026-11-21T08:00:00.012345678Z", "preread": "0001-01-01T00:00:00Z",
 "name": "/webstack-go_stdlib-1", "id": "4c1f0a2b9e7d", "num_procs": 0,
 "pids_stats": {"current": 7, "limit": 18446744073709551615},
 "blkio_stats": {"io_service_bytes_recursive": [{"major": 8, "minor": 0, "op": "read", "value": 0}],
                 "io_serviced_recursive": null, "io_queue_recursive": null},
 "cpu_stats": {"cpu_usage": {"total_usage": 1000000000, "usage_in_kernelmode": 300000000,
                             "usage_in_usermode": 700000000},
               "system_cpu_usage": 9876540000000000, "online_cpus": 2,
               "throttling_data": {"periods": 1000, "throttled_periods": 10, "throttled_time": 50000000}},
 "precpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                  "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
 "memory_stats": {"usage": 41943040, "limit": 2147483648,
                  "stats": {"active_anon": 25165824, "active_file": 4194304, "anon": 27262976,
                            "anon_thp": 0, "file": 12582912, "file_dirty": 0, "file_mapped": 2097152,
                            "file_writeback": 0, "inactive_anon": 2097152, "inactive_file": 8388608,
                            "kernel_stack": 131072, "pgfault": 9000, "pgmajfault": 3, "shmem": 0,
                            "slab": 1048576, "sock": 0, "unevictable": 0}},
 "networks": {"eth0": {"rx_bytes": 5338, "rx_dropped": 0, "rx_errors": 0, "rx_packets": 36,
                       "tx_bytes": 648, "tx_dropped": 0, "tx_errors": 0, "tx_packets": 8}}
}""")
V2_AFTER = {
    **V2_BEFORE, "read": "2026-11-21T08:00:05.512345678Z",
    "cpu_stats": {**V2_BEFORE["cpu_stats"],
                  "cpu_usage": {"total_usage": 5400000000, "usage_in_kernelmode": 1300000000,
                                "usage_in_usermode": 4100000000},
                  "throttling_data": {"periods": 1055, "throttled_periods": 40,
                                      "throttled_time": 650000000}},
    "memory_stats": {**V2_BEFORE["memory_stats"], "usage": 73400320,
                     "stats": {**V2_BEFORE["memory_stats"]["stats"], "inactive_file": 16777216}},
}

# The same on a cgroup v1 host: percpu_usage, max_usage, failcnt and v1's memory.stat, where
# the hierarchy's figures carry a total_ prefix (the example of the API reference).
V1 = json.loads("""{
 "read": "2015-01-08T22:57:31.547920715Z", "preread": "0001-01-01T00:00:00Z",
 "pids_stats": {"current": 3},
 "cpu_stats": {"cpu_usage": {"percpu_usage": [8646879, 24472255, 36438778, 30657443],
                             "usage_in_usermode": 50000000, "total_usage": 100215355,
                             "usage_in_kernelmode": 30000000},
               "system_cpu_usage": 739306590000000, "online_cpus": 4,
               "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
 "memory_stats": {"stats": {"total_pgmajfault": 0, "cache": 4194304, "mapped_file": 0,
                            "total_inactive_file": 3145728, "pgpgout": 414, "rss": 6537216,
                            "total_mapped_file": 0, "writeback": 0, "unevictable": 0,
                            "pgpgin": 477, "total_unevictable": 0, "pgmajfault": 0,
                            "total_rss": 6537216, "total_rss_huge": 6291456, "total_writeback": 0,
                            "total_inactive_anon": 0, "rss_huge": 6291456,
                            "hierarchical_memory_limit": 67108864, "total_pgfault": 964,
                            "total_active_file": 1048576, "active_anon": 6537216,
                            "total_active_anon": 6537216, "total_pgpgout": 414,
                            "total_cache": 4194304, "inactive_anon": 0, "active_file": 1048576,
                            "pgfault": 964, "inactive_file": 1048576, "total_pgpgin": 477},
                  "max_usage": 11651904, "usage": 10731520, "failcnt": 0, "limit": 67108864}
}""")

# GET /containers/{id}/json, the fields the harness reads, as compose creates a service with
# deploy.resources.limits cpus "1" and memory 2G.
INSPECT = {"Id": "4c1f0a2b9e7d", "Name": "/webstack-go_stdlib-1",
           "State": {"Status": "running", "Running": True, "Paused": False, "Restarting": False,
                     "OOMKilled": False, "Dead": False, "Pid": 4242, "ExitCode": 0},
           "HostConfig": {"NanoCpus": 1000000000, "CpuPeriod": 0, "CpuQuota": 0, "CpusetCpus": "",
                          "Memory": 2147483648}}


def test_read_time_keeps_nanoseconds():
    assert docker_engine.read_ns("1970-01-01T00:00:01.000000001Z") == 1_000_000_001
    assert docker_engine.read_ns("1970-01-01T01:00:00.5+01:00") == 500_000_000
    assert (docker_engine.read_ns(V2_AFTER["read"]) - docker_engine.read_ns(V2_BEFORE["read"])
            == 5_500_000_000)


def test_cpu_over_wall_clock_as_a_share_of_the_quota_v2():
    c0, c1 = docker_engine.cpu_sample(V2_BEFORE), docker_engine.cpu_sample(V2_AFTER)
    quota = docker_engine.quota_cores(INSPECT)
    assert quota == 1.0
    f = docker_engine.cpu_figures(c0, c1, quota)
    # 4.4 s of CPU in 5.5 s of wall-clock, against a 1-CPU quota
    assert f["percent_of_quota"] == pytest.approx(80.0)
    assert f["usage_s"] == pytest.approx(4.4) and f["window_s"] == pytest.approx(5.5)
    assert (f["nr_periods"], f["nr_throttled"]) == (55, 30)
    assert f["throttled_s"] == pytest.approx(0.6)
    assert f["user_s"] == pytest.approx(3.4) and f["system_s"] == pytest.approx(1.0)  # user space, kernel
    assert f["source"] == "docker-engine" and f["quota_cores"] == 1.0
    # half a CPU of quota: the same use is 160 % of it
    assert docker_engine.cpu_figures(c0, c1, 0.5)["percent_of_quota"] == pytest.approx(160.0)


def test_cpu_sample_v1_and_missing_samples():
    s = docker_engine.cpu_sample(V1)
    assert (s.usage_ns, s.periods, s.throttled_periods, s.throttled_ns) == (100215355, 0, 0, 0)
    assert docker_engine.cpu_figures(None, s, 1.0)["source"] == "none"
    assert docker_engine.cpu_figures(s, s, 1.0)["percent_of_quota"] is None  # no time passed


def test_quota_from_nano_cpus_or_cfs_quota():
    assert docker_engine.quota_cores({"HostConfig": {"NanoCpus": 1500000000}}) == 1.5
    assert docker_engine.quota_cores({"HostConfig": {"CpuQuota": 50000, "CpuPeriod": 100000}}) == 0.5
    assert docker_engine.quota_cores({"HostConfig": {"CpuQuota": 200000}}) == 2.0  # default period
    assert docker_engine.quota_cores({"HostConfig": {"NanoCpus": 0, "CpuQuota": 0}}) is None
    assert docker_engine.memory_limit(INSPECT) == 2 * 1024**3
    assert docker_engine.memory_limit({"HostConfig": {"Memory": 0}}) is None


def test_memory_as_docker_stats_shows_it():
    # the usage itself, page cache included, as the native runtime's current_bytes
    assert docker_engine.memory_usage(V2_AFTER) == 73400320
    assert docker_engine.memory_usage(V1) == 10731520
    # v2: usage - inactive_file
    assert docker_engine.working_set(V2_BEFORE) == 41943040 - 8388608
    assert docker_engine.working_set(V2_AFTER) == 73400320 - 16777216
    # v1: usage - total_inactive_file (not the group's own inactive_file, not cache)
    assert docker_engine.working_set(V1) == 10731520 - 3145728
    # a stopped container's stats have an empty memory_stats
    assert docker_engine.working_set({"memory_stats": {}}) is None
    assert docker_engine.memory_usage({"memory_stats": {}}) is None
    # inactive_file above usage (a racy read) is not subtracted
    assert docker_engine.working_set({"memory_stats": {"usage": 10, "stats": {"inactive_file": 20}}}) == 10


def test_memory_sampler_keeps_both_peaks():
    docs = iter([V2_AFTER, V2_BEFORE, {"memory_stats": {}}])
    sampler = Peaks(lambda: docker_engine.memory_figures(next(docs)))  # never started
    for _ in range(3):
        sampler.sample()
    assert sampler.peaks["usage"] == 73400320
    assert sampler.peaks["working_set"] == 73400320 - 16777216


def test_connections_counted_from_the_containers_proc_net_tcp():
    table = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 1 1 0 100 0 0 10 0\n"
        "   1: 0300120A:A1B2 0200120A:1538 01 00000000:00000000 00:00000000 00000000 10001 0 2 1 0 20 4 30 10 -1\n"
        "   2: 0300120A:A1B4 0200120A:1538 01 00000000:00000000 00:00000000 00000000 10001 0 3 1 0 20 4 30 10 -1\n"
        "   3: 0300120A:A1B6 0400120A:0CEA 06 00000000:00000000 03:00000C1A 00000000 0 0 0 3 0\n"
        "   4: 0300120A:A1B8 0500120A:2BCB 01 00000000:00000000 00:00000000 00000000 10001 0 4 1 0 20 4 30 10 -1\n"
    )
    counts = docker_engine.established_by_remote_port(table)
    assert counts == {5432: 2, 11211: 1}  # the listener and the TIME_WAIT to MySQL are not held
    assert runtime_compose.DB_PORTS == {"postgres": 5432, "mysql": 3306, "memcached": 11211}


# --- the compose command lines ------------------------------------------------------------

BASE = ["docker", "compose", "-f", "compose.yaml", "-f", "compose/bench.yaml"]


def test_compose_command_lines():
    c = runtime_compose.compose
    assert c("up", "-d", "--wait", profiles=["go_stdlib"]) == [
        *BASE, "--profile", "go_stdlib", "up", "-d", "--wait"]
    assert c("restart", "go_stdlib", profiles=["go_stdlib"]) == [
        *BASE, "--profile", "go_stdlib", "restart", "go_stdlib"]
    assert c("down", profiles=["fastapi_tuned", "go_stdlib"]) == [
        *BASE, "--profile", "fastapi_tuned", "--profile", "go_stdlib", "down"]  # no -v: volumes stay
    assert c("config", "--format", "json") == [*BASE, "config", "--format", "json"]


def test_override_ports_follow_infra_toml_and_the_offset():
    env = runtime_compose.published_ports_env()
    s = config.settings()
    assert env == {"BENCH_POSTGRES_PORT": str(s["postgres"]["port"]),
                   "BENCH_MYSQL_PORT": str(s["mariadb"]["port"]),
                   "BENCH_MEMCACHED_PORT": str(s["memcached"]["port"]),
                   "BENCH_MOCK_PORT": str(s["external_mock"]["port"])}


def test_base_url_from_the_rendered_model():
    model = {"services": {"go_stdlib": {"ports": [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 8000, "published": "8005", "protocol": "tcp"}]},
        "postgres": {}}}
    assert runtime_compose.base_url(model, "go_stdlib") == "http://127.0.0.1:8005"
    with pytest.raises(InfraError, match="publishes no port"):
        runtime_compose.base_url(model, "postgres")


def test_gate_runs_the_suite_against_the_container():
    argv, env = gate.command("go_stdlib", base_url="http://127.0.0.1:8005", mock_key="go_stdlib")
    assert argv[-4:] == ["tests/contract", "-q", "-p", "no:cacheprovider"]
    assert "--service" not in argv
    assert env == {"BASE_URL": "http://127.0.0.1:8005", "MOCK_KEY": "go_stdlib", "CONTRACT_SERVERS": "running"}
    native, native_env = gate.command("go_stdlib")
    assert native[-6:] == ["tests/contract", "--service", "go_stdlib", "-q", "-p", "no:cacheprovider"]
    assert native_env == {"CONTRACT_BUILT": "1"}  # built once, by the sweep


def test_servers_someone_else_runs_are_checked_not_started(monkeypatch):
    monkeypatch.setattr(infra.procs, "port_open", lambda host, port: False)
    with pytest.raises(InfraError, match="nothing answers"):
        infra.require_listening()


def test_placement_records_quota_without_cpuset():
    pl = runtime_compose.placement([0, 1])
    assert pl.mode == "compose" and pl.generator_cpus == [1] and pl.service_cpus == [0, 1]
    assert pl.cpu_quota_cores == 1.0 and pl.memory_limit_bytes == 2 * 1024**3
    assert any("no cpuset" in n for n in pl.notes)


def test_a_compose_level_validates_and_renders(tmp_path):
    """A level carrying the engine's figures is a valid results document and the reports say
    MariaDB, which compose runs as natively."""
    rf = harness_samples.document(tmp_path)
    lv = harness_samples.level("go_stdlib", "users", 10, "oha/ok").as_dict()
    lv["service_cpu"] = docker_engine.cpu_figures(docker_engine.cpu_sample(V2_BEFORE),
                                                  docker_engine.cpu_sample(V2_AFTER), 1.0)
    lv["service_memory"] = {"current_bytes": docker_engine.memory_usage(V2_AFTER),
                            "peak_bytes": docker_engine.memory_usage(V2_AFTER),
                            "peak_scope": "level (Engine API stats every 0.5 s)", "oom_kills": 0,
                            "working_set_bytes": docker_engine.working_set(V2_AFTER),
                            "peak_working_set_bytes": docker_engine.working_set(V2_AFTER),
                            "limit_bytes": 2 * 1024**3, "source": "docker-engine"}
    lv["databases"] = {n: {"cpu_percent_of_core": 5.0} for n in runtime_compose.INFRA}
    lv["db_connections"] = {n: {"max": 1, "mean": 1.0, "samples": 2} for n in runtime_compose.DB_PORTS}
    rf.doc["environment"]["placement"] = runtime_compose.placement([0, 1]).as_dict()
    rf.add_level(Level.model_validate(lv))
    md = markdown.render(rf.document())  # parsed: the schema and the models accept it
    assert "placement: **compose**" in md and "MariaDB CPU" in md  # compose runs MariaDB 10.11 too


# --- no engine ----------------------------------------------------------------------------

def test_no_engine_fails_fast_and_says_how_to_run_natively(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    with pytest.raises(InfraError) as e:
        runtime_compose.ComposeRuntime()
    msg = str(e.value)
    assert f"no Docker engine at unix://{tmp_path}/docker.sock" in msg and "does not exist" in msg
    assert "without --runtime compose" in msg


def test_a_dead_socket_is_no_engine(tmp_path):
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # bound, never listening: connections are refused
        with pytest.raises(InfraError, match="no Docker engine"):
            docker_engine.connect(f"unix://{path}")


def test_only_a_local_socket(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
    with pytest.raises(InfraError, match="unix:// socket"):
        docker_engine.connect()


def test_sweep_exits_3_before_writing_anything(tmp_path):
    """The real command line: no engine is an InfraError (exit 3, environment), and no results directory."""
    from loadtest.core.config import ROOT

    out = tmp_path / "run"
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/docker.sock"}
    r = subprocess.run([sys.executable, "-m", "loadtest", "sweep", "--runtime", "compose",
                        "go_stdlib", "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 3, r.stderr
    assert "no Docker engine" in r.stderr and not out.exists()
