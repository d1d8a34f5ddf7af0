"""Server-binary discovery (loadtest/servers/binaries.py) on fake layouts: shell scripts that answer
--version like the real binaries of Debian 12, Ubuntu 24.04 and Debian 13."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.servers import binaries
from loadtest.servers.binaries import BinaryNotFound


def script(path: Path, output: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(0o755)
    return path


def pg_tree(root: Path, major: int, minor: int = 4) -> Path:
    """A fake /usr/lib/postgresql/<major>/bin."""
    bindir = root / str(major) / "bin"
    script(bindir / "postgres", f"postgres (PostgreSQL) {major}.{minor} (Debian {major}.{minor}-1)")
    script(bindir / "initdb")
    script(bindir / "pg_ctl")
    return bindir


def pg_config(path: Path, bindir: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n"
                    f'case "$1" in --bindir) echo "{bindir}";; --version) echo "PostgreSQL {version}";; esac\n')
    path.chmod(0o755)
    return path


NO_ENV: dict[str, str] = {"PATH": ""}


# --- PostgreSQL -------------------------------------------------------------------------------

def test_versioned_layout_picks_the_highest_supported_major(tmp_path):
    root = tmp_path / "usr/lib/postgresql"
    for major in (15, 16, 17):
        pg_tree(root, major)
    pg_tree(root, 18)  # not supported: ignored
    found = binaries.postgres(NO_ENV, pg_config=None, versioned_root=root)
    assert found.major == 17 and found.version == "17.4"
    assert found["initdb"] == str(root / "17/bin/initdb")
    assert found.source == str(root / "17/bin")


@pytest.mark.parametrize("major", [15, 16, 17])
def test_each_distributions_single_major(tmp_path, major):
    root = tmp_path / "pg"
    pg_tree(root, major)
    assert binaries.postgres(NO_ENV, pg_config=None, versioned_root=root).major == major


def test_incomplete_tree_is_skipped(tmp_path):
    root = tmp_path / "pg"
    pg_tree(root, 15)
    (root / "17/bin").mkdir(parents=True)
    script(root / "17/bin/postgres", "postgres (PostgreSQL) 17.2")  # no initdb: client-only leftovers
    assert binaries.postgres(NO_ENV, pg_config=None, versioned_root=root).major == 15


def test_pg_config_pointing_at_a_server_install_wins(tmp_path):
    root = tmp_path / "pg"
    pg_tree(root, 17)
    server = pg_tree(tmp_path / "opt", 16)  # e.g. a source build under /opt
    cfg = pg_config(tmp_path / "bin/pg_config", server, "16.4")
    found = binaries.postgres(NO_ENV, pg_config=str(cfg), versioned_root=root)
    assert (found.source, found.major, found["postgres"]) == ("pg_config", 16, str(server / "postgres"))


def test_pg_config_is_found_on_path(tmp_path):
    server = pg_tree(tmp_path / "opt", 15)
    pg_config(tmp_path / "bin/pg_config", server, "15.18")
    found = binaries.postgres({"PATH": str(tmp_path / "bin")}, versioned_root=tmp_path / "none")
    assert found.source == "pg_config" and found.version == "15.18"


def test_pg_config_of_libpq_only_falls_back_to_the_versioned_layout(tmp_path):
    # Debian's pg_config without a server package reports a bindir with no postgres in it.
    libpq_bin = tmp_path / "usr/bin"
    libpq_bin.mkdir(parents=True)
    cfg = pg_config(tmp_path / "pgc/pg_config", libpq_bin, "15.18")
    root = tmp_path / "pg"
    pg_tree(root, 16)
    found = binaries.postgres(NO_ENV, pg_config=str(cfg), versioned_root=root)
    assert found.major == 16 and found.source == str(root / "16/bin")


def test_pg_config_of_an_unsupported_major_is_named_in_the_error(tmp_path):
    server = pg_tree(tmp_path / "opt", 13)
    cfg = pg_config(tmp_path / "bin/pg_config", server, "13.9")
    with pytest.raises(BinaryNotFound, match=r"unsupported: .*PostgreSQL 13\.9"):
        binaries.postgres(NO_ENV, pg_config=str(cfg), versioned_root=tmp_path / "none")


def test_env_override(tmp_path):
    root = tmp_path / "pg"
    pg_tree(root, 17)
    custom = pg_tree(tmp_path / "custom", 16)
    found = binaries.postgres({"BENCH_PG_BINDIR": str(custom)}, pg_config=None, versioned_root=root)
    assert (found.source, found.major) == ("BENCH_PG_BINDIR", 16)
    with pytest.raises(BinaryNotFound, match="BENCH_PG_BINDIR=.*does not hold postgres, initdb, pg_ctl"):
        binaries.postgres({"BENCH_PG_BINDIR": str(tmp_path)}, pg_config=None, versioned_root=root)


def test_existing_data_directory_keeps_its_major(tmp_path):
    root = tmp_path / "pg"
    pg_tree(root, 15)
    pg_tree(root, 17)
    data = tmp_path / "postgres-data"
    data.mkdir()
    (data / "PG_VERSION").write_text("15\n")
    found = binaries.postgres(NO_ENV, pg_config=None, versioned_root=root, data_dir=data)
    assert found.major == 15  # 17 cannot start a data directory of 15
    (data / "PG_VERSION").write_text("16\n")
    with pytest.raises(BinaryNotFound, match=r"initialised by PostgreSQL 16.*postgresql-16.*remove"):
        binaries.postgres(NO_ENV, pg_config=None, versioned_root=root, data_dir=data)
    # a fresh data directory (no PG_VERSION yet) takes the highest
    assert binaries.postgres(NO_ENV, pg_config=None, versioned_root=root,
                             data_dir=tmp_path / "fresh").major == 17


def test_nothing_installed_says_what_to_install(tmp_path):
    with pytest.raises(BinaryNotFound) as e:
        binaries.postgres(NO_ENV, pg_config=None, versioned_root=tmp_path)
    message = str(e.value)
    assert "15, 16, 17" in message and "apt-get install -y postgresql" in message
    assert "BENCH_PG_BINDIR" in message


@pytest.mark.parametrize(("text", "version"), [
    ("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", "15.18"),
    ("postgres (PostgreSQL) 16.10 (Ubuntu 16.10-0ubuntu0.24.04.1)", "16.10"),
    ("PostgreSQL 17.6 (Debian 17.6-0+deb13u1)", "17.6"),
    ("postgres (PostgreSQL) 18beta1", "18"),
    ("something else", None),
])
def test_parse_pg_version(text, version):
    assert binaries.parse_pg_version(text) == version


# --- MariaDB ----------------------------------------------------------------------------------

def mariadb_layout(tmp_path: Path, server: str, version_line: str, install_db="mariadb-install-db",
                   client="mariadb") -> tuple[Path, Path]:
    """(sbin, bin), as Debian splits them; sbin is not on a normal user's PATH."""
    sbin, bin_ = tmp_path / "usr/sbin", tmp_path / "usr/bin"
    script(sbin / server, version_line)
    script(bin_ / install_db)
    script(bin_ / client)
    return sbin, bin_


