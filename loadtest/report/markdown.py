"""results.json -> report.md: the tables people expect, rows = concurrency, columns = services."""

from __future__ import annotations

from collections import defaultdict

from .. import analysis, tools
from ..core import stats
from ..core.formatting import fmt, fmt_estimate, fmt_ratio, ratio_digits  # noqa: F401 -- exporters format with these
from ..records.calibration import Calibration
from ..records.document import Environment, RunDocument, RunOptions
from ..records.level import STEAL_LIMIT_PERCENT, Level
from ..scenarios import SCENARIOS

MIB = 1024 * 1024
BOUND_MARK = " †"


def index(levels: list[Level], mode: str = "closed") -> dict:
    """{scenario: {service: {users_or_rate: Cell}}}, in the order they were measured."""
    out: dict = defaultdict(lambda: defaultdict(dict))
    for c in analysis.cells(levels):
        if c.mode == mode:
            out[c.scenario][c.service][c.load] = c
    return out


def errors_cell(c: analysis.Cell) -> str:
    total = sum(lv.errors.total for lv in c.levels)
    if not total:
        return "0"
    kinds: dict[str, int] = {}
    for lv in c.levels:
        for k, v in {**lv.errors.status, **lv.errors.transport}.items():
            kinds[k] = kinds.get(k, 0) + v
    attempts = sum(lv.requests + sum(lv.errors.transport.values()) for lv in c.levels)
    top = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:2])
    return f"{total} ({100 * total / max(attempts, 1):.1f} %; {top})"


# Each metric: (title, cell function). † marks a cell the load generator bounded in some round.
METRICS = [
    ("Successful requests/s", lambda c: fmt_estimate(c.ok_rps)),
    ("Service CPU per successful request (µs)", lambda c: fmt_estimate(c.estimate("cpu_per_request_us"))),
    ("p99 latency (ms)", lambda c: fmt_estimate(c.estimate("p99_ms"), 1)),
    ("p50 latency (ms)", lambda c: fmt_estimate(c.estimate("p50_ms"), 1)),
    ("Errors (all rounds)", errors_cell),
    ("Service CPU (% of its 1-vCPU quota)", lambda c: fmt_estimate(c.estimate("cpu_percent"), 0, " %")),
    ("Service memory, peak (MiB)", lambda c: fmt_estimate(c.estimate("peak_mib"))),
    ("What limited it", lambda c: c.bound),
]


def table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---" if i == 0 else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def closed_tables(by_service: dict) -> list[str]:
    services = list(by_service)
    users = sorted({u for cells in by_service.values() for u in cells})
    out = []
    for title, cell in METRICS:
        rows = []
        for u in users:
            row = [str(u)]
            for s in services:
                c = by_service[s].get(u)
                row.append("" if c is None else cell(c) + (BOUND_MARK if c.generator_bound else ""))
            rows.append(row)
        out += [f"**{title}**", "", table(["users", *services], rows), ""]
    return out


def resources_table(by_service: dict) -> list[str]:
    """At each service's highest level, over rounds (stats.estimate): the shared servers' CPU,
    the most connections the service held in any round, and the generator's CPU."""
    top = {s: cells[max(cells)] for s, cells in by_service.items()}
    # Both runtimes run MariaDB 10.11; compose names its service `mysql` (the contract's MYSQL_URL).
    sql = "mysql" if any("mysql" in lv.databases or "mysql" in lv.db_connections
                         for c in top.values() for lv in c.levels) else "mariadb"
    label = "MariaDB"
    rows = []
    for s, c in top.items():
        def cpu(n: str, c: analysis.Cell = c) -> str:
            return fmt_estimate(c.estimate(lambda lv: (lv.databases.get(n) or {}).get("cpu_percent_of_core")), 0, " %")

        def conns(n: str, c: analysis.Cell = c) -> str:
            return f"{max(((lv.db_connections.get(n) or {}).get('max') or 0 for lv in c.levels), default=0)}"
        rows.append([s, str(c.load), *(cpu(n) for n in ("postgres", sql, "memcached", "external_mock")),
                     *(conns(n) for n in ("postgres", sql, "memcached")),
                     fmt_estimate(c.estimate(lambda lv: lv.generator.cpu_percent_of_core), 0, " %")])
    header = ["service", "users", "PostgreSQL CPU", f"{label} CPU", "memcached CPU", "mock CPU",
              "PG conns (max)", f"{label} conns (max)", "memcached conns (max)", "generator CPU"]
    title = ("**Shared servers at the highest level** (CPU in % of one core over rounds; connections "
             "held by the service, the most in any round)")
    return [title, "", table(header, rows), ""]


