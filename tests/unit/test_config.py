"""The run directory and ports can be moved, so two sets of servers can run side by side; the
environment is read when asked, so a command can choose its own set before it starts anything."""

import tomllib

from loadtest.core import config
from loadtest.core.config import ROOT


def test_defaults_come_from_infra_toml(monkeypatch):
    monkeypatch.delenv("BENCH_RUN_DIR", raising=False)
    monkeypatch.delenv("BENCH_PORT_OFFSET", raising=False)
    assert config.run_dir() == ROOT / ".bench"
    assert config.settings()["postgres"]["port"] == 25432
    assert config.endpoints().database_url == "postgresql://bench:bench@127.0.0.1:25432/bench"


def test_offset_and_run_dir_move_everything(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCH_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("BENCH_PORT_OFFSET", "300")
    assert config.run_dir() == tmp_path
    assert config.settings()["postgres"]["port"] == 25732
    assert ":25732/" in config.endpoints().database_url
    assert config.service_env("go_stdlib")["MEMCACHED_ADDR"].endswith(":21511")


def test_server_ports_stay_below_the_ephemeral_range():
    """A server port inside Linux's ephemeral range (32768-60999) can be held by any client
    socket of a load test when the server restarts. CI adds up to 1000 (offset + chaos's 400)."""
    infra = tomllib.loads((ROOT / "db" / "infra.toml").read_text())
    ports = {name: section["port"] for name, section in infra.items() if "port" in section}
    assert ports and all(port + 1000 < 32768 for port in ports.values()), ports
