"""The chaos harness's pure parts, without any server: windows, metrics, the table."""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import asdict
from pathlib import Path

from loadtest.chaos import cli, degraded, hung, judge, load, observe, slowloris, table, toxiproxy
from loadtest.chaos.context import FULL, PROFILES, QUICK, Context, Outcome
from loadtest.chaos.faults import FAULTS
from loadtest.chaos.load import Sample, unresolved
from loadtest.core.config import DB_DIR
from loadtest.records.chaos import ChaosRun
from loadtest.scenarios import devices_post_writes
from loadtest.servers.manifest import Manifest

NEW = {"slow-postgres", "slow-mariadb", "restart-postgres-idle", "readonly-postgres", "trickle-external",
       "slowloris", "sigterm", "combined"}
HUNG = {f"{how}-{server}" for how, servers in
        {"stall": ("postgres", "mariadb", "memcached"), "latency": ("postgres", "mariadb"),
         "blackhole": ("postgres", "mariadb", "memcached"), "reset": ("postgres", "mariadb")}.items()
        for server in servers}


def test_parse_metric_matches_labels_in_any_order():
    text = ('# TYPE app_op_errors_total counter\n'
            'app_op_errors_total{op="insert",db="postgres"} 2.0\n'
            'app_op_errors_total{db="memcache",op="set"} 7.0\n')
    assert observe.parse_metric(text, "app_op_errors_total", op="set", db="memcache") == 7.0
    assert observe.parse_metric(text, "app_op_errors_total", op="get", db="external") is None


def test_windows_and_recovery_helpers():
    samples = [Sample(0.0, 0.1, 201), Sample(1.0, 1.2, 503, json_detail=True),
               Sample(2.0, 2.5, None, "ConnectError"), Sample(3.0, 3.1, 201)]
    assert [s.start for s in load.started_between(samples, 1.0, 3.0)] == [1.0, 2.0]
    assert load.first_ok_end_after(samples, 1.0) == 3.1
    assert load.last_ok_end_before(samples, 2.9) == 0.1
    assert load.status_counts(samples) == {"201": 2, "503": 1, "error:ConnectError": 1}


def test_outcome_passes_only_with_every_criterion():
    o = Outcome("postgres", criteria={"a": True, "b": True})
    assert o.passed
    o.criteria["b"] = False
    assert not o.passed and o.as_dict()["failed"] == ["b"]
    assert not Outcome("kill", error="boom", criteria={"a": True}).passed


def chaos_run(faults: list[str], services: dict | None = None, **fields) -> ChaosRun:
    """A chaos record as runner.run writes it (records/chaos.py), FULL's profile."""
    return ChaosRun.model_validate({"kind": "chaos", "command": "c", "date": "d", "git_commit": "g",
                                    "run_dir": "/tmp/chaos", "port_offset": 300, "profile": asdict(FULL),
                                    "faults": faults, "services": services or {}, **fields})


def test_table_marks_every_cell():
    ok = Outcome("postgres", criteria={"x": True}, cell="503 in ≤0.1 s").as_dict()
    bad = Outcome("kill", criteria={"nothing lost": False}, cell="gap 1.0 s").as_dict()
    doc = chaos_run(["postgres", "kill"], command="uv run loadtest chaos", git_commit="abc",
                    services={"svc": {"status": "done", "faults": {"postgres": ok, "kill": bad}, "notes": []},
                              "gone": {"status": "not started", "error": "exit 1", "faults": {}}})
    md = table.markdown(doc)
    assert doc.failures() == ["svc/kill", "gone"]
    assert "| svc | ✅ 503 in ≤0.1 s | ❌ gap 1.0 s |" in md
    assert "**svc / kill**: nothing lost" in md and "**gone**: not started" in md
    assert "`uv run loadtest chaos`" in md


def test_cli_offers_every_registered_fault_and_profile():
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["chaos"])
    assert args.faults == list(FAULTS) and args.profile == "full"
    assert set(FAULTS) == {"postgres", "memcached", "mariadb", "external", "overload", "kill", *HUNG, *NEW}
    assert set(PROFILES) == {"full", "quick"}
    md = table.markdown(chaos_run(list(FAULTS)))
    for fault in FAULTS.values():  # every fault has its column and its criterion in the table
        assert fault.column.format(**table.template_values(asdict(FULL))) in md


def test_hangs_outlast_the_contracts_bounds():
    """Every request started during a hang must time out: the hang lasts longer than the
    5 s bound, the added latency exceeds the 3 s query bound, and the load's client waits
    longer than 5 s, so a hung request shows as one instead of as a client error."""
    for p in PROFILES.values():
        assert p.hang_s > p.answer_limit_s and p.latency_s > 3.0
        assert p.client_timeout_s > p.answer_limit_s
    assert FULL.hang_s == 8.0 and 5.0 < QUICK.hang_s < FULL.hang_s


def test_only_network_faults_go_through_the_proxy():
    for name in HUNG:
        assert FAULTS[name].proxied == (not name.startswith("stall-")), name
        assert FAULTS[name].group == hung.GROUP
    toxic = {"slow-postgres", "slow-mariadb", "combined"}  # a latency toxic
    assert {f for f in FAULTS if f not in HUNG and FAULTS[f].proxied} == toxic


