"""The locust user of the harness (loadtest/tools/locust.py runs it headless).

Run by locust, never imported by the harness: locust patches the standard library with gevent
when it starts. One task, the scenario's request, sent without pause between requests (a closed
loop like oha's): the request comes from the environment, LOCUST_METHOD, LOCUST_PATH,
LOCUST_BODY (JSON, optional), LOCUST_EXPECTED (the status that counts as success). When the run
ends, the counts by status and by transport error and the percentiles go to SUMMARY_PATH as
JSON, like the k6 script's summary: locust's own CSVs keep no status codes."""

from __future__ import annotations

import json
import os
import time
from collections import Counter

from locust import FastHttpUser, constant, events, task

METHOD = os.environ.get("LOCUST_METHOD", "GET")
PATH = os.environ.get("LOCUST_PATH", "/healthz")
BODY = os.environ.get("LOCUST_BODY") or None
EXPECTED = int(os.environ.get("LOCUST_EXPECTED", "200"))
PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}
STATUS = Counter()  # answers by status
TRANSPORT = Counter()  # requests without an answer, by the exception's name
# The measured window: from the first request sent to the last answer received, as locust's
# own run time also counts its start-up and spawning.
WINDOW = {"start": None, "stop": None}


class Client(FastHttpUser):
    wait_time = constant(0)

    @task
    def request(self):
        headers = {"Content-Type": "application/json"} if BODY else None
        if WINDOW["start"] is None:
            WINDOW["start"] = time.monotonic()
        with self.client.request(METHOD, PATH, data=BODY, headers=headers,
                                 catch_response=True) as resp:
            if resp.status_code:
                STATUS[str(resp.status_code)] += 1
            else:
                TRANSPORT[type(resp.error).__name__ if resp.error else "no answer"] += 1
            WINDOW["stop"] = time.monotonic()
            if resp.status_code == EXPECTED:
                resp.success()
            else:
                resp.failure(f"status {resp.status_code}")


@events.quitting.add_listener
def _write_summary(environment, **_kwargs):
    path = os.environ.get("SUMMARY_PATH")
    if not path:
        return
    total = environment.stats.total
    pct = {k: total.get_response_time_percentile(q) if total.num_requests else None
           for k, q in PERCENTILES.items()}
    summary = {"status_codes": dict(STATUS), "transport_errors": dict(TRANSPORT),
               "num_requests": total.num_requests, "num_failures": total.num_failures,
               "window_s": _window(),
               "latency_ms": {**pct, "max": total.max_response_time or None,
                              "mean": total.avg_response_time if total.num_requests else None}}
    with open(path, "w") as f:
        json.dump(summary, f)


def _window() -> float | None:
    start, stop = WINDOW["start"], WINDOW["stop"]
    return None if start is None or stop is None else stop - start