def check_table(scenario_name: str, by_service: dict) -> list[str]:
    """The scenario's own check of every level (its after_level), in the columns it names."""
    scenario = SCENARIOS.get(scenario_name)
    rows = [[s, str(u), str(lv.round), *scenario.check_cells(lv.check)]
            for s, cells in by_service.items() for u, c in cells.items() for lv in c.levels
            if lv.check and scenario]
    if not rows:
        return []
    return [scenario.check_title(), "", table(["service", "users", "round", *scenario.check_header()], rows), ""]


def tool_choice(options: RunOptions, calibration: Calibration | None) -> str:
    """Why the run's closed-loop tool was the one it ran, as the choice was made."""
    tool, basis = options.tool or "?", options.tool_basis
    if basis == "calibration" and calibration and calibration.closed_loop_default == tool:
        return f"{tool}, chosen by the calibration: {calibration.closed_loop_default_basis or '?'}"
    if basis == "given":
        return f"{tool}, given on the command line"
    if basis == "default":
        return f"{tool}, the default (no calibration on this machine)"
    return tool


def open_table(by_service: dict) -> list[str]:
    rows = []
    for s, cells in by_service.items():
        for target, c in sorted(cells.items()):
            achieved = stats.estimate(lv.achieved_ratio for lv in c.levels)
            dropped = sum(lv.dropped or 0 for lv in c.levels)
            rows.append([s, fmt(target), fmt_estimate(c.estimate("ok_rps")), fmt_estimate(achieved, 2),
                         fmt(dropped), fmt_estimate(c.estimate("p50_ms"), 1),
                         fmt_estimate(c.estimate("p99_ms"), 1), errors_cell(c)])
    return ["**Open loop** (constant arrival rate at fractions of the closed-loop figure)", "",
            table(["service", "target req/s", "achieved req/s", "achieved/target", "dropped",
                   "p50 ms", "p99 ms", "errors"], rows), ""]


def cpu_line(env: Environment) -> str:
    c = env.cpu
    if not c or not c.identity:  # runs recorded before the CPU's identity was
        return f"{env.cpu_model} ({env.cpu_count} cores)"
    vm = ", under a hypervisor" if c.hypervisor else ""
    return f"{c.identity}, {fmt(c.mhz)} MHz, cache {c.cache}, {c.cores} cores{vm}"


def _memory(limit: int | None) -> str:
    return f"{limit // MIB} MiB" if limit is not None else "no memory limit"