def test_toxics_per_kind():
    ctx = Context(None, 0, FULL, "r", None, None)
    assert hung._toxics("latency", ctx) == [("slow", "latency", "downstream", {"latency": 4000})]
    assert {t[2] for t in hung._toxics("blackhole", ctx)} == {"upstream", "downstream"}
    assert all(t[1] == "timeout" and t[3] == {"timeout": 0} for t in hung._toxics("blackhole", ctx))
    assert hung._toxics("reset", ctx)[0][1:3] == ("reset_peer", "upstream")


def test_outage_answers_accept_any_expected_status_with_json_detail():
    window = [Sample(0.0, 3.0, 503, json_detail=True), Sample(0.5, 3.5, 504, json_detail=True),
              Sample(1.0, 2.0, 504, json_detail=False), Sample(1.0, 9.5, 200),
              Sample(1.0, 5.0, 200)]
    got = judge.outage_answers(window, (503, 504), back=9.0)
    assert got["unexpected"] == 2 and got["max_latency_s"] == 8.5
    assert judge.first_ok_end(window, 0.9) == 5.0 and judge.first_ok_end(window, 1.1) is None


def test_timeline_buckets_answers_by_second_of_their_end():
    samples = [Sample(9.0, 9.5, 201), Sample(10.0, 10.2, 503), Sample(10.0, 12.9, 503),
               Sample(10.0, 13.0, None, "ReadTimeout")]
    assert hung.timeline(samples, 10.0) == [{"t": -1, "201": 1}, {"t": 0, "503": 1},
                                             {"t": 2, "503": 1}, {"t": 3, "error:ReadTimeout": 1}]


def test_toxiproxy_ports_stay_clear_of_the_servers_and_the_ephemeral_range():
    """Offsets come in hundreds: a proxy port whose last two digits no server port has can
    never meet another checkout's server; + 1000 as test_config allows for CI."""
    infra = tomllib.loads((DB_DIR / "infra.toml").read_text())
    servers = {section["port"] % 100 for section in infra.values() if "port" in section}
    ours = [toxiproxy.API_PORT, *toxiproxy.PROXY_PORTS.values()]
    assert len(set(ours)) == len(ours)
    assert all(p % 100 not in servers and p + 1000 < 32768 for p in ours)


def test_proxied_environment_points_every_dependency_at_its_proxy():
    env = toxiproxy.service_env()
    assert f":{toxiproxy.listen_port('postgres')}/" in env["DATABASE_URL"]
    assert env["DATABASE_URL"].startswith("postgresql://bench:bench@127.0.0.1:")
    assert f":{toxiproxy.listen_port('mariadb')}/" in env["MYSQL_URL"]
    assert env["MEMCACHED_ADDR"] == f"127.0.0.1:{toxiproxy.listen_port('memcached')}"


def test_table_has_one_section_per_group_of_faults():
    md = table.markdown(chaos_run(["postgres", "stall-postgres", "blackhole-mariadb"]))
    assert "## Outages, upstream, overload, kill" in md and f"## {hung.GROUP}" in md
    assert "| service | PostgreSQL frozen 8 s | MariaDB black hole 8 s (io-mix) |" in md


# --- the devices-post checker, key by key (scenarios/devices_post_writes.judge) -------------------

def _try(key: str, status: int | None, t: float, answer_id: int | None = None, detail: object = None) -> Sample:
    """One attempt of `key`, from wall-clock second t to t + 0.5."""
    answer = {"id": answer_id, "uuid": f"00000000-0000-4000-8000-{answer_id:012d}"} if answer_id else None
    return Sample(t, t + 0.5, status, sent={"mac": "EF-2B-C4-F5-D6-34", "firmware": key}, answer=answer,
                  key=key, detail=detail, wall_start=t, wall_end=t + 0.5)


def _row(key: str, row_id: int, created_at: float) -> dict:
    return {"id": row_id, "uuid": f"00000000-0000-4000-8000-{row_id:012d}", "mac": "EF-2B-C4-F5-D6-34",
            "firmware": key, "created_at": created_at, "same_times": True}


def test_a_created_key_with_its_one_row_is_ok():
    got = devices_post_writes.judge([_try("k1", 201, 10.0, 1)], [_row("k1", 1, 10.2)])
    assert got["ok"] and got["ok_keys"] == 1 and got["rows"] == 1


def test_a_503_whose_write_happened_is_a_phantom_even_when_a_retry_found_the_row():
    tries = [_try("k1", 503, 10.0, detail="postgres unavailable"), _try("k1", 201, 11.0, 7)]
    got = devices_post_writes.judge(tries, [_row("k1", 7, 10.3)])  # stamped during the 503
    assert got["phantom_503"] == 1 and not got["ok"]


def test_a_504_resolved_by_its_keyed_retry_is_ok():
    tries = [_try("k1", 504, 10.0, detail="postgres timed out: outcome unknown"), _try("k1", 201, 11.0, 7)]
    got = devices_post_writes.judge(tries, [_row("k1", 7, 10.3)])
    assert got["ok"] and got["unknown_keys"] == 1 and got["phantom_503"] == 0


