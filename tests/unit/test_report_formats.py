"""summary and compare: one computation, three formats (terminal, markdown, json); the JSON
matches the committed schemas, the terminal tables fit 100 columns whole, rows come in the
registries' order whatever order a run measured them in."""

import json
import random
from pathlib import Path

import jsonschema
import pytest

from loadtest import cli
from loadtest.core.config import ROOT
from loadtest.core.errors import USAGE, UsageError
from loadtest.records import document as run_document
from loadtest.report import compare, summary, terminal
from loadtest.report.markdown import fmt_ratio

from .harness_samples import document

SCHEMAS = ROOT / "loadtest" / "schemas"
RUNS = sorted(p.parent for p in (ROOT / "docs" / "results").glob("*/report.md"))


def validate(doc: dict, name: str) -> None:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def run_cli(capsys, *argv: str) -> str:
    assert cli.run(list(argv)) == 0
    return capsys.readouterr().out


def test_summary_json_matches_its_schema_and_the_markdown(tmp_path, capsys):
    a, b = document(tmp_path / "a", rounds=3), document(tmp_path / "b", rounds=3, scale=2.0)
    out = json.loads(run_cli(capsys, "summary", str(a.dir), str(b.dir), "--ratio", "go_stdlib/django",
                             "--format", "json"))
    validate(out, "summary")
    assert out["schema_version"] == 3 and [r["id"] for r in out["runs"]] == ["a", "b"]
    ratio = out["runs"][0]["ratios"][0]
    md = run_cli(capsys, "summary", str(a.dir), "--ratio", "go_stdlib/django", "--format", "markdown")
    from loadtest.core.stats import Estimate
    assert fmt_ratio(Estimate(**ratio["ok_rps_ratio"])) in md  # the same figure, formatted
    assert ratio["ok_rps_significant"] is True


def test_summary_sets_each_ratio_of_the_first_run_against_the_later_ones(tmp_path):
    a = document(tmp_path / "a", rounds=3).document()
    same = document(tmp_path / "b", rounds=3, scale=2.0).document()  # every service twice as fast: same ratios
    go_faster = a.model_copy(update={  # go_stdlib alone about twice as fast: its ratio moves
        "run": a.run.model_copy(update={"id": "c"}),
        "levels": [lv.model_copy(update={"ok_rps": lv.ok_rps * (2.0 + 0.01 * lv.round)})
                   if lv.service == "go_stdlib" and lv.ok_rps else lv for lv in a.levels]})
    s = summary.compute([a, same, go_faster], [("go_stdlib", "django")])
    rps = {x.b_run: x for x in s.agreement if x.figure == "ok_rps"}
    assert set(rps) == {"b", "c"} and all(x.a_run == "a" for x in s.agreement)
    assert rps["b"].agree is True and rps["c"].agree is False
    assert rps["c"].change.value == pytest.approx(2.02, rel=0.01)
    assert s.agreement_counts == {"compared": 4, "agree": 3, "differ": 1, "untested": 0}  # req/s and CPU, twice
    validate(summary.as_json(s), "summary")
    assert "## Between runs" in summary.markdown(s) and "They agree on 3 of 4" in summary.markdown(s)
    text = summary.terminal_text(s)
    assert "between runs" in text and max(map(len, text.splitlines())) <= terminal.WIDTH


def test_compare_json_matches_its_schema(tmp_path, capsys):
    a, b = document(tmp_path / "a", rounds=3), document(tmp_path / "b", rounds=3, scale=2.0)
    out = json.loads(run_cli(capsys, "compare", str(a.dir), str(b.dir), "--format", "json"))
    validate(out, "compare")
    assert out["counts"]["higher_in_b"] > 0 and out["figures"][0]["ratio"]["value"] == pytest.approx(2.0, rel=0.01)
    assert out["correction"] == "Holm" and out["figures"][0]["p_holm"] < 0.05
    assert {c["mode"] for c in out["cells"]} == {"closed", "open"}


