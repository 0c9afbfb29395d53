"""The one error type of eksiam, caught once in ``eksiam.cli.main``.

Each subclass carries the exit code docs/exit-codes.md assigns to it, so no caller has to map
exceptions to codes, and every message is one line that says what to do next.
"""

from __future__ import annotations

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TOOL = 3


class EksiamError(Exception):
    """Base of every error eksiam reports to its user.

    ``detail`` is another program's own output behind the error (an app's traceback): the
    command prints its last lines above the one-line error, and all of it with ``--debug``.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str = "", *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class UsageError(EksiamError):
    """Bad usage or bad input: unknown flag, unreadable or malformed file, invalid config."""

    exit_code = EXIT_USAGE


class ToolError(EksiamError):
    """A tool the gate depends on (OPA, checkov, terraform) failed: the gate fails closed."""

    exit_code = EXIT_TOOL
