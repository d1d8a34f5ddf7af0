"""Variants: every patch applies to its service as it is now, and the variant runs from its own copy."""

import sys
from pathlib import Path

import pytest

from loadtest.core.config import ROOT, SERVICES_DIR
from loadtest.core.errors import InfraError, ManifestError
from loadtest.servers import interpreters, manifest, variants

ALL = [name for base in sorted(p.name for p in SERVICES_DIR.iterdir()) for name in variants.names(base)]


def test_there_are_variants_to_measure():
    assert "fastapi_tuned~uvicorn" in ALL  # the ladder's first step


@pytest.mark.parametrize("name", ALL)
def test_variant_applies_and_loads(name, tmp_path, monkeypatch):
    monkeypatch.setattr(variants, "VARIANTS_DIR", tmp_path / "variants")
    monkeypatch.setattr(variants, "BIN_DIR", tmp_path / "bin")
    base = variants.split(name)[0]
    m = manifest.load(name)
    plain = manifest.load(base)
    assert m.name == name and m.cwd == tmp_path / "variants" / name
    assert m.bin == tmp_path / "bin" / name, "a variant's build must not overwrite the service's binaries"
    assert m.variant and m.variant in m.summary, "the patch says what it changes"
    copied = {p.relative_to(m.cwd) for p in m.cwd.rglob("*") if p.is_file()}
    assert not any(p.parts[0] in ("tests", "variants") for p in copied)
    changed = [p for p in copied if p.name != ".variant-source"
               and (not (plain.cwd / p).exists() or (plain.cwd / p).read_bytes() != (m.cwd / p).read_bytes())]
    assert changed, "the patch changed nothing"
    assert plain.cwd == ROOT / "services" / base, "the service itself is untouched"


def test_a_variant_is_made_once_per_source(tmp_path, monkeypatch):
    monkeypatch.setattr(variants, "VARIANTS_DIR", tmp_path)
    folder = variants.materialize("fastapi_tuned~uvicorn")
    marker = folder / "marker"
    marker.write_text("a running variant is not rewritten")
    assert variants.materialize("fastapi_tuned~uvicorn") == folder and marker.exists()


def test_names_and_expand():
    assert variants.split("fastapi_tuned~uvicorn") == ("fastapi_tuned", "uvicorn")
    assert variants.split("go_stdlib") == ("go_stdlib", None)
    expanded = variants.expand(["fastapi_tuned", "fastapi_tuned~all"])
    assert expanded[0] == "fastapi_tuned" and expanded[1:] == variants.names("fastapi_tuned", steps_only=True)
    assert "fastapi_tuned~python3.13" in variants.names("fastapi_tuned")
    assert not any("python3" in n for n in expanded)  # `~all` is the ladder's steps, not the interpreters


@pytest.mark.parametrize("service", ["django", "fastapi_naive", "fastapi_pooled", "fastapi_tuned"])
@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_an_interpreter_variant_builds_its_own_environment_with_that_cpython(service, version, tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr(variants, "VARIANTS_DIR", tmp_path / "variants")
    monkeypatch.setattr(interpreters, "require", lambda v: Path(f"/found/python{v}"))
    m = manifest.load(f"{service}~python{version}")
    venv = interpreters.venv_dir(version)
    assert venv != interpreters.venv_dir() and venv.name == f"python{version}"
    build = m.build_argv()[-1]
    assert f"UV_PROJECT_ENVIRONMENT={venv} " in build and f"--python /found/python{version} " in build
    assert "UV_PYTHON_DOWNLOADS=never" in build  # found, never downloaded
    assert m.run_argv("127.0.0.1", 1)[0].startswith(f"{venv}/bin/") and f"{venv}/bin/python" in m.test_argv()[-1]


def test_a_missing_interpreter_is_a_sentence_that_says_where_it_looked(monkeypatch):
    assert interpreters.find(f"{sys.version_info[0]}.{sys.version_info[1]}") is not None  # this one runs
    monkeypatch.setattr(interpreters, "runs_as", lambda path, version: False)
    with pytest.raises(InfraError, match=r"no CPython 3\.99 on this machine \(looked at .*pyenv install 3\.99"):
        interpreters.require("3.99")
    with pytest.raises(InfraError, match="MAJOR.MINOR"):
        interpreters.require("3.13; rm")


def test_unknown_variant_names_the_known_ones():
    with pytest.raises(ManifestError, match="known: .*fastapi_tuned~uvicorn"):
        manifest.load("fastapi_tuned~nope")
    with pytest.raises(ManifestError, match="unknown service"):
        manifest.load("nope~uvicorn")
