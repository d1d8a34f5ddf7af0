"""`loadtest export`: one row per level, CSV read back with csv.DictReader and JSON Lines
round-tripped, checked against the typed Levels of the same document."""

import csv
import io
import json

import pytest

from loadtest import cli
from loadtest.records import document as run_document
from loadtest.report import export

from .harness_samples import document


def _optional_float(field: str) -> float | None:
    return None if field == "" else float(field)


def test_csv_rows_are_the_levels(tmp_path):
    doc = document(tmp_path, rounds=3).document()
    levels = doc.measured()
    reader = csv.DictReader(io.StringIO(export.to_csv(doc)))
    assert reader.fieldnames == export.FIELDNAMES
    rows = list(reader)
    assert len(rows) == len(levels) == 14  # 4 devices-get levels x 3 rounds + devices-post + open loop
    for row, lv in zip(rows, levels, strict=True):
        assert row["run_id"] == tmp_path.name
        assert (int(row["round"]), row["service"], row["scenario"], row["mode"], int(row["users"])) == (
            lv.round, lv.service, lv.scenario, lv.mode, lv.users)
        assert float(row["ok_rps"]) == lv.ok_rps and float(row["rps"]) == lv.rps  # repr: exact
        assert _optional_float(row["latency_p99_ms"]) == lv.latency_ms.p99
        assert _optional_float(row["latency_mean_ms"]) == lv.latency_ms.mean
        assert int(row["errors_total"]) == lv.errors.total
        assert _optional_float(row["error_rate"]) == lv.error_rate
        assert _optional_float(row["service_cpu_usage_s"]) == lv.service_cpu.usage_s
        assert _optional_float(row["cpu_per_request_us"]) == lv.cpu_per_request_us
        assert int(row["memory_peak_bytes"]) == lv.service_memory.peak_bytes
        assert row["bound"] == lv.bound and row["generator_bound"] == str(lv.generator.bound).lower()
        assert row["started_at"] == lv.started_at
        assert _optional_float(row["target_rps"]) == lv.target_rps
    assert [r["round"] for r in rows[:8:4]] == ["1", "2"]  # each round is its own row
    opened = [r for r in rows if r["mode"] == "open"]
    assert len(opened) == 1 and opened[0]["target_rps"] == "200.0"
    django = next(r for r in rows if r["service"] == "django")
    assert int(django["errors_total"]) > 0 and 0 < float(django["error_rate"]) < 1


def test_jsonl_round_trips(tmp_path):
    doc = document(tmp_path, rounds=2).document()
    lines = export.to_jsonl(doc).splitlines()
    assert [json.loads(line) for line in lines] == export.rows(doc)
    first = json.loads(lines[0])
    assert list(first) == export.FIELDNAMES and first["target_rps"] is None
    assert first["generator_bound"] is False


def test_export_command_writes_its_file_in_the_out_folder(tmp_path, capsys):
    run = tmp_path / "run"
    document(run)
    out = tmp_path / "exports"  # --out is a folder, as in every command
    assert cli.run(["export", str(run), "--format", "jsonl", "--out", str(out)]) == 0
    assert (out / "levels.jsonl").read_text() == export.to_jsonl(run_document.read(run))
    assert capsys.readouterr().out == ""  # the rows went to the file
    assert cli.run(["export", str(run / "results.json")]) == 0  # csv on standard output
    assert capsys.readouterr().out.startswith("run_id,round,service,scenario,")
    with pytest.raises(ValueError):
        export.render(run_document.read(run), "xml")
