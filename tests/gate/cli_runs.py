"""The CLI run in this process, as a user runs it: exit code, stdout and stderr; and what bad
input must print (one error line, no traceback)."""

from __future__ import annotations

import pytest

from eksiam.cli import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    """``err``, asserted to be the one line the CLI prints for bad input or a failed tool."""
    assert err.count("\n") == 1 and err.startswith("eksiam: error: ") and "Traceback" not in err, err
    return err.strip()
