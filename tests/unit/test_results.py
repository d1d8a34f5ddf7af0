"""results.json: a generated document validates against the schema; bad ones do not."""

import json

import jsonschema
import pytest

from loadtest.records import results
from loadtest.records.level import finite

from .harness_samples import document


def test_generated_document_validates(tmp_path):
    rf = document(tmp_path)
    doc = json.loads(rf.path.read_text())  # what is on disk, not the object in memory
    results.validate(doc)
    assert doc["schema_version"] == results.SCHEMA_VERSION
    assert doc["environment"]["placement"]["mode"] == "cgroup-v1"
    assert doc["run"]["status"] == "complete"
    assert len(doc["levels"]) == 6


def test_written_after_every_level(tmp_path):
    rf = document(tmp_path)
    before = len(rf.doc["levels"])
    rf.add_level(results.levels(rf.doc)[0].model_copy(update={"users": 99}))
    assert len(results.load(tmp_path)["levels"]) == before + 1


@pytest.mark.parametrize("breakage", [
    lambda d: d["levels"][0].pop("rps"),
    lambda d: d["levels"][0].update(mode="sideways"),
    lambda d: d["levels"][0].update(error_rate=1.5),
    lambda d: d["environment"]["placement"].update(mode="docker"),
    lambda d: d["services"]["go_stdlib"].update(status="great"),
])
def test_schema_rejects_broken_documents(tmp_path, breakage):
    doc = json.loads(document(tmp_path).path.read_text())
    breakage(doc)
    with pytest.raises(jsonschema.ValidationError):
        results.validate(doc)


def test_nan_is_stored_as_null():
    assert finite(float("nan")) is None and finite(2.5) == 2.5


def test_levels_round_trip_through_the_document(tmp_path):
    doc = json.loads(document(tmp_path).path.read_text())
    typed = results.levels(doc)
    assert [lv.as_dict() for lv in typed] == doc["levels"]


def test_schema_names_every_load_tool():
    """A level measured by any registered tool validates (wrk's did not, once)."""
    from loadtest import tools

    schema = json.loads(results.SCHEMA_PATH.read_text())
    level = schema["properties"]["levels"]["items"]["properties"]["tool"]
    assert set(level["enum"]) == set(tools.TOOLS)
