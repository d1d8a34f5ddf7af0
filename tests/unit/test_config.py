"""The run directory and ports can be moved, so two sets of servers can run side by side."""

import json
import os
import subprocess
import sys

from loadtest.config import ROOT


def _settings_in_child(env: dict[str, str]) -> dict:
    code = ("import json; from loadtest import config; s = config.settings();"
            "print(json.dumps({'run': str(config.RUN_DIR), 'pg': s['postgres']['port'],"
            " 'url': config.endpoints().database_url}))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_defaults_come_from_infra_toml():
    got = _settings_in_child({"BENCH_RUN_DIR": str(ROOT / ".bench"), "BENCH_PORT_OFFSET": "0"})
    assert got["run"] == str(ROOT / ".bench")
    assert got["pg"] == 25432
    assert got["url"] == "postgresql://bench:bench@127.0.0.1:25432/bench"


def test_offset_and_run_dir_move_everything(tmp_path):
    got = _settings_in_child({"BENCH_RUN_DIR": str(tmp_path), "BENCH_PORT_OFFSET": "300"})
    assert got["run"] == str(tmp_path)
    assert got["pg"] == 25732
    assert ":25732/" in got["url"]


def test_server_ports_stay_below_the_ephemeral_range():
    """A server port inside Linux's ephemeral range (32768-60999) can be held by any client
    socket of a load test when the server restarts. CI adds up to 1000 (offset + chaos's 400)."""
    import tomllib

    infra = tomllib.loads((ROOT / "db" / "infra.toml").read_text())
    ports = {name: section["port"] for name, section in infra.items() if "port" in section}
    assert ports and all(port + 1000 < 32768 for port in ports.values()), ports
