"""`loadtest report DIR`: rebuild report.md and report.html from results.json; and the summary
table printed at the end of a sweep."""

from __future__ import annotations

from pathlib import Path

from . import results
from .export_md import MIB, index


def write_all(directory: Path, doc: dict) -> tuple[Path, Path]:
    from .export_html import render_html
    from .export_md import render

    md, page = directory / "report.md", directory / "report.html"
    md.write_text(render(doc))
    page.write_text(render_html(doc))
    return md, page


def summary_rows(doc: dict) -> list[dict]:
    """Per service and scenario: the closed-loop level with the most successful requests/s."""
    rows = []
    for scenario, by_service in index(doc, "closed").items():
        for service, levels in by_service.items():
            best = max(levels.values(), key=lambda lv: lv["ok_rps"] or 0)
            rows.append({
                "service": service, "scenario": scenario, "users": best["users"],
                "rps": best["rps"], "p99": best["latency_ms"]["p99"],
                "errors": sum(lv["errors"]["total"] for lv in levels.values()),
                "cpu": max((lv["service_cpu"]["percent_of_quota"] or 0) for lv in levels.values()),
                "mem_mib": max((lv["service_memory"]["peak_bytes"] or 0) for lv in levels.values()) / MIB,
                "bound": any(lv["generator"]["bound"] for lv in levels.values()),
            })
    return rows


def print_summary(doc: dict, console) -> None:
    from rich.table import Table

    t = Table(title=f"peak per service and scenario — {doc['run']['id']}",
              caption="req/s, users, p99 at the peak level; errors over all levels; max CPU "
                      "(% of the 1-vCPU quota) and memory")
    for col in ("scenario", "service", "req/s", "users", "p99 ms", "errors", "CPU %", "MiB", "gen-bound"):
        t.add_column(col, justify="left" if col in ("scenario", "service") else "right")
    for r in summary_rows(doc):
        t.add_row(r["scenario"], r["service"], f"{r['rps'] or 0:,.0f}", str(r["users"]),
                  "–" if r["p99"] is None else f"{r['p99']:,.1f}", str(r["errors"]),
                  f"{r['cpu']:.0f}", f"{r['mem_mib']:.0f}", "yes" if r["bound"] else "")
    console.print(t)
    for name, s in doc["services"].items():
        if s["status"] != "measured":
            console.print(f"[red]{name}: {s['status']}[/] {s.get('error') or ''}")


def cmd_report(args) -> int:
    directory = Path(args.dir)
    doc = results.load_checked(directory)
    md, page = write_all(directory if directory.is_dir() else directory.parent, doc)
    print(f"{md}\n{page}")
    return 0