def test_duplicates_failed_keys_with_rows_and_unknown_rows_are_counted():
    got = devices_post_writes.judge([_try("k1", 201, 10.0, 1)], [_row("k1", 1, 10.2), _row("k1", 2, 10.3)])
    assert got["duplicate_rows"] == 1 and got["lost_201"] == 1 and not got["ok"]
    got = devices_post_writes.judge([_try("k2", 503, 10.0)], [_row("k2", 3, 10.1)])
    assert got["failed_with_row"] == 1 and got["phantom_503"] == 1
    got = devices_post_writes.judge([_try("k3", 503, 10.0)], [_row("other", 4, 10.1)])
    assert got["failed_keys"] == 1 and got["unknown_rows"] == 1 and not got["ok"]


def test_a_201_without_body_driver_text_and_an_unresolved_key_are_failures():
    assert devices_post_writes.judge([_try("k1", 201, 10.0)], [])["created_without_body"] == 1
    got = devices_post_writes.judge([_try("k1", 503, 10.0, detail="connection refused 127.0.0.1:5432")], [])
    assert got["driver_text"] == 1 and not got["ok"]
    got = devices_post_writes.judge([_try("k1", 504, 10.0, detail="postgres timed out: outcome unknown")], [])
    assert got["unresolved_keys"] == 1 and not got["ok"]


def test_the_resolving_pass_retries_unknown_outcomes_only():
    samples = [_try("a", 504, 1.0), _try("b", 503, 1.0), _try("c", None, 1.0), _try("c", 201, 2.0, 1),
               _try("d", 504, 1.0), _try("d", 503, 2.0)]
    assert sorted(s.key for s in unresolved(samples)) == ["a", "d"]


# --- the faults of slow, restarted, read-only and trickling dependencies, slow clients, deploys ---

def _ctx(workers: int, threads: int, profile=FULL) -> Context:
    return Context(Manifest("svc", "", "python", Path("."), "run", workers=workers, threads=threads),
                   0, profile, "r", None, None)


def test_the_load_queues_a_service_that_serves_a_request_per_thread():
    """django's one worker of 8 threads gets 16 clients; an event loop the profile's 8."""
    assert _ctx(1, 8).concurrency == 16 and _ctx(1, 1).concurrency == FULL.concurrency == 8
    assert _ctx(4, 8).slots == 32 and _ctx(4, 8).concurrency == 64


def test_slow_clients_outnumber_the_slots_within_a_bound():
    assert slowloris.slow_client_count(_ctx(1, 8)) == 48
    assert slowloris.slow_client_count(_ctx(1, 1)) == 20
    assert slowloris.slow_client_count(_ctx(64, 8)) == FULL.slow_clients_max


def test_slow_clients_never_finish_their_request():
    head, drips = slowloris.request("headers", "127.0.0.1", 80)
    sent = head + b"".join(next(drips) for _ in range(50))
    assert sent.startswith(b"GET /api/devices HTTP/1.1\r\n") and b"\r\n\r\n" not in sent
    head, drips = slowloris.request("body", "127.0.0.1", 80)
    declared = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    body = head.split(b"\r\n\r\n", 1)[1] + b"".join(next(drips) for _ in range(50))
    assert head.startswith(b"POST ") and len(body) < declared and body.strip() == b"{"


def test_a_slow_database_stays_within_the_contracts_bounds():
    """Slow, not down: one answer far under the 3 s statement bound, and io-mix's some 50
    round trips under the 5 s request bound, so every request must still succeed."""
    for p in PROFILES.values():
        assert degraded.slow_s(p, "postgres") <= 0.3 and 50 * degraded.slow_s(p, "mariadb") < p.answer_limit_s
        assert p.trickle_s > 2 + 1  # past EXTERNAL_TIMEOUT_SECONDS and its second of slack
        assert p.in_flight_s < 2  # the upstream requests in flight at SIGTERM answer in time


def test_the_slow_clients_load_is_the_dependency_free_read():
    s = slowloris.beside()
    assert s.method == "GET" and not (s.reads or s.writes or s.upstream)


def test_repeats_report_the_worst_run_and_fail_if_any_failed():
    from loadtest.chaos.runner import worst

    ok = Outcome("kill", criteria={"gap": True}, cell="gap 0.2 s").as_dict()
    bad = Outcome("kill", criteria={"gap": False, "nothing lost": False}, cell="gap 9.0 s").as_dict()
    one_bad = Outcome("kill", criteria={"gap": False, "nothing lost": True}, cell="gap 7.0 s").as_dict()
    got = worst([ok, one_bad, bad])
    assert not got["passed"] and got["cell"] == "gap 9.0 s (1/3 runs passed)" and len(got["repeats"]) == 3
    assert worst([ok, ok, ok])["passed"] and worst([ok, ok, ok])["cell"].endswith("(3/3 runs passed)")
    assert worst([ok]) == ok  # a single run is reported as it is
    assert FULL.repeats == 3 and QUICK.repeats == 1