def test_mariadb_10_11_in_sbin_off_path(tmp_path):
    sbin, bin_ = mariadb_layout(
        tmp_path, "mariadbd",
        "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)")
    found = binaries.mariadb({"PATH": str(bin_)}, dirs=(sbin, bin_))
    assert found.version == "10.11.19" and found.source == str(sbin)
    assert found.paths == {"server": str(sbin / "mariadbd"),
                           "install_db": str(bin_ / "mariadb-install-db"),
                           "client": str(bin_ / "mariadb")}


def test_mariadb_11_with_mysql_names(tmp_path):
    sbin, bin_ = mariadb_layout(
        tmp_path, "mysqld", "mysqld  Ver 11.8.3-MariaDB-0+deb13u1 from Debian for debian-linux-gnu",
        install_db="mysql_install_db", client="mysql")
    found = binaries.mariadb({"PATH": ""}, dirs=(sbin, bin_))
    assert found.version == "11.8.3"
    assert found["server"].endswith("mysqld") and found["install_db"].endswith("mysql_install_db")


def test_mariadbd_on_path_is_preferred(tmp_path):
    sbin, bin_ = mariadb_layout(tmp_path, "mariadbd", "mariadbd  Ver 10.11.6-MariaDB-0ubuntu0.24.04.1")
    mine = script(tmp_path / "opt/mariadbd", "mariadbd  Ver 11.4.5-MariaDB")
    found = binaries.mariadb({"PATH": str(mine.parent)}, dirs=(sbin, bin_))
    assert (found.source, found.version) == ("PATH", "11.4.5")


@pytest.mark.parametrize(("line", "match"), [
    ("mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)", "is not MariaDB"),
    ("mariadbd  Ver 10.6.18-MariaDB-0ubuntu0.22.04.1", r"MariaDB 10\.6\.18; 10\.11 or 11\.x"),
    ("mariadbd  Ver 12.0.2-MariaDB", r"MariaDB 12\.0\.2; 10\.11 or 11\.x"),
])
def test_mariadb_unsupported(tmp_path, line, match):
    sbin, bin_ = mariadb_layout(tmp_path, "mysqld" if "MySQL" in line else "mariadbd", line)
    with pytest.raises(BinaryNotFound, match=match) as e:
        binaries.mariadb({"PATH": ""}, dirs=(sbin, bin_))
    assert "apt-get install -y mariadb-server" in str(e.value)


def test_mariadb_missing(tmp_path):
    with pytest.raises(BinaryNotFound, match="no MariaDB server.*apt-get install -y mariadb-server"):
        binaries.mariadb({"PATH": ""}, dirs=(tmp_path,))
    sbin = tmp_path / "sbin"
    script(sbin / "mariadbd", "mariadbd  Ver 10.11.19-MariaDB")
    with pytest.raises(BinaryNotFound, match="lacks mariadb-install-db"):
        binaries.mariadb({"PATH": ""}, dirs=(sbin,))


# --- memcached --------------------------------------------------------------------------------

def test_memcached(tmp_path):
    bin_ = tmp_path / "bin"
    script(bin_ / "memcached", "memcached 1.6.18")
    found = binaries.memcached({"PATH": str(bin_)}, dirs=())
    assert (found["memcached"], found.version) == (str(bin_ / "memcached"), "1.6.18")
    with pytest.raises(BinaryNotFound, match="apt-get install -y memcached"):
        binaries.memcached({"PATH": ""}, dirs=(tmp_path,))
