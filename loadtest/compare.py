"""`loadtest compare A B`: two runs side by side, with B/A ratios, as a markdown table."""

from __future__ import annotations

from pathlib import Path

from . import results
from .export_md import fmt, table


def _key(lv: dict) -> tuple:
    load = lv["users"] if lv["mode"] == "closed" else round(lv["target_rps"] or 0)
    return (lv["scenario"], lv["service"], lv["mode"], load)


def _ratio(a, b) -> str:
    if a in (None, 0) or b is None:
        return "–"
    return f"{b / a:.2f}x"


def rows(a: dict, b: dict) -> list[list[str]]:
    """One row per level measured in both runs."""
    la = {_key(lv): lv for lv in a["levels"]}
    lb = {_key(lv): lv for lv in b["levels"]}
    out = []
    for key in [k for k in la if k in lb]:
        x, y = la[key], lb[key]
        scenario, service, mode, load = key
        out.append([scenario, service, f"{load}{'' if mode == 'closed' else ' req/s'}",
                    fmt(x["rps"]), fmt(y["rps"]), _ratio(x["rps"], y["rps"]),
                    fmt(x["latency_ms"]["p99"], 1), fmt(y["latency_ms"]["p99"], 1),
                    _ratio(x["latency_ms"]["p99"], y["latency_ms"]["p99"]),
                    str(x["errors"]["total"]), str(y["errors"]["total"])])
    return out


def _origin(doc: dict) -> str:
    env = doc["environment"]
    return f"commit {str(env['git_commit'])[:10]}, {env['placement']['mode']}"


def render(a: dict, b: dict) -> str:
    ra, rb = a["run"]["id"], b["run"]["id"]
    header = ["scenario", "service", "users", "req/s A", "req/s B", "B/A", "p99 A", "p99 B", "B/A",
              "errors A", "errors B"]
    body = rows(a, b)
    only_a = len(a["levels"]) - len(body)
    only_b = len(b["levels"]) - len(body)
    notes = [f"A = {ra} ({_origin(a)})", f"B = {rb} ({_origin(b)})",
             f"{len(body)} levels in both; {only_a} only in A, {only_b} only in B."]
    tool_a, tool_b = a["run"]["options"].get("tool"), b["run"]["options"].get("tool")
    if tool_a != tool_b:
        notes.append(f"warning: closed loops by different tools ({tool_a} vs {tool_b})")
    if a["environment"]["cpu_model"] != b["environment"]["cpu_model"]:
        notes.append("warning: different CPU models, ratios compare machines as much as code")
    return "\n".join([f"# Compare {ra} vs {rb}", "", *(f"- {n}" for n in notes), "",
                      table(header, body) if body else "_no level in common_", ""])


def cmd_compare(args) -> int:
    text = render(results.load_checked(Path(args.a)), results.load_checked(Path(args.b)))
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return 0
