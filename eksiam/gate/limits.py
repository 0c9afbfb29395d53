"""The gate's limits from the environment, read and checked in one place before any work.

A typo in a limit must cost nothing: ``EKSIAM_CHECKOV_TIMEOUT=abc`` is reported before the app
is synthesized or OPA is started, not after minutes of planning. ``run_check`` and
``run_verify`` call :func:`read_limits` first and hand the result down.

| variable | default | what it bounds |
|---|---|---|
| ``EKSIAM_MAX_INPUT_MB`` | 64 | the largest JSON file the gate reads (checked before reading it) |
| ``EKSIAM_OPA_TIMEOUT`` | 30 | seconds one OPA request may take |
| ``EKSIAM_CHECKOV_TIMEOUT`` | 300 | seconds one checkov run may take |

Each is parsed here and nowhere else (checkov's options take their default from here too).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from eksiam.errors import UsageError

MAX_INPUT_ENV = "EKSIAM_MAX_INPUT_MB"
OPA_TIMEOUT_ENV = "EKSIAM_OPA_TIMEOUT"
CHECKOV_TIMEOUT_ENV = "EKSIAM_CHECKOV_TIMEOUT"
DEFAULT_MAX_INPUT_MB = 64.0
DEFAULT_OPA_TIMEOUT = 30.0
DEFAULT_CHECKOV_TIMEOUT = 300.0
# Nesting no Terraform configuration, plan or IAM snapshot comes near (plans nest ~20 deep);
# deep enough to be harmless, shallow enough that no reader on the way recurses too far.
MAX_JSON_DEPTH = 256
_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int = int(DEFAULT_MAX_INPUT_MB * _MB)
    opa_timeout: float = DEFAULT_OPA_TIMEOUT
    checkov_timeout: float = DEFAULT_CHECKOV_TIMEOUT

    @property
    def max_input_mb(self) -> float:
        return self.max_input_bytes / _MB


def _positive_number(environ: Mapping[str, str], name: str, default: float, unit: str, example: str) -> float:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name}={raw!r} is not a positive number of {unit}: set it to e.g. {example}, or unset it")
    return value


def max_input_bytes(environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    megabytes = _positive_number(environ, MAX_INPUT_ENV, DEFAULT_MAX_INPUT_MB, "megabytes", "64")
    return max(1, int(megabytes * _MB))


def opa_timeout(environ: Mapping[str, str] | None = None) -> float:
    environ = os.environ if environ is None else environ
    return _positive_number(environ, OPA_TIMEOUT_ENV, DEFAULT_OPA_TIMEOUT, "seconds", "30")


def checkov_timeout(environ: Mapping[str, str] | None = None) -> float:
    environ = os.environ if environ is None else environ
    return _positive_number(environ, CHECKOV_TIMEOUT_ENV, DEFAULT_CHECKOV_TIMEOUT, "seconds", "300")


def read_limits(environ: Mapping[str, str] | None = None) -> Limits:
    """Every limit the environment sets, validated; a bad value is a :class:`UsageError` naming it."""
    return Limits(
        max_input_bytes=max_input_bytes(environ),
        opa_timeout=opa_timeout(environ),
        checkov_timeout=checkov_timeout(environ),
    )