@pytest.mark.parametrize("run", RUNS[-3:], ids=lambda p: p.name)
def test_committed_runs_validate(run):
    doc = run_document.read(run)
    validate(summary.as_json(summary.compute([doc], [summary.parse_ratio(r) for r in summary.DEFAULT_RATIOS])),
             "summary")
    validate(compare.as_json(compare.compute(doc, doc)), "compare")


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_terminal_tables_fit_100_columns_and_cut_nothing(run):
    doc = run_document.read(run)
    s = summary.compute([doc], [summary.parse_ratio(r) for r in summary.DEFAULT_RATIOS])
    for text in (terminal.figures_text(doc), summary.terminal_text(s),
                 compare.terminal_text(compare.compute(doc, doc))):
        assert max(map(len, text.splitlines())) <= terminal.WIDTH
        assert "…" not in text
    figure = next(iter(s.runs[0].plateaus.values()))
    assert f"{figure.ok_rps.value:,.0f}" in terminal.figures_text(doc)  # whole figures


def test_rows_come_in_registry_order_whatever_the_measurement_order(tmp_path):
    doc = document(tmp_path, rounds=2).document()
    shuffled = doc.model_copy(update={"levels": random.Random(3).sample(doc.levels, len(doc.levels))})
    assert terminal.figures_text(shuffled) == terminal.figures_text(doc)
    assert list(terminal.figure_rows(doc)) == ["devices-get", "devices-post"]  # scenarios.SCENARIOS order
    assert [row[0] for row in terminal.figure_rows(doc)["devices-get"]] == ["django", "go_stdlib"]
    assert compare.markdown(compare.compute(shuffled, doc)) == compare.markdown(compare.compute(doc, doc))


def test_a_ratio_naming_an_unmeasured_service_is_a_usage_error(tmp_path):
    run = document(tmp_path / "r").dir
    with pytest.raises(UsageError, match="foo, bar not measured in run r; measured: django, go_stdlib") as e:
        cli.run(["summary", str(run), "--ratio", "go_stdlib/django,foo/bar"])
    assert e.value.exit_code == USAGE
    with pytest.raises(UsageError, match="no such run"):
        cli.run(["summary", str(tmp_path / "missing")])


def test_out_is_a_folder_with_a_fixed_file_name(tmp_path, capsys):
    run = document(tmp_path / "r", rounds=2).dir
    for command, fmt, name in (("summary", "json", "summary.json"), ("summary", "markdown", "summary.md"),
                               ("compare", "terminal", "compare.txt")):
        out = tmp_path / "out" / command
        argv = [command, str(run), *([str(run)] if command == "compare" else []), "--format", fmt,
                "--out", str(out)]
        printed = run_cli(capsys, *argv)
        assert (out / name).read_text() == printed


def test_compare_can_gate_a_script_on_a_regression(tmp_path, capsys):
    a, slower = document(tmp_path / "a", rounds=3), document(tmp_path / "b", rounds=3, scale=0.5)
    assert cli.run(["compare", str(a.dir), str(slower.dir)]) == 0  # a report by default
    assert cli.run(["compare", str(a.dir), str(slower.dir), "--fail-on-regression"]) == 1
    assert cli.run(["compare", str(slower.dir), str(a.dir), "--fail-on-regression"]) == 0
    assert "LOWER" in capsys.readouterr().out
    # half the throughput: a regression of 50 %, beyond 40 % and not beyond 60 %
    assert cli.run(["compare", str(a.dir), str(slower.dir), "--fail-above", "40"]) == 1
    assert cli.run(["compare", str(a.dir), str(slower.dir), "--fail-above", "60"]) == 0
    with pytest.raises(UsageError, match="--fail-above"):
        cli.run(["compare", str(a.dir), str(slower.dir), "--fail-above", "-1"])


def test_summary_help_promises_only_what_it_prints(capsys):
    with pytest.raises(SystemExit):
        cli.run(["summary", "--help"])
    assert "median" not in capsys.readouterr().out


def test_sweep_closing_table_fits_100_columns(tmp_path):
    from rich.console import Console

    console = Console(width=80, record=True, file=open(Path(tmp_path) / "out.txt", "w"))  # noqa: SIM115
    terminal.print_summary(document(tmp_path / "r", rounds=3).document(), console)
    text = console.export_text()
    assert "…" not in text and max(map(len, text.splitlines())) <= terminal.WIDTH
    assert "req/s" in text and "interval" in text and "bound" in text


def test_an_out_that_names_a_file_is_refused(tmp_path):
    run = document(tmp_path / "r").dir
    with pytest.raises(UsageError, match="--out is a folder"):
        cli.run(["summary", str(run), "--format", "markdown", "--out", str(tmp_path / "summary.md")])
    assert not (tmp_path / "summary.md").exists()
