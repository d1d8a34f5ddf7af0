"""Run the chosen faults against each service in turn and keep every measurement.

The servers are this run's own (BENCH_RUN_DIR / BENCH_PORT_OFFSET, see commands): stopping
them never disturbs anyone else. Each service is built and started by the bench (bench.py), in
its own box as in a sweep (1 vCPU, 2 GiB), at one port for the whole run. Before each fault
every server is started again and a crashed service is restarted (and that is noted), so one
failure does not cascade. The gate is not run here: the contract suite is its own step."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from ..core.config import RESULTS_DIR, port_offset, run_dir
from ..core.errors import InfraError
from ..measurement.bench import Bench
from ..records.chaos import NOT_STARTED, ChaosRun
from ..records.results import git, utc_now
from ..runtime import service
from ..runtime.native import NativeRuntime
from ..scenarios import SCENARIOS
from ..servers import infra, manifest, mock, procs
from . import degraded, table, toxiproxy
from .context import Context, Outcome, Profile
from .faults import FAULTS


def results_dir(out: Path | None) -> Path:
    d = out or RESULTS_DIR / f"chaos-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    (d / "raw").mkdir(parents=True, exist_ok=True)
    return d


def run(names: list[str], fault_names: list[str], profile: Profile, out: Path | None,
        command: str, log: Callable[[str], None] = print) -> tuple[ChaosRun, Path]:
    manifests = [manifest.load(n) for n in names] if names else manifest.load_all()
    directory = results_dir(out)
    doc = {"kind": "chaos", "command": command, "date": utc_now(),
           "git_commit": git("rev-parse", "HEAD"),
           "git_dirty": bool(git("status", "--porcelain", "--", "services", "loadtest")),
           "run_dir": str(run_dir()), "port_offset": port_offset(), "profile": asdict(profile),
           "faults": fault_names, "services": {}}
    with infra.as_found(), toxiproxy.as_found():
        for m in manifests:
            doc["services"][m.name] = _one_service(m, fault_names, profile, directory, doc, log)
            _save(doc, directory)
    _save(doc, directory)
    result = ChaosRun.model_validate(doc)
    (directory / "reliability.md").write_text(table.markdown(result))
    return result, directory


def _one_service(m: manifest.Manifest, fault_names: list[str], profile: Profile, directory: Path,
                 doc: dict, log: Callable[[str], None]) -> dict:
    with Bench(NativeRuntime(), directory) as bench:
        return _faults(m, bench, fault_names, profile, directory, doc, log)


def _faults(m: manifest.Manifest, bench: Bench, fault_names: list[str], profile: Profile, directory: Path,
            doc: dict, log: Callable[[str], None]) -> dict:
    port = procs.free_port()
    ctx = Context(m, port, profile, uuid.uuid4().hex[:8], directory / "raw", bench)
    entry = {"status": "running", "port": port, "faults": {}, "notes": ctx.notes}
    if not bench.prepare(m, [], gate=False, port=port, env=ctx.env()):  # a service that cannot start is reported
        entry.update(status=NOT_STARTED, error=bench.failures[-1])
        log(f"{m.name}: not started: {bench.failures[-1]}")
        return entry
    try:
        for name in fault_names:
            runs = []
            for ctx.repeat in range(1, profile.repeats + 1):
                log(f"{m.name}: {name}{f' ({ctx.repeat}/{profile.repeats})' if profile.repeats > 1 else ''} ...")
                runs.append(_one_fault(ctx, name).as_dict())
            result = worst(runs)
            entry["faults"][name] = result
            log(f"{m.name}: {name}: {'pass' if result['passed'] else 'FAIL'}: {result['cell']}"
                + (f" (failed: {', '.join(result['failed'])})" if result["failed"] else ""))
            doc["services"][m.name] = entry
            _save(doc, directory)
    finally:
        for scenario in SCENARIOS.values():  # whatever this service's faults wrote
            scenario.forget_writes(f"chaos-{ctx.run_id}-{m.name}-")
    entry["status"] = "done"
    return entry


def _one_fault(ctx: Context, name: str) -> Outcome:
    try:
        _prepare(ctx, name)
        return FAULTS[name].run(ctx)
    except Exception as e:  # noqa: BLE001 -- one fault's failure is a result, not a crash
        return Outcome(name, error=f"{type(e).__name__}: {e}", cell=f"harness error: {e}"[:120])


def worst(runs: list[dict]) -> dict:
    """The repeats of one fault as one result: the worst run's (the most criteria failed, the
    first of those), passed only if every run passed, every run kept under `repeats`."""
    first_worst = max(runs, key=lambda r: (not r["passed"], len(r["failed"]) + (r["error"] is not None)))
    if len(runs) == 1:
        return first_worst
    passed = sum(r["passed"] for r in runs)
    return {**first_worst, "passed": passed == len(runs),
            "cell": f"{first_worst['cell']} ({passed}/{len(runs)} runs passed)", "repeats": runs}


def _prepare(ctx: Context, fault: str) -> None:
    """Every server up, the mock at its defaults, the service alive (restarted and noted if a
    previous fault killed it) and reaching its dependencies as the fault needs (directly, or
    through Toxiproxy without toxics), then a moment for its pools to reconnect."""
    infra.up()
    degraded.restore_writes()  # a run killed inside readonly-postgres left it read-only
    mock.reset(ctx.mock_key)
    if not ctx.running.alive():
        ctx.notes.append(f"restarted before {fault}: the service had exited")
        ctx.start_service()
    ctx.route(FAULTS[fault].proxied)
    if ctx.via_proxy:
        toxiproxy.start()  # again: a previous fault may have left it stopped or with toxics
        toxiproxy.reset()
    try:
        service.wait_healthy(ctx.running, 30)
    except InfraError as e:
        # A previous fault left it alive but stuck: that fault's criteria show it; the next
        # one gets a fresh process, and the note says so.
        ctx.notes.append(f"restarted before {fault}: not healthy ({str(e)[:200]})")
        ctx.start_service()
    time.sleep(0.5)


def _save(doc: dict, directory: Path) -> None:
    (directory / "results.json").write_text(json.dumps(doc, indent=1, default=str) + "\n")
