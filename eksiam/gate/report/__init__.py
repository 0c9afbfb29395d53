"""Report renderers: one module per format, all reading the same :class:`eksiam.gate.findings.Report`.

``render(report, fmt)`` returns the text; ``write_reports`` is what ``eksiam check``/``verify``
call to print the main format and write any ``--report FORMAT=FILE`` copies.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from eksiam.errors import UsageError
from eksiam.gate.findings import Report
from eksiam.gate.report import json_report, junit, markdown, sarif, text
from eksiam.gate.report.rules import load_rule_metadata

FORMATS = ("text", "json", "junit", "sarif", "markdown")
_RENDERERS = {
    "json": json_report.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
}

__all__ = ["FORMATS", "load_rule_metadata", "render", "write_reports"]


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """``report`` in ``fmt``; ``color`` (ANSI, text format only) is for a terminal."""
    if fmt == "text":
        return text.render(report, color=color)
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise UsageError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}") from None
    return renderer(report)


def stdout_wants_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def parse_report_option(option: str) -> tuple[str, Path]:
    fmt, sep, file = option.partition("=")
    if not sep or fmt not in FORMATS or not file:
        raise UsageError(f"--report {option!r} is not FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}: e.g. --report sarif=eksiam.sarif")
    return fmt, Path(file)


def write_reports(report: Report, fmt: str, output: str | Path | None = None, extra: Iterable[str] = ()) -> None:
    """Print ``report`` in ``fmt`` (or write it to ``output``), then each ``FORMAT=FILE`` of ``extra``."""
    copies = [parse_report_option(option) for option in extra]  # all usage errors before any output
    if output:
        _write(Path(output), render(report, fmt))
    else:
        sys.stdout.write(render(report, fmt, color=fmt == "text" and stdout_wants_color()))
        sys.stdout.flush()
    for copy_fmt, file in copies:
        _write(file, render(report, copy_fmt))


def _write(path: Path, content: str) -> None:
    """Write whole or not at all: a CI artifact must never be a truncated report."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        if path.parent != Path("."):
            path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(content, encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write the report to {path}: {error.strerror or error}; choose a writable path") from None