def header(doc: RunDocument) -> list[str]:
    run, env = doc.run, doc.environment
    pl = env.placement
    tools = ", ".join(f"{k} {v}" for k, v in env.tools.items())
    cal = doc.calibration
    ceilings = cal.tools if cal else {}  # a calibration may hold only the noise probe
    cal_text = (f"{cal.measured_at or '?'}: " + "; ".join(
                    f"{t} {c.rps:,.0f} req/s (limited by {c.limited_by or '?'})" for t, c in ceilings.items())
                if cal and ceilings else "none")
    cal_text += " — a ceiling counts only where the generator itself was the limit"
    opts = run.options
    lines = [
        f"# Benchmark run {run.id}", "",
        f"- status: **{run.status}**, {run.started_at} → {run.finished_at or '…'}",
        f"- git commit: `{env.git_commit}`{' (with uncommitted changes)' if env.git_dirty else ''}",
        f"- CPU: {cpu_line(env)}, kernel {env.kernel}",
        (f"- placement: **{pl.mode}**; service on cpus {pl.service_cpus} "
         f"(quota {pl.cpu_quota_cores} vCPU, {_memory(pl.memory_limit_bytes)}), generator "
         f"on cpus {pl.generator_cpus}; {pl.databases_share}"),
        *(f"- note: {n}" for n in pl.notes),
        f"- tools: {tools}; generator ceiling (calibration): {cal_text}",
        f"- closed-loop tool: {tool_choice(opts, cal)}",
        f"- levels {opts.levels} users, {opts.duration_s:g} s each after a {opts.warmup_s:g} s "
        f"warm-up, {opts.pause_s:g} s pause; keep-alive {'on' if opts.keepalive else 'off'}"
        + "".join(f"; {k}={v}" for k, v in opts.scenario_params().items())
        + ("; **contract gate skipped (development run)**" if opts.skip_gate else ""),
        "", "† = generator-bound level: the load generator, not the service, was the limit.", "",
    ]
    levels = doc.measured()
    lines += busy_warning(levels, env.cpu_count or 1)
    lines += quality_notes(levels)
    rows = [[name, s.gate.status if s.gate else "–", s.status, (s.error or "").replace("\n", " ")[:200]]
            for name, s in doc.services.items()]
    lines += ["## Services", "", table(["service", "contract gate", "status", "error"], rows), ""]
    return lines


OTHERS_LIMIT_CORES = 0.25


def busy_warning(levels: list[Level], cpu_count: int) -> list[str]:
    """Warn when something outside the benchmark used the CPU during levels. Runs that predate
    `host_cpu` fall back to the load average, which also counts the benchmark's own servers."""
    measured = [lv for lv in levels if (lv.host_cpu or {}).get("other_cores") is not None]
    if measured:
        busy = [lv for lv in measured if lv.host_cpu["other_cores"] > OTHERS_LIMIT_CORES]
        if not busy:
            return []
        worst = max(lv.host_cpu["other_cores"] for lv in busy)
        return [(f"**Warning: the machine was busy** during {len(busy)} of {len(levels)} levels: "
                 f"processes outside the benchmark used more than {OTHERS_LIMIT_CORES:g} of a core "
                 f"(up to {worst:.2f}), so those numbers understate every stack."), ""]
    busy = [lv for lv in levels if (lv.host_loadavg_1m or 0) > cpu_count]
    if not busy:
        return []
    worst = max(lv.host_loadavg_1m for lv in busy)
    return [(f"**Warning: the machine may have been busy** during {len(busy)} of {len(levels)} "
             f"levels (1-minute load average above the core count, up to {worst:.1f}; this run "
             f"predates the per-level CPU split, and the load average counts the benchmark's own "
             f"servers too)."), ""]


def quality_notes(levels: list[Level]) -> list[str]:
    """What the reader should discount, counted: steal, Little's law, noisy cells."""
    steal = [lv for lv in levels if ((lv.host_cpu or {}).get("steal_percent") or 0) > STEAL_LIMIT_PERCENT]
    little = [lv for lv in levels if (lv.littles_law or {}).get("flagged")]
    noisy = [c for c in analysis.cells(levels) if c.ok_rps.noisy]
    notes = []
    if steal:
        notes.append(f"- {len(steal)} of {len(levels)} levels lost more than {STEAL_LIMIT_PERCENT:g} % "
                     "of the CPU to the hypervisor (steal)")
    if little:
        backfilled = sum(tools.backfills_latency(lv.tool) for lv in little)
        notes.append(f"- {len(little)} closed-loop levels are more than 10 % off Little's law "
                     "(throughput x mean latency vs users): time was lost outside the requests"
                     + (f"; {backfilled} of them measured by wrk, whose mean includes the samples it "
                        "back-fills for coordinated omission (runs since then leave wrk levels "
                        "unchecked)" if backfilled else ""))
    if noisy:
        notes.append(f"- {len(noisy)} cells vary by more than 10 % between rounds (marked ~)")
    return [*notes, ""] if notes else []


