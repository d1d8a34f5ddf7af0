"""`report`, `compare`, `summary`, `export`: what a finished run (or several) says, from
results.json. summary and compare print a plain table (terminal), Markdown or JSON (validated by
loadtest/schemas/); each format is made from the same computed figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import report
from ..core.errors import FINDING, OK, UsageError
from ..core.help import Formatter
from ..records import document
from ..report import compare, export, summary
from . import options

FORMATS = ("terminal", "markdown", "json")
SUFFIX = {"terminal": "txt", "markdown": "md", "json": "json"}


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("report", formatter_class=Formatter,
                       help="rebuild a run's report.md, report.html and charts/ from its results.json")
    r.add_argument("dir", help="a run directory (or its results.json); the reports are written there")
    r.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", formatter_class=Formatter,
                       help="two runs as a test: each service's figures B/A with intervals, Holm-corrected")
    p.add_argument("a", help="run directory A (the baseline)")
    p.add_argument("b", help="run directory B")
    _format(p, "compare")
    p.add_argument("--fail-above", type=float, metavar="PCT",
                   help="exit 1 when a figure is significantly worse in B (successful req/s lower or CPU "
                        "per request higher, p < 0.05 after Holm's correction across every comparison) "
                        "and its estimate is more than PCT %% worse")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="the same as --fail-above 0: exit 1 on any significant regression")
    p.set_defaults(func=cmd_compare)

    s = sub.add_parser("summary", formatter_class=Formatter,
                       help="each scenario's peak per service and the ratios between services")
    s.add_argument("dirs", nargs="+", help="run directories (several: each run's figures and ratios in turn)")
    options.add_list(s, "--ratio", dest="ratio", metavar="A/B",
                     help=f"a pair of services to compare, both measured in every run given (default: "
                          f"{', '.join(summary.DEFAULT_RATIOS)}, those measured)")
    _format(s, "summary")
    s.set_defaults(func=cmd_summary)

    e = sub.add_parser("export", formatter_class=Formatter,
                       help="one row per level (per round) as CSV or JSON Lines (columns: docs/exports.md)")
    e.add_argument("dir", help="a run directory (or its results.json)")
    e.add_argument("--format", choices=export.FORMATS, default="csv", help="the rows' format")
    options.add_out(e, "writes levels.csv or levels.jsonl there instead of to standard output")
    e.set_defaults(func=cmd_export)


def _format(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("--format", choices=FORMATS, default="terminal",
                   help=f"terminal: plain tables within 100 columns; markdown; json "
                        f"(loadtest/schemas/{name}.schema.json)")
    options.add_out(p, f"also writes {name}.txt, {name}.md or {name}.json there, as --format says")


def _load(path: str) -> document.RunDocument:
    if not Path(path).exists():
        raise UsageError(f"{path}: no such run directory or results.json")
    return document.read(Path(path))


def _directory(path: str) -> Path:
    p = Path(path)
    return p if p.is_dir() else p.parent


def cmd_report(args: argparse.Namespace) -> int:
    doc = _load(args.dir)
    for path in report.write_all(_directory(args.dir), doc):
        print(path)
    return OK


def _emit(text: str, name: str, fmt: str, out: Path | None) -> None:
    if out:
        options.out_file(out, f"{name}.{SUFFIX[fmt]}").write_text(text)
    sys.stdout.write(text)


def _json(doc: dict) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def cmd_compare(args: argparse.Namespace) -> int:
    above = args.fail_above if args.fail_above is not None else 0.0 if args.fail_on_regression else None
    if above is not None and above < 0:
        raise UsageError(f"--fail-above {above:g}: a percentage of 0 or more")
    c = compare.compute(_load(args.a), _load(args.b))
    text = {"terminal": compare.terminal_text, "markdown": compare.markdown,
            "json": lambda c: _json(compare.as_json(c))}[args.format](c)
    _emit(text if text.endswith("\n") else text + "\n", "compare", args.format, args.out)
    return FINDING if above is not None and c.regressions(above) else OK


def cmd_summary(args: argparse.Namespace) -> int:
    try:
        pairs = [summary.parse_ratio(r) for r in (args.ratio or summary.DEFAULT_RATIOS)]
    except ValueError as e:
        raise UsageError(str(e)) from e
    docs = [_load(d) for d in args.dirs]
    if args.ratio:
        summary.check_ratios(docs, pairs)
    s = summary.compute(docs, pairs)
    text = {"terminal": summary.terminal_text, "markdown": summary.markdown,
            "json": lambda s: _json(summary.as_json(s))}[args.format](s)
    _emit(text if text.endswith("\n") else text + "\n", "summary", args.format, args.out)
    return OK


def cmd_export(args: argparse.Namespace) -> int:
    text = export.render(_load(args.dir), args.format)
    if args.out:
        path = options.out_file(args.out, f"levels.{args.format}")
        path.write_text(text)
        print(path, file=sys.stderr)  # standard output stays the rows' alone
    else:
        sys.stdout.write(text)  # the rows only, nothing else: the output is meant for a pipe
    return OK
