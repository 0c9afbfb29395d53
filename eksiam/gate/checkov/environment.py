"""The environment contract of a checkov run: offline, no inherited checkov settings, the custom checks' settings.

See :mod:`eksiam.gate.checkov` for why each variable is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eksiam.gate import POLICY_DIR, limits
from eksiam.settings import CHECKOV_SETTINGS_ENV

if TYPE_CHECKING:
    from eksiam.config import Config

DEFAULT_TIMEOUT = limits.DEFAULT_CHECKOV_TIMEOUT
# The file holding OPA's identity of the checked file's roles (policy/checkov/eksiam_checkov_lib.py).
IDENTITY_ENV = "EKSIAM_CHECKOV_IDENTITY"
TIMEOUT_ENV = limits.CHECKOV_TIMEOUT_ENV
EXECUTABLE_ENV = "EKSIAM_CHECKOV"
EXTERNAL_CHECKS_DIR = POLICY_DIR / "checkov"

OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "LOG_LEVEL": "WARNING",
    "PYTHONWARNINGS": "ignore",
}
_DROPPED_ENV_PREFIXES = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")

@dataclass(frozen=True)
class CheckovOptions:
    """How to run checkov. ``scope`` is ``[gate] checkov_scope``; ``settings`` what the rules read
    (``Config.to_policy_data()``), which the custom checks get as JSON (none: their defaults)."""

    executable: str | None = None
    timeout: float = field(default_factory=limits.checkov_timeout)
    scope: str = "eks"
    external_checks_dir: Path | None = EXTERNAL_CHECKS_DIR
    settings: Mapping[str, Any] | None = None


def checkov_environment(options: CheckovOptions, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES) and k != "LOG_LEVEL"}
    env.update(OFFLINE_ENV)
    env["HOME"] = str(home)
    env.pop(CHECKOV_SETTINGS_ENV, None)
    if options.settings is not None:
        env[CHECKOV_SETTINGS_ENV] = json.dumps(options.settings, sort_keys=True)
    return env


def options_from_config(config: Config, base: CheckovOptions | None = None) -> CheckovOptions:
    """:class:`CheckovOptions` carrying ``config``'s scope and the rules' settings to the custom checks."""
    return replace(base or CheckovOptions(), scope=config.gate.checkov_scope, settings=config.to_policy_data())