def figures_grid(levels: list[Level]) -> str:
    """Scenarios by services: each one's figure over its plateau (analysis.Plateau) with its
    interval, its CPU per request, its plateau and what limited it; "" where there is none."""
    plateaus = analysis.plateaus(levels)
    services = analysis.services_of(levels)
    rows = [[scenario, *("" if (scenario, s) not in plateaus else plateau_cell(plateaus[(scenario, s)])
                         for s in services)]
            for scenario in analysis.scenarios_of(analysis.closed(levels))]
    return table(["scenario", *services], rows) if rows else ""


FIGURES_TEXT = ("Successful requests/s of each service over its plateau: the estimate [95 % interval]*, "
                "(the plateau's users, what limited it; the level of best throughput, a description "
                "only), and the service's CPU per successful request in µs, estimated the same way. A "
                "cell the load generator bounded is left out of the plateau unless it bounded every "
                "plateau cell: the figure is then a floor, marked †. ~ marks a noisy figure "
                "(coefficient of variation over rounds above 10 %).")


def figures_table(levels: list[Level]) -> list[str]:
    grid = figures_grid(levels)
    if not grid:
        return []
    return ["## Figures", "", FIGURES_TEXT, "", grid, "", *kernel_grid(levels),
            f"*{stats.METHOD_NOTE}. {analysis.PLATEAU_NOTE}.", ""]


def kernel_grid(levels: list[Level]) -> list[str]:
    """The CPU per request split into user space and kernel, over the same plateaus (runs whose
    source splits it: every cgroup, psutil and the engine's stats)."""
    if not any(lv.service_cpu.system_s is not None for lv in levels):
        return []
    plateaus = analysis.plateaus(levels)

    def cell(p: analysis.Plateau) -> str:
        user, system = p.estimate("user_per_request_us").value, p.estimate("system_per_request_us").value
        if user is None or system is None or user + system <= 0:
            return "–"
        return f"{fmt(user)} + {fmt(system)} ({system / (user + system):.0%})"
    rows = [[scenario, *("" if (scenario, s) not in plateaus else cell(plateaus[(scenario, s)])
                         for s in analysis.services_of(levels))]
            for scenario in analysis.scenarios_of(analysis.closed(levels))]
    title = ("**The same CPU per request, user space + kernel** (µs, geometric means over the plateau; "
             "in brackets the kernel's share: system calls and the network stack, on the service's behalf)")
    return [title, "", table(["scenario", *analysis.services_of(levels)], rows), ""]


def plateau_cell(p: analysis.Plateau) -> str:
    if not p.cells:
        return "–"
    cpu = p.estimate("cpu_per_request_us")
    floor = BOUND_MARK if p.floor else ""
    best = f"; best at {p.best.load}" if len(p.cells) > 1 else ""
    return f"{fmt_estimate(p.ok_rps)}{floor} ({p.users}, {p.bound}{best}); {fmt_estimate(cpu)} µs"


def render(doc: RunDocument) -> str:
    levels = doc.measured()
    lines = header(doc) + figures_table(levels)
    closed, opened = index(levels, "closed"), index(levels, "open")
    for scenario in analysis.scenarios_of(levels):
        lines += [f"## {scenario}", ""]
        if scenario in closed:
            lines += closed_tables(closed[scenario])
            lines += resources_table(closed[scenario])
            lines += check_table(scenario, closed[scenario])
        if scenario in opened:
            lines += open_table(opened[scenario])
    return "\n".join(lines).rstrip() + "\n"
