"""`loadtest calibrate`: checks of the load generators themselves, on this machine, written to
results/calibration.json. Benchmark checks, not tests: the figures depend on the machine.

1. ceilings: each tool (oha, k6, wrk) against a trivial server (a second external mock,
   delay 0, in a 1-vCPU cgroup on the service's core). A level of a real sweep that reaches
   90 % of its tool's ceiling is flagged generator_bound (level.generator_bound). When the
   trivial server used its whole quota the ceiling is a lower bound: `limited_by` says so, and
   only a ceiling `limited_by: generator` is used. `closed_loop_default` is the closed-loop
   tool (oha or wrk) with the highest such ceiling.
2. agreement: wrk and oha against a real service at a level neither tool bounds (go_stdlib
   GET /api/users, 10 connections): their successful requests/s should agree within 10 %.
3. open loop: the harness's open loop (oha -q --latency-correction) against the same service
   at 25 % of its closed-loop peak, beside k6's constant-arrival-rate at the same rate: both
   p99 and achieved rates; the harness's p99 should be within 2x of the other's.

calibration.json is records/calibration.py's Calibration (one model per section): each section
is replaced when its check runs again, the others are kept, and the sweep adds its noise probe."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .. import runtime, scenarios, tools
from ..core.config import RESULTS_DIR
from ..core.errors import InfraError
from ..records import results
from ..records.calibration import Calibration
from ..records.level import GENERATOR_BOUND_CPU, SERVICE_BUSY_CPU, accounting, generator_bound
from ..runtime import generator, isolation
from ..scenarios import SCENARIOS, Scenario
from ..servers import infra, manifest
from ..tools import Load, ToolResult
from .bench import Bench

CALIBRATION_FILE = RESULTS_DIR / "calibration.json"
RAW_DIR = RESULTS_DIR / "calibration-raw"
CHECKS = ("ceilings", "agreement", "open-loop")
# Scenarios the service checks may send: reads that need no hook (no rows to clean up, no
# upstream to configure), since the checks run no scenario hooks.
CHECK_SCENARIOS = [n for n, s in SCENARIOS.items() if s.method == "GET" and not s.upstream]
# The mock answers GET /external/{key}; this scenario is just that request.
TRIVIAL = Scenario("calibrate", "GET", "/external/calibrate?delay_ms=0", 200)
AGREEMENT_TOLERANCE = 0.10  # tools.AGREEMENT's two successful requests/s on an unbounded level
OPEN_LOOP_P99_LIMIT = 2.0  # the harness's open-loop p99 vs the reference tool's


@dataclass
class CheckPlan:
    """The agreement and open-loop checks: which service and scenario, how long, how hard."""

    service: str = "go_stdlib"
    scenario: str = scenarios.CHECK
    duration_s: float = 3.0
    agreement_users: int = 10
    peak_users: int = 50
    fraction: float = 0.25


@dataclass
class Target:
    """A server started by a Bench in its box, as the generator runs see it."""

    handle: runtime.Handle
    placement: isolation.Placement

    @property
    def base_url(self) -> str:
        return self.handle.base_url


# --- running one tool against a boxed target ------------------------------------------------
def run_tool(name: str, load: Load, base_url: str, target: Target, label: str,
             ceiling_rps: float | None = None) -> dict:
    """One pinned run of a tool; its figures (RUN in the module's docstring)."""
    RAW_DIR.mkdir(parents=True, exist_ok=True)
    c0, t0 = target.handle.cpu(), time.monotonic()
    run = generator.run(name, load, base_url, RAW_DIR / f"{label}.{name}.json",
                        target.placement.generator_cpus, RAW_DIR)
    c1, elapsed = target.handle.cpu(), time.monotonic() - t0
    target_cpu = (c1.usage_ns - c0.usage_ns) / 1e9 / elapsed if c0 and c1 else None
    return run_figures(run.result, load, run.cpu_s, run.cpu_of_core, target_cpu, ceiling_rps)


def run_figures(result: ToolResult, load: Load, cpu_s: float, cpu_of_core: float,
                target_cpu: float | None, ceiling_rps: float | None = None) -> dict:
    """A run's figures from the same accounting as a sweep's levels (pure)."""
    counts = accounting(result, load.scenario.expected_status)
    window = result.duration_s or float("nan")
    sent = result.sent
    return {"tool": result.tool, "users": load.users, "rps": counts["rps"], "ok_rps": counts["ok_rps"],
            "sent_rps": sent / window if sent else 0.0, "errors": counts["errors"]["total"],
            "p50_ms": result.latency_ms.get("p50"), "p99_ms": result.latency_ms.get("p99"),
            "dropped": result.dropped, "arrivals": result.arrivals,
            "cpu_percent_of_core": 100 * cpu_of_core,
            "cpu_us_per_request": 1e6 * cpu_s / sent if sent else None,
            "target_cpu_percent_of_quota": None if target_cpu is None else 100 * target_cpu,
            "generator_bound": generator_bound(cpu_of_core, target_cpu, counts["rps"] or 0, ceiling_rps)}


def limited_by(target_cpu: float | None, cpu_of_core: float) -> str:
    """Who limited a ceiling run: the trivial server (then the figure is a lower bound), the
    tool (a ceiling), or neither (another process took the CPU: no ceiling)."""
    if target_cpu is not None and target_cpu >= SERVICE_BUSY_CPU:
        return "target (lower bound)"
    return "generator" if cpu_of_core >= GENERATOR_BOUND_CPU else "neither (contention?)"


# --- 1. ceilings ----------------------------------------------------------------------------
@contextmanager
def boxed(name: str, extra_env: dict[str, str] | None = None) -> Iterator[Target]:
    """A service (the mock, or a benchmarked one) built and started in its 1-vCPU box by a
    Bench, as a sweep starts it but without its contract gate; stopped after."""
    rt = runtime.make("native")
    m = manifest.load(name)
    m = dataclasses.replace(m, env={**m.env, **(extra_env or {})})
    with Bench(rt, RAW_DIR) as bench:
        if not bench.prepare(m, scenarios=(), gate=False):
            raise InfraError(bench.failures[-1])
        yield Target(bench.handles[name], rt.placement)


def measure(users: int, duration_s: float, tool_names: list[str], console=None) -> dict:
    """Each tool's ceiling against the mock (delay 0), and the closed-loop default."""
    out = {"measured_at": results.utc_now(), "target": "external_mock, delay 0, 1 vCPU cgroup",
           "tools": {}}
    with boxed("external_mock", {"DELAY_MS": "0"}) as target:
        out["placement"] = target.placement.as_dict()
        for name in tool_names:
            say(console, f"ceiling of {name}: {users} users, {duration_s:g} s ...")
            out["tools"][name] = _ceiling(name, users, duration_s, target)
    out.update(closed_loop_default(out["tools"]))
    return out


def _ceiling(name: str, users: int, duration_s: float, target: Target) -> dict:
    run = run_tool(name, Load(TRIVIAL, users, duration_s), target.base_url, target, f"ceiling.{users}")
    target_cpu = run["target_cpu_percent_of_quota"]
    return {"rps": run["rps"], "cpu_percent_of_core": run["cpu_percent_of_core"],
            "target_cpu_percent_of_quota": target_cpu,
            "limited_by": limited_by(None if target_cpu is None else target_cpu / 100,
                                     run["cpu_percent_of_core"] / 100),
            "users": users, "duration_s": duration_s}


def closed_loop_default(ceilings: dict) -> dict:
    """The closed-loop tool (oha or wrk) with the highest ceiling. Among the runs that
    saturated the tool itself, the highest measured one; when the trivial target saturated
    first for every candidate (its 1-vCPU box is the limit on a fast core), the highest
    estimated ceiling, req/s divided by the share of its core the tool used: the tool that
    needs the least CPU per request reaches the furthest on its one core."""
    candidates = {n: c for n, c in ceilings.items() if n in tools.CLOSED_LOOP_CANDIDATES}
    valid = {n: c["rps"] for n, c in candidates.items() if c.get("limited_by") == "generator"}
    if valid:
        best = max(valid, key=valid.get)
        figures = ", ".join(f"{n} {r:,.0f}/s" for n, r in sorted(valid.items()))
        return {"closed_loop_default": best, "closed_loop_default_basis": f"highest ceiling: {figures}"}
    estimates = {n: e for n, c in candidates.items()
                 if c.get("limited_by") == "target (lower bound)" and (e := estimated_ceiling(c))}
    if not estimates:
        return {"closed_loop_default": None,
                "closed_loop_default_basis": f"no ceiling of {' or '.join(tools.CLOSED_LOOP_CANDIDATES)} "
                                             "was limited by the generator or by the target alone"}
    best = max(estimates, key=estimates.get)
    figures = ", ".join(f"{n} ~{r:,.0f}/s" for n, r in sorted(estimates.items()))
    return {"closed_loop_default": best,
            "closed_loop_default_basis": f"highest estimated ceiling (the target saturated first; "
                                         f"req/s / share of the tool's core): {figures}"}


def estimated_ceiling(ceiling: dict) -> float | None:
    """req/s over the fraction of its core the tool used: its rate on a whole core, if it scaled."""
    share = (ceiling.get("cpu_percent_of_core") or 0) / 100
    return ceiling["rps"] / share if share > 0.05 and ceiling.get("rps") else None


def say(console, text: str) -> None:
    if console:
        console.print(text)


# --- 2. agreement and 3. open loop, against a real service ---------------------------------
def service_checks(plan: CheckPlan, checks: list[str], calibration: Calibration | None, console=None) -> dict:
    """The checks that need a real service: started once in its box, with the servers it
    needs (left as found)."""
    out = {}
    scenario = SCENARIOS[plan.scenario]
    with infra.as_found(), boxed(plan.service) as target:
        if "agreement" in checks:
            say(console, f"agreement: wrk and oha, {plan.service} {plan.scenario}, {plan.agreement_users} users ...")
            out["agreement"] = agreement(plan, scenario, target, calibration)
        if "open-loop" in checks:
            say(console, f"open loop: {plan.fraction:.0%} of {plan.service}'s closed-loop peak, oha and k6 ...")
            out["open_loop"] = open_loop_check(plan, scenario, target, calibration)
    return out


def agreement(plan: CheckPlan, scenario: Scenario, target: Target, calibration: Calibration | None) -> dict:
    runs = {}
    for name in tools.AGREEMENT:
        load = Load(scenario, plan.agreement_users, plan.duration_s)
        runs[name] = run_tool(name, load, target.base_url, target, f"agreement.{plan.agreement_users}",
                              ceiling(calibration, name))
    return {"measured_at": results.utc_now(), "service": plan.service, "scenario": plan.scenario,
            "users": plan.agreement_users, "duration_s": plan.duration_s, "runs": runs,
            **agreement_figures(*(runs[name] for name in tools.AGREEMENT))}


def agreement_figures(first: dict, second: dict) -> dict:
    """first/second successful requests/s; they agree within 10 % (null when a tool bounded
    its run, or one run had no success: then the comparison says nothing about the tools)."""
    bound = [r["tool"] for r in (first, second) if r["generator_bound"]]
    ratio = first["ok_rps"] / second["ok_rps"] if first["ok_rps"] and second["ok_rps"] else None
    agree = None if bound or ratio is None else abs(ratio - 1) <= AGREEMENT_TOLERANCE
    return {"ratio": ratio, "tolerance": AGREEMENT_TOLERANCE, "generator_bound": bound, "agree": agree}


def open_loop_check(plan: CheckPlan, scenario: Scenario, target: Target, calibration: Calibration | None) -> dict:
    """The closed-loop peak (oha, peak_users), then the same rate from oha and from k6."""
    closed_tool = tools.DEFAULT_CLOSED_LOOP
    peak = run_tool(closed_tool, Load(scenario, plan.peak_users, plan.duration_s), target.base_url, target,
                    f"open-peak.{plan.peak_users}", ceiling(calibration, closed_tool))
    rate = plan.fraction * (peak["ok_rps"] or 0)
    out = {"measured_at": results.utc_now(), "service": plan.service, "scenario": plan.scenario,
           "duration_s": plan.duration_s, "fraction": plan.fraction, "peak": peak, "rate": rate}
    if rate < 1:
        return {**out, "runs": {}, "within": None, "note": "no closed-loop peak: nothing to compare"}
    runs = {}
    for name in (tools.DEFAULT_OPEN_LOOP, tools.OPEN_LOOP_REFERENCE):
        load = Load(scenario, plan.peak_users, plan.duration_s, rate=rate)
        runs[name] = run_tool(name, load, target.base_url, target, f"open.{rate:.0f}",
                              ceiling(calibration, name))
    return {**out, "runs": runs, **open_loop_figures(runs, rate)}


def open_loop_figures(runs: dict, rate: float, harness: str = tools.DEFAULT_OPEN_LOOP,
                      reference: str = tools.OPEN_LOOP_REFERENCE) -> dict:
    """The harness's open-loop p99 against the reference tool's at the same rate, whether each
    delivered the rate (tools.rate_held: within 2 %, at most 0.1 % dropped), and which
    tool was lightest (generator CPU per request)."""
    h, r = runs[harness], runs[reference]
    delivered = {name: tools.rate_held(run["sent_rps"], rate, run["dropped"], run["arrivals"] or rate)
                 for name, run in runs.items()}
    costs = {name: run["cpu_us_per_request"] for name, run in runs.items() if run["cpu_us_per_request"]}
    ratio = h["p99_ms"] / r["p99_ms"] if h["p99_ms"] and r["p99_ms"] else None
    within = None if ratio is None or not all(delivered.values()) else ratio <= OPEN_LOOP_P99_LIMIT
    return {"harness": harness, "reference": reference, "delivered": delivered,
            "lightest": min(costs, key=costs.get) if costs else None,
            "p99_ratio": ratio, "limit": OPEN_LOOP_P99_LIMIT, "within": within}


# --- calibration.json (records/calibration.py) --------------------------------------------------
def merge(previous: Calibration | None, new: dict) -> Calibration:
    """New sections replace old ones; the sections of checks not run this time are kept."""
    kept = previous.model_dump(exclude_unset=True) if previous else {}
    return Calibration.model_validate({**kept, **new, "measured_at": results.utc_now()})


def save(calibration: Calibration) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    data = calibration.model_dump(mode="json", exclude_unset=True)
    CALIBRATION_FILE.write_text(json.dumps(data, indent=1) + "\n")


def load() -> Calibration | None:
    """The last calibration of this checkout, or None (then generator_bound is judged from the
    generator's CPU alone)."""
    try:
        return Calibration.model_validate_json(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.exists() else None
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        print(f"loadtest: ignoring unreadable {CALIBRATION_FILE}", file=sys.stderr)
        return None


def ceiling(calibration: Calibration | None, tool: str) -> float | None:
    """A tool's ceiling (Calibration.ceiling), none without a calibration."""
    return calibration.ceiling(tool) if calibration else None


def closed_loop_tool(calibration: Calibration | None) -> str | None:
    """The calibrated closed-loop default (highest ceiling of oha and wrk), if any."""
    return calibration.closed_loop_default if calibration else None
