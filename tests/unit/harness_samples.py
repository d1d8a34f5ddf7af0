"""A results document assembled exactly the way a sweep assembles it: captured tool outputs
parsed by the real adapters, each level built by level.build_level from raw figures."""

from __future__ import annotations

from pathlib import Path

from loadtest import tools
from loadtest.records import results
from loadtest.records.level import Level, RawLevel, ServiceMemory, build_level
from loadtest.runtime import isolation
from loadtest.runtime.isolation import CpuSample
from loadtest.runtime.native import service_cpu
from loadtest.scenarios import SCENARIOS
from loadtest.tools import Load

FIXTURES = Path(__file__).parents[1] / "fixtures"
PLACEMENT = isolation.placement([0, 1], mode="cgroup-v1")


def level(service: str, scenario: str, users: int, fixture: str, rate: float | None = None,
          cpu_s: float = 0.5, generator_cpu: float = 0.3, ceiling: float | None = None,
          scale: float = 1.0, round_: int = 1) -> Level:
    tool = tools.get(fixture.split("/")[0])
    load = Load(SCENARIOS[scenario], users, 1.0, rate=rate)
    parsed = tool.parse((FIXTURES / f"{fixture}.json").read_bytes(), load)
    parsed.duration_s /= scale  # the same counts in a shorter window: `scale` times the rate
    check = None
    if scenario == "devices-post":
        n = parsed.status_codes.get("201", 0)
        check = {"status_201": n, "in_flight_at_deadline": parsed.aborted_at_deadline,
                 "rows_inserted": n, "consistent": True, "cache_checked": n,
                 "cache_found": n, "error": None}
    return build_level(RawLevel(
        service=service, scenario=scenario, users=users, started_at="2026-11-21T05:00:00Z",
        expected_status=SCENARIOS[scenario].expected_status, tool=parsed,
        generator_cpu_of_core=generator_cpu,
        service_cpu=service_cpu(CpuSample(0, 0, 0, 0, 0, 0),
                                CpuSample(int(cpu_s * 1e9), 10, 2, 5_000_000, int(cpu_s * 0.7e9), int(cpu_s * 0.3e9)),
                                1.0, PLACEMENT, "cgroup-v1"),
        service_memory=ServiceMemory(current_bytes=50 << 20, peak_bytes=60 << 20, peak_scope="level",
                                     oom_kills=0),
        target_rps=rate, ceiling_rps=ceiling, host_loadavg_1m=1.0,
        databases={"postgres": {"cpu_percent_of_core": 12.0}, "memcached": {"cpu_percent_of_core": 1.0}},
        db_connections={"postgres": {"max": 10, "mean": 9.5, "samples": 3},
                        "mariadb": {"max": 0, "mean": 0.0, "samples": 3}},
        host_cpu={"busy_cores": 1.5, "benchmark_cores": 1.5, "other_cores": 0.0},
        check=check, raw=f"raw/{service}.{scenario}.{users}.json", round=round_))


def document(tmp: Path, label: str = "sample", scale: float = 1.0, rounds: int = 1) -> results.ResultsFile:
    """Two services on devices-get at 10 and 20 users (django's with 503s), a devices-post and
    an open-loop level; each round scales the rates by 1, 1.05, 1.10, ... (a drifting machine)."""
    tmp.mkdir(parents=True, exist_ok=True)
    rf = results.ResultsFile.new(
        tmp, run={"id": tmp.name, "label": label, "command": ["loadtest", "sweep"],
                  "options": {"levels": [10, 20], "duration_s": 1.0, "warmup_s": 0.0, "pause_s": 0.0,
                              "keepalive": True, "params": {"fib_n": 25, "external_delay_ms": 500},
                              "skip_gate": False, "tool": "oha", "rounds": rounds}},
        environment=results.environment(PLACEMENT.as_dict(), ["oha"]),
    )
    for name in ("go_stdlib", "django"):
        rf.set_service(name, status="measured", error=None, summary="s", language="x", workers=1,
                       gate={"status": "passed", "seconds": 1.0, "command": "pytest", "output_tail": ""})
    rf.set_service("rust_axum", status="gate-failed", error="contract suite failed: not measured",
                   gate={"status": "failed", "seconds": 2.0, "command": "pytest", "output_tail": "1 failed"})
    for r in range(1, rounds + 1):
        for svc, fx in (("go_stdlib", "oha/ok"), ("django", "oha/mixed")):
            for users in (10, 20):
                rf.add_level(level(svc, "devices-get", users, fx, scale=scale * (1 + 0.05 * (r - 1)),
                                   round_=r))
    rf.add_level(level("go_stdlib", "devices-post", 10, "oha/devices_post_go_stdlib"))
    rf.add_level(level("go_stdlib", "fetch-external", 10, "k6/open_dropped", rate=200.0))
    rf.finish("complete")
    return rf
