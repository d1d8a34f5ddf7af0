"""A results document assembled the way a sweep assembles it, from captured tool outputs."""

from __future__ import annotations

from pathlib import Path

from loadtest import generator, isolation, results, sweep
from loadtest.isolation import CpuSample
from loadtest.tools import k6, oha

FIXTURES = Path(__file__).parents[1] / "fixtures"
PLACEMENT = isolation.plan([0, 1], mode="cgroup-v1")


def level(service: str, scenario: str, users: int, fixture: str, expected: int = 200,
          rate: float | None = None, cpu_s: float = 0.5) -> dict:
    tool = fixture.split("/")[0]
    raw = (FIXTURES / f"{fixture}.json").read_bytes()
    parsed = oha.parse(raw) if tool == "oha" else k6.parse(raw)
    gen = generator.GeneratorRun(parsed, cpu_s=0.3, wall_s=1.0, raw_path=Path("raw/x.json"), argv=[])
    lv = {"service": service, "scenario": scenario, "mode": "open" if rate else "closed",
          "users": users, "target_rps": rate, "started_at": "2026-11-21T05:00:00Z",
          "host_loadavg_1m": 1.0, **sweep.generator_summary(gen, expected)}
    lv["achieved_ratio"] = lv["rps"] / rate if rate else None
    lv["service_cpu"] = sweep.service_cpu(CpuSample(0, 0, 0, 0), CpuSample(int(cpu_s * 1e9), 10, 2, 5_000_000),
                                          1.0, PLACEMENT, "cgroup-v1")
    lv["service_memory"] = {"current_bytes": 50 << 20, "peak_bytes": 60 << 20, "peak_scope": "level",
                            "oom_kills": 0}
    lv["generator"] = {"cpu_percent_of_core": 30.0, "bound": False, "ceiling_rps": None}
    lv["databases"] = {"postgres": {"cpu_percent_of_core": 12.0}, "memcached": {"cpu_percent_of_core": 1.0}}
    lv["db_connections"] = {"postgres": {"max": 10, "mean": 9.5, "samples": 3},
                            "mariadb": {"max": 0, "mean": 0.0, "samples": 3}}
    lv["devices_post"] = None
    if scenario == "devices-post":
        n = lv["status_codes"].get("201", 0)
        lv["devices_post"] = {"status_201": n, "in_flight_at_deadline": lv["aborted_at_deadline"],
                              "rows_inserted": n, "consistent": True, "cache_checked": n,
                              "cache_found": n, "error": None}
    lv["service_alive"] = True
    lv["raw"] = f"raw/{service}.{scenario}.{users}.json"
    return lv


def document(tmp: Path, label: str = "sample", scale: float = 1.0) -> results.ResultsFile:
    tmp.mkdir(parents=True, exist_ok=True)
    rf = results.ResultsFile.new(
        tmp, run={"id": tmp.name, "label": label, "command": ["loadtest", "sweep"],
                  "options": {"levels": [10, 20], "duration_s": 1.0, "warmup_s": 0.0, "pause_s": 0.0,
                              "keepalive": True, "fib_n": 25, "external_delay_ms": 500,
                              "skip_gate": False}},
        environment=results.environment(PLACEMENT.as_dict(), ["oha"]),
    )
    for name in ("go_stdlib", "django"):
        rf.set_service(name, status="measured", error=None, summary="s", language="x", workers=1,
                       gate={"status": "passed", "seconds": 1.0, "command": "pytest", "output_tail": ""})
    rf.set_service("rust_axum", status="gate-failed", error="contract suite failed: not measured",
                   gate={"status": "failed", "seconds": 2.0, "command": "pytest", "output_tail": "1 failed"})
    for svc, fx in (("go_stdlib", "oha/ok"), ("django", "oha/mixed")):
        for users in (10, 20):
            lv = level(svc, "devices-get", users, fx)
            lv["rps"] *= scale
            rf.add_level(lv)
    rf.add_level(level("go_stdlib", "devices-post", 10, "oha/devices_post_go_stdlib", expected=201))
    rf.add_level(level("go_stdlib", "fetch-external", 10, "k6/open_dropped", rate=200.0))
    rf.finish("complete")
    return rf
