"""`loadtest reproduce` end to end, tiny: the "How fast can a FastAPI app go?" protocol with
every rung replaced by go_stdlib, plus the FastAPI-vs-Gin ab step, at a tenth of the counts and
durations, two rounds; then the page's structure (never its figures, which a shared machine
cannot promise). Exercises locust, ab, the interleaved rounds, a closed-loop failure ramp
under the PostgreSQL connection limit (lifted afterwards) and the page writer. The page goes
to the test's tmp dir only."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from loadtest import cli, reproduce
from loadtest.commands import reproduce as command
from loadtest.core.config import SERVICES_DIR, settings
from loadtest.reproduce import page, saved, verdict
from loadtest.servers import databases, infra

SERVICE = "go_stdlib"
NAME = "smoke-fastapi-load"


def smoke_protocol() -> reproduce.Protocol:
    base, gin = reproduce.get("fastapi-load"), reproduce.get("gin-vs-fastapi")
    only = {"services": (SERVICE,), "fast": SERVICE, "slow": SERVICE}
    steps = tuple(dataclasses.replace(s, **only) for s in (*base.steps, gin.steps[0]))
    ramps = tuple(dataclasses.replace(r, failing=SERVICE, fixed=SERVICE, loads=(20, 40)) for r in base.ramps)
    rung = dataclasses.replace(base.rung("go_stdlib"))
    return dataclasses.replace(base, name=NAME, rungs=(rung,), steps=steps, ramps=ramps)


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    if not (SERVICES_DIR / SERVICE / "service.toml").exists():
        pytest.skip(f"no manifest for {SERVICE}")
    reproduce.register(smoke_protocol())
    out = tmp_path_factory.mktemp("reproduce")
    try:
        code = cli.run(["reproduce", NAME, "--scale", "0.1", "--rounds", "2", "--seed", "7",
                        "--skip-gate", "--out", str(out / "run")])
    finally:
        reproduce.PROTOCOLS.pop(NAME)
    return code, out


def test_the_replay_ran(replay):
    code, out = replay
    doc = json.loads((out / "run" / f"{NAME}.json").read_text())
    assert code == 0, doc["failures"]
    assert set(doc["steps"]) == {"ping", "list", "fib"}
    for name, levels in doc["steps"].items():
        assert {lv["round"] for lv in levels} == {1, 2}, name
        assert all(lv["service"] == SERVICE and lv["bound"] for lv in levels), name
    ramp = doc["ramps"]["too-many-clients"]
    assert ramp["offered"][SERVICE] == [2, 4]  # a tenth of the loads
    assert any("CONNECTION LIMIT" in n for n in ramp["notes"])


def test_the_page_has_every_part(replay):
    _, out = replay
    page = (out / "run" / "reproductions.md").read_text()
    assert page.startswith("# Reproductions\n")
    assert f"loadtest reproduce {NAME} --scale 0.1" in page or "`loadtest reproduce" in page
    assert "## Summary" in page and "| write-up | claimed (fast/slow) | found here | verdict |" in page
    assert "## How fast can a FastAPI app go?" in page
    for part in ("**Claim**", "**Conditions.**", "**Tool.**", "**Rungs.**", "**Measured here with the same protocol**",
                 "*ping*", "*list*", "*fib*", "*Failure replay: too-many-clients*", "**Where this replay differs",
                 "| rung | write-up | req/s | p50 ms | p99 ms | peak MiB | errors | plateau users | bound |"):
        assert part in page, part
    verdicts = re.findall(r"\*\*Verdict: ([^*]+)\.\*\*", page)
    assert len(verdicts) == 1 and verdicts[0] in verdict.ORDER


def test_a_saved_replay_renders_as_it_was_measured(replay):
    # what `reproduce <write-up> --with <dir>` puts on the page for the write-ups it does not measure
    _, out = replay
    doc = json.loads((out / "run" / f"{NAME}.json").read_text())
    assert doc["measured_by"]["command"].startswith("loadtest reproduce") and doc["measured_by"]["started_at"]
    reproduce.register(smoke_protocol())
    try:
        loaded = saved.load(doc)
        section = "\n".join(page.section(loaded))
    finally:
        reproduce.PROTOCOLS.pop(NAME)
    assert section in (out / "run" / "reproductions.md").read_text()
    assert saved.dump(loaded, loaded.measured_by) == doc


def test_the_connection_limit_was_lifted(replay):
    with infra.as_found(), databases.postgres() as conn:
        limit = conn.execute("SELECT datconnlimit FROM pg_database WHERE datname = %s",
                             (settings()["postgres"]["database"],)).fetchone()[0]
    assert limit == -1


def test_all_fits_the_budget():
    seconds = command.expected_seconds(list(reproduce.PROTOCOLS.values()), 1.0, True, None)
    assert seconds < 45 * 60
    assert all(p.expected_seconds(gate=False) < 11 * 60 for p in reproduce.PROTOCOLS.values())
