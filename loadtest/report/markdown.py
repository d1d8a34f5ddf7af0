"""results.json -> report.md: the tables people expect, rows = concurrency, columns = services."""

from __future__ import annotations

from collections import defaultdict

from .. import analysis
from ..level import Level
from ..results import levels as typed_levels

MIB = 1024 * 1024
BOUND_MARK = " †"


def index(levels: list[Level], mode: str = "closed") -> dict:
    """{scenario: {service: {users_or_rate: level}}}, in the order they were measured."""
    out: dict = defaultdict(lambda: defaultdict(dict))
    for lv in levels:
        if lv.mode == mode:
            out[lv.scenario][lv.service][lv.load] = lv
    return out


def fmt(value, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def errors_cell(lv: Level) -> str:
    total = lv.errors.total
    if not total:
        return "0"
    kinds = {**lv.errors.status, **lv.errors.transport}
    top = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:2])
    return f"{total} ({100 * (lv.error_rate or 0):.1f} %; {top})"


# Each metric: (title, cell function). A cell is marked † when the generator was the bottleneck.
METRICS = [
    ("Requests/s", lambda lv: fmt(lv.rps)),
    ("p99 latency (ms)", lambda lv: fmt(lv.latency_ms.p99, 1)),
    ("p50 latency (ms)", lambda lv: fmt(lv.latency_ms.p50, 1)),
    ("Errors", errors_cell),
    ("Service CPU (% of its 1-vCPU quota)", lambda lv: fmt(lv.service_cpu.percent_of_quota, 0, " %")),
    ("Service memory, peak (MiB)", lambda lv: fmt((lv.service_memory.peak_bytes or 0) / MIB, 0)
     if lv.service_memory.peak_bytes is not None else "–"),
]


def table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---" if i == 0 else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def closed_tables(by_service: dict) -> list[str]:
    services = list(by_service)
    users = sorted({u for levels in by_service.values() for u in levels})
    out = []
    for title, cell in METRICS:
        rows = []
        for u in users:
            row = [str(u)]
            for s in services:
                lv = by_service[s].get(u)
                row.append("" if lv is None else cell(lv) + (BOUND_MARK if lv.generator.bound else ""))
            rows.append(row)
        out += [f"**{title}**", "", table(["users", *services], rows), ""]
    return out


def resources_table(by_service: dict) -> list[str]:
    """At each service's highest level: shared servers' CPU and connections held."""
    top = {s: levels[max(levels)] for s, levels in by_service.items()}
    # A compose run has MySQL 8.4 where a native run has MariaDB: name what ran.
    sql = "mysql" if any("mysql" in lv.databases or "mysql" in lv.db_connections
                         for lv in top.values()) else "mariadb"
    label = {"mysql": "MySQL", "mariadb": "MariaDB"}[sql]
    rows = []
    for s, lv in top.items():
        dbs, conns = lv.databases, lv.db_connections
        rows.append([s, str(lv.users),
                     *(fmt((dbs.get(n) or {}).get("cpu_percent_of_core"), 0, " %")
                       for n in ("postgres", sql, "memcached", "external_mock")),
                     *(f"{(conns.get(n) or {}).get('max', 0)}" for n in ("postgres", sql, "memcached")),
                     fmt(lv.generator.cpu_percent_of_core, 0, " %")])
    header = ["service", "users", "PostgreSQL CPU", f"{label} CPU", "memcached CPU", "mock CPU",
              "PG conns (max)", f"{label} conns (max)", "memcached conns (max)", "generator CPU"]
    title = ("**Shared servers at the highest level** (CPU in % of one core; connections held by "
             "the service)")
    return [title, "", table(header, rows), ""]


def devices_table(by_service: dict) -> list[str]:
    rows = []
    for s, levels in by_service.items():
        for u, lv in levels.items():
            d = lv.devices_post
            if d:
                rows.append([s, str(u), str(d["status_201"]), str(d["in_flight_at_deadline"]),
                             fmt(d["rows_inserted"]), f"{d['cache_found']}/{d['cache_checked']}",
                             {True: "yes", False: "**NO**"}.get(d["consistent"], "–"),
                             d.get("error") or ""])
    if not rows:
        return []
    title = ("**Data check**: 201 responses vs rows inserted vs memcached keys found (rows may "
             "exceed the 201s by requests aborted at the deadline; keys are looked up for rows "
             "younger than the cache TTL)")
    return [title, "",
            table(["service", "users", "201", "in flight", "rows", "cache found/checked", "consistent",
                   "probe error"], rows), ""]


