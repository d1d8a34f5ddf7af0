"""`report`, `compare`, `summary`, `export`: what a finished run (or several) says, from
results.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import report, results
from ..errors import UsageError
from ..help import Formatter
from ..report import compare, export, summary


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("report", help="rebuild a run's report.md, report.html and charts/ from its results.json")
    r.add_argument("dir", help="a run directory (or its results.json)")
    r.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", help="two runs side by side with ratios (B/A)")
    p.add_argument("a", help="run directory A (the baseline)")
    p.add_argument("b", help="run directory B")
    p.add_argument("--out", help="also write the markdown to this file")
    p.set_defaults(func=cmd_compare)

    s = sub.add_parser("summary", formatter_class=Formatter,
                       help="each scenario's peak per service and the ratios between services")
    s.add_argument("dirs", nargs="+", help="run directories (several: per-run ratios and their median)")
    s.add_argument("--ratio", action="append", metavar="A/B",
                   help=f"a pair of services to compare, repeatable (default: {', '.join(summary.DEFAULT_RATIOS)})")
    s.add_argument("--out", help="also write the markdown to this file")
    s.set_defaults(func=cmd_summary)

    e = sub.add_parser("export", help="one row per level (per round) as CSV or JSON Lines (columns: docs/exports.md)")
    e.add_argument("dir", help="a run directory (or its results.json)")
    e.add_argument("--format", choices=export.FORMATS, default="csv", help="default: csv")
    e.add_argument("--out", help="write to this file instead of standard output")
    e.set_defaults(func=cmd_export)


def _directory(path: str) -> Path:
    p = Path(path)
    return p if p.is_dir() else p.parent


def cmd_report(args: argparse.Namespace) -> int:
    doc = results.load_checked(Path(args.dir))
    for path in report.write_all(_directory(args.dir), doc):
        print(path)
    return 0


def _emit(text: str, out: str | None) -> int:
    if out:
        Path(out).write_text(text)
    print(text)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    a, b = results.load_checked(Path(args.a)), results.load_checked(Path(args.b))
    return _emit(compare.render(a, b), args.out)


def cmd_summary(args: argparse.Namespace) -> int:
    try:
        pairs = [summary.parse_ratio(r) for r in (args.ratio or summary.DEFAULT_RATIOS)]
    except ValueError as e:
        raise UsageError(str(e)) from e
    docs = [results.load_checked(Path(d)) for d in args.dirs]
    return _emit(summary.render(docs, pairs), args.out)


def cmd_export(args: argparse.Namespace) -> int:
    text = export.render(results.load_checked(Path(args.dir)), args.format)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)  # the rows only, nothing else: the output is meant for a pipe
    return 0
