"""The `peninsula` command line. Each command imports what it needs when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def _show_text(args: argparse.Namespace) -> int:
    from peninsula.texts import load_corpus

    corpus = load_corpus()
    texts = [corpus[args.text]] if args.text else list(corpus)
    for text in texts:
        print(text.citation)
        print(f"  {len(text.paragraphs)} paragraphs, {text.word_count} words\n")
        if args.text:
            print("\n\n".join(str(p) for p in text.paragraphs))
    return 0


def _check(args: argparse.Namespace) -> int:
    from peninsula.check import DataFiles, check_all, report_text

    files = DataFiles()
    problems = check_all(files)
    print(report_text(problems, files))
    return 1 if problems else 0


def _build_assignments(args: argparse.Namespace) -> int:
    from peninsula.assignments import write_assignments

    for path in write_assignments():
        print(f"wrote {path}")
    return 0


def _export_charts(args: argparse.Namespace) -> int:
    from peninsula.charts import export_charts

    for path in export_charts(Path(args.out), args.format):
        print(f"wrote {path}")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "texts": ("list the commentaries, or print one with its paragraph ids", _show_text),
    "check": ("validate the texts, codebook, positions and answer key", _check),
    "export-charts": ("save every chart as SVG or PNG for handouts", _export_charts),
    "build-assignments": ("write the graded assignments' notebooks from the answer key", _build_assignments),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peninsula",
        description="Course kit for close reading Trivedi (PacNet #28, 2018) and Cronin (2019).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, _) in COMMANDS.items():
        commands.add_parser(name, help=summary, description=summary)
    commands.choices["texts"].add_argument("text", nargs="?", help="trivedi or cronin")
    export = commands.choices["export-charts"]
    export.add_argument("--format", choices=["svg", "png"], default="svg", help="file format (default: svg)")
    export.add_argument("--out", default="exports", help="folder to write to (default: exports/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command][1](args)
    except (KeyError, ValueError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"peninsula {args.command}: {message}", file=sys.stderr)
        return 2
