"""The go_stdlib / fastapi_tuned targets over repeated same-run sweeps: each run's ratio, then
the median (the machine is shared and noisy: one run is one sample).

Usage: uv run python docs/results/repeats.py RUN_DIR/results.json [...]
A ratio is taken within one run only: best closed-loop ok requests/s over that run's levels of
each service (generator-bound levels left out), and p99 at 100 users on users.
"""

import json
import statistics
import sys

TARGETS = [("devices-get", 3.5), ("users", 2.0), ("devices-post", 2.0)]


def best(levels: list[dict], service: str, scenario: str) -> float | None:
    rps = [lv["ok_rps"] for lv in levels if lv["service"] == service and lv["scenario"] == scenario
           and lv["mode"] == "closed" and not lv["generator"]["bound"]]
    return max(rps, default=None)


def p99_at(levels: list[dict], service: str, users: int) -> float | None:
    return next((lv["latency_ms"]["p99"] for lv in levels if lv["service"] == service
                 and lv["scenario"] == "users" and lv["users"] == users and lv["mode"] == "closed"), None)


def run_ratios(path: str) -> dict[str, float | None]:
    with open(path) as f:
        levels = json.load(f)["levels"]
    out = {}
    for scenario, _ in TARGETS:
        go, tuned = best(levels, "go_stdlib", scenario), best(levels, "fastapi_tuned", scenario)
        out[scenario] = go / tuned if go and tuned else None
    go, tuned = p99_at(levels, "go_stdlib", 100), p99_at(levels, "fastapi_tuned", 100)
    out["p99 users@100"] = tuned / go if go and tuned else None
    return out


def main(paths: list[str]) -> None:
    runs = [run_ratios(p) for p in paths]
    limits = {**dict(TARGETS), "p99 users@100": 2.0}
    print("| go_stdlib / fastapi_tuned | " + " | ".join(f"run {i + 1}" for i in range(len(runs)))
          + " | median | goal | |")
    print("|---|" + "---:|" * len(runs) + "---:|---|---|")
    for key, limit in limits.items():
        values = [r[key] for r in runs]
        present = [v for v in values if v is not None]
        median = statistics.median(present) if present else None
        cells = [f"{v:.2f}x" if v is not None else "n/a" for v in values]
        verdict = "met" if median is not None and median <= limit else "NOT met"
        tail = f" | **{median:.2f}x** | <= {limit:g}x | {verdict} |" if median is not None else " | n/a | | |"
        print(f"| {key} | " + " | ".join(cells) + tail)
    print()
    print("runs: " + ", ".join(paths))


if __name__ == "__main__":
    main(sys.argv[1:])