def open_table(by_service: dict) -> list[str]:
    rows = []
    for s, levels in by_service.items():
        for target, lv in sorted(levels.items()):
            rows.append([s, fmt(lv.target_rps), fmt(lv.rps), fmt(lv.achieved_ratio, 2),
                         fmt(lv.dropped), fmt(lv.latency_ms.p50, 1), fmt(lv.latency_ms.p99, 1),
                         errors_cell(lv)])
    return ["**Open loop** (constant arrival rate below the measured peak)", "",
            table(["service", "target req/s", "achieved req/s", "achieved/target", "dropped",
                   "p50 ms", "p99 ms", "errors"], rows), ""]


def header(doc: dict) -> list[str]:
    run, env = doc["run"], doc["environment"]
    pl = env["placement"]
    tools = ", ".join(f"{k} {v}" for k, v in env["tools"].items())
    cal = doc.get("calibration")
    cal_text = (f"{cal.get('measured_at', '?')}: " + "; ".join(
                    f"{t} {c['rps']:,.0f} req/s (limited by {c.get('limited_by', '?')})"
                    for t, c in cal["tools"].items())
                if cal else "none")
    cal_text += " — a ceiling counts only where the generator itself was the limit"
    opts = run["options"]
    lines = [
        f"# Benchmark run {run['id']}", "",
        f"- status: **{run['status']}**, {run['started_at']} → {run['finished_at'] or '…'}",
        f"- git commit: `{env['git_commit']}`{' (with uncommitted changes)' if env.get('git_dirty') else ''}",
        f"- CPU: {env['cpu_model']} ({env.get('cpu_count')} cores), kernel {env['kernel']}",
        (f"- placement: **{pl['mode']}**; service on cpus {pl['service_cpus']} "
         f"(quota {pl['cpu_quota_cores']} vCPU, {pl['memory_limit_bytes'] // MIB} MiB), generator "
         f"on cpus {pl['generator_cpus']}; {pl['databases_share']}"),
        *(f"- note: {n}" for n in pl.get("notes", [])),
        f"- tools: {tools}; generator ceiling (calibration): {cal_text}",
        f"- levels {opts['levels']} users, {opts['duration_s']:g} s each after a {opts['warmup_s']:g} s "
        f"warm-up, {opts['pause_s']:g} s pause; keep-alive {'on' if opts['keepalive'] else 'off'}; "
        f"fib n={opts['fib_n']}; external delay {opts['external_delay_ms']} ms"
        + ("; **contract gate skipped (development run)**" if opts.get("skip_gate") else ""),
        "", "† = generator-bound level: the load generator, not the service, was the limit.", "",
    ]
    lines += busy_warning(typed_levels(doc), env.get("cpu_count") or 1)
    rows = [[name, (s.get("gate") or {}).get("status", "–"), s["status"], (s.get("error") or "").replace("\n", " ")[:200]]
            for name, s in doc["services"].items()]
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


def peaks_table(levels: list[Level]) -> list[str]:
    """The peak of every scenario per service (analysis.peak: the closed-loop level with the
    most successful requests/s that the generator did not bound), and where it was reached."""
    peaks = analysis.peaks(levels)
    services = analysis.services_of(levels)
    rows = []
    for scenario in analysis.scenarios_of(analysis.closed(levels)):
        row = [scenario]
        for service in services:
            p = peaks.get((scenario, service))
            row.append("" if p is None else peak_cell(p))
        rows.append(row)
    if not rows:
        return []
    return ["## Peaks", "", ("Successful requests/s at each service's best closed-loop level, its "
                             "users in brackets; levels bounded by the load generator are left out "
                             "(all of them: †, no figure)."), "",
            table(["scenario", *services], rows), ""]


def peak_cell(p: analysis.Peak) -> str:
    if p.level is None:
        return "†"
    return f"{fmt(p.ok_rps)} ({p.level.users})"


def render(doc: dict) -> str:
    levels = typed_levels(doc)
    lines = header(doc) + peaks_table(levels)
    closed, opened = index(levels, "closed"), index(levels, "open")
    for scenario in dict.fromkeys(lv.scenario for lv in levels):
        lines += [f"## {scenario}", ""]
        if scenario in closed:
            lines += closed_tables(closed[scenario])
            lines += resources_table(closed[scenario])
            lines += devices_table(closed[scenario])
        if scenario in opened:
            lines += open_table(opened[scenario])
    return "\n".join(lines).rstrip() + "\n"
