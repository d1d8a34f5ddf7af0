"""Every service folder has a manifest the harness can read, and its commands fill in."""

import pytest

from loadtest.core.config import BIN_DIR, ROOT, service_env
from loadtest.servers import manifest
from loadtest.servers.manifest import ManifestError

SERVICES = [m.name for m in manifest.load_all(include_mock=True)]


@pytest.mark.parametrize("name", SERVICES)
def test_manifest_is_complete(name):
    m = manifest.load(name)
    assert m.cwd.is_dir() and m.cwd.is_relative_to(ROOT)
    argv = m.run_argv("127.0.0.1", 8123)
    assert argv and "{" not in " ".join(argv)
    assert "8123" in " ".join(argv) or "{port}" not in m.run, "a server must bind PORT or {port}"
    assert m.workers >= 1
    assert (ROOT / "services" / name / "README.md").exists(), "each service documents itself"


def test_placeholders_fill():
    m = manifest.load("external_mock")
    assert m.run_argv("127.0.0.1", 1) == [str(BIN_DIR / "external_mock")]
    assert m.build_argv()[:2] == ["bash", "-ec"]


def test_unknown_service_names_the_known_ones():
    with pytest.raises(ManifestError, match="known: .*external_mock|known: .*fastapi_tuned"):
        manifest.load("nope")


def test_service_env_is_the_contract():
    env = service_env("go_stdlib", port=9000)
    assert set(env) == {"HOST", "PORT", "DATABASE_URL", "MYSQL_URL", "MEMCACHED_ADDR", "EXTERNAL_URL",
                        "POOL_SIZE", "CACHE_TTL_SECONDS", "EXTERNAL_TIMEOUT_SECONDS"}
    assert env["PORT"] == "9000"
    assert env["EXTERNAL_URL"].endswith("/external/go_stdlib")
    assert env["DATABASE_URL"].startswith("postgresql://") and env["MYSQL_URL"].startswith("mysql://")
