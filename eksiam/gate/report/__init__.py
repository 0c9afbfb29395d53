"""Report renderers: one module per format, all reading the same :class:`eksiam.gate.findings.Report`.

``render(report, fmt)`` returns the text; ``write_reports`` is what ``eksiam check``/``verify``
call to print the main format and write any ``--report FORMAT=FILE`` copies.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from eksiam.errors import UsageError
from eksiam.gate.findings import Report
from eksiam.gate.report import codequality, json_report, junit, markdown, sarif, text
from eksiam.gate.report.rules import load_rule_metadata

FORMATS = ("text", "json", "junit", "sarif", "markdown", "codequality")
_RENDERERS = {
    "json": json_report.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "codequality": codequality.render,
}

__all__ = ["FORMATS", "check_writable", "load_rule_metadata", "render", "write_error_reports", "write_reports"]


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


def check_writable(path: str | Path, what: str = "the report") -> None:
    """Fail before any work if ``path`` cannot be written (so a run never ends unable to report).

    A path whose directory does not exist yet is judged by its nearest existing ancestor,
    where the directories would be made.
    """
    path = Path(path)
    fix = "choose a writable path"
    if path.is_dir():
        raise UsageError(f"cannot write {what} to {path}: it is a directory; name a file")
    if path.exists() and not path.is_file():  # /dev/stdout, a pipe: written in place
        if not os.access(path, os.W_OK):
            raise UsageError(f"cannot write {what} to {path}: it is not writable; {fix}")
        return
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"cannot write {what} to {path}: {ancestor} is not a directory; {fix}")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {what} to {path}: {ancestor} is not writable; {fix}")


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


def write_error_reports(message: str, exit_code: int, fmt: str, output: str | Path | None, extra: Iterable[str] = ()) -> None:
    """Each requested report file, saying the run ended with ``message`` (best effort: a path
    that cannot be written is what the error may be about, and stderr says it already)."""
    from eksiam.gate.report.failure import render_error

    targets: list[tuple[str, Path | None]] = [(fmt, Path(output) if output else None)]
    for option in extra:
        try:
            targets.append(parse_report_option(option))
        except UsageError:
            continue
    for target_fmt, path in targets:
        content = render_error(target_fmt, message, exit_code)
        if path is None:
            continue  # stdout stays empty on 2 and 3: the one error line is on stderr
        try:
            _write(path, content)
        except UsageError:
            continue


def _write(path: Path, content: str) -> None:
    """Write whole or not at all: a CI artifact must never be a truncated report.

    The partial file has a name of its own per run, so two runs writing the same report
    path never rename each other's half-written file; a device or pipe is written in place.
    """
    partial: Path | None = None
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(content)
            return
        if path.parent != Path("."):
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        partial = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(content)
        os.chmod(partial, 0o666 & ~_umask())
        os.replace(partial, path)
    except OSError as error:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write the report to {path}: {error.strerror or error}; choose a writable path") from None


@functools.cache
def _umask() -> int:
    # mkstemp makes the file 0600; the report gets the mode a plain write would give it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
