"""results.json: the document a sweep writes is parsed once into a RunDocument (its schema
version checked, then results.schema.json, then the models); broken ones are refused in one
sentence; every committed run of every schema version loads, as do the chaos and calibration
records."""

import json

import pytest

from loadtest.core.config import ROOT
from loadtest.core.errors import InfraError
from loadtest.records import chaos, document, results
from loadtest.records.calibration import Calibration
from loadtest.records.level import finite

from .harness_samples import document as sample

COMMITTED = sorted((ROOT / "docs" / "results").rglob("results.json"))


def test_generated_document_parses(tmp_path):
    rf = sample(tmp_path)
    doc = document.read(rf.path)  # what is on disk, not the object in memory
    assert doc.schema_version == document.SCHEMA_VERSION
    assert doc.environment.placement.mode == "cgroup-v1"
    assert doc.run.status == "complete" and doc.run.options.tool == "oha"
    assert len(doc.levels) == 6 and doc.services["go_stdlib"].gate.status == "passed"
    assert doc.failed_services() == ["rust_axum"]


def test_written_after_every_level(tmp_path):
    rf = sample(tmp_path)
    before = len(rf.document().levels)
    rf.add_level(rf.document().levels[0].model_copy(update={"users": 99}))
    assert len(document.read(tmp_path).levels) == before + 1


@pytest.mark.parametrize("breakage", [
    lambda d: d["levels"][0].pop("rps"),
    lambda d: d["levels"][0].update(mode="sideways"),
    lambda d: d["levels"][0].update(error_rate=1.5),
    lambda d: d["environment"]["placement"].update(mode="docker"),
    lambda d: d["services"]["go_stdlib"].update(status="great"),
    lambda d: d["levels"][0].update(surprise=1),  # a level declares everything it holds
])
def test_broken_documents_are_refused_saying_where(tmp_path, breakage):
    doc = results.load(sample(tmp_path).path)
    breakage(doc)
    with pytest.raises(InfraError, match="levels/0|placement|go_stdlib"):
        document.parse(doc)


@pytest.mark.parametrize("version", [None, 0, 4, "3"])
def test_an_unknown_schema_version_is_refused_before_anything_else(tmp_path, version):
    doc = results.load(sample(tmp_path).path)
    doc["schema_version"] = version
    with pytest.raises(InfraError, match="schema_version"):
        document.parse(doc)


def test_nan_is_stored_as_null():
    assert finite(float("nan")) is None and finite(2.5) == 2.5


def test_levels_round_trip_through_the_document(tmp_path):
    raw = results.load(sample(tmp_path).path)
    assert [lv.as_dict() for lv in document.parse(raw).levels] == raw["levels"]


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.parent.name)
def test_every_committed_record_loads(path):
    """Runs of schema 1, 2 and 3 all load (older runs get the fields they lack as defaults);
    the committed chaos run loads as a chaos record."""
    raw = json.loads(path.read_text())
    if raw.get("kind") == "chaos":
        run = chaos.read(path)
        assert run.services and all(r.fault in run.faults for s in run.services.values() for r in s.faults.values())
        return
    if "schema_version" not in raw:
        pytest.skip("not a sweep's document (a replay's or an instruction count's)")
    doc = document.parse(raw)
    assert doc.levels and doc.environment.cpu_identity
    assert doc.run.options.scenario_params() or raw["schema_version"] == 1


def test_the_calibration_record_keeps_what_it_does_not_declare_and_counts_only_generator_ceilings():
    cal = Calibration.model_validate({"tools": {"wrk": {"rps": 5.0, "limited_by": "generator"},
                                                "oha": {"rps": 9.0, "limited_by": "target (lower bound)"}},
                                      "closed_loop_default": "wrk", "future": {"x": 1}})
    assert cal.ceiling("wrk") == 5.0 and cal.ceiling("oha") is None and cal.ceiling("k6") is None
    assert cal.model_dump(exclude_unset=True)["future"] == {"x": 1}


def test_schema_names_every_load_tool():
    """A level measured by any registered tool validates (wrk's did not, once)."""
    from loadtest import tools

    schema = json.loads(document.SCHEMA_PATH.read_text())
    level = schema["properties"]["levels"]["items"]["properties"]["tool"]
    assert set(level["enum"]) == set(tools.TOOLS)
