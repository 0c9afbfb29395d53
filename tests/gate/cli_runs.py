"""The CLI run in this process, as a user runs it: exit code, stdout and stderr."""

from __future__ import annotations

import pytest

from eksiam.cli import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
