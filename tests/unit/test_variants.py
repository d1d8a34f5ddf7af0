"""Variants: every patch applies to its service as it is now, and the variant runs from its own copy."""

import pytest

from loadtest.core.config import ROOT, SERVICES_DIR
from loadtest.core.errors import ManifestError
from loadtest.servers import manifest, variants

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
    assert expanded[0] == "fastapi_tuned" and expanded[1:] == variants.names("fastapi_tuned")


def test_unknown_variant_names_the_known_ones():
    with pytest.raises(ManifestError, match="known: .*fastapi_tuned~uvicorn"):
        manifest.load("fastapi_tuned~nope")
    with pytest.raises(ManifestError, match="unknown service"):
        manifest.load("nope~uvicorn")
