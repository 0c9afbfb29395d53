"""The environment contract of a checkov run: offline, no inherited checkov settings, the custom checks' settings.

See :mod:`eksiam.gate.checkov` for why each variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError
from eksiam.gate import POLICY_DIR, limits
from eksiam.gate.checkov.target import SCOPES

DEFAULT_TIMEOUT = limits.DEFAULT_CHECKOV_TIMEOUT
# The file holding OPA's identity of the checked file's roles (policy/checkov/eksiam_checkov_lib.py).
IDENTITY_ENV = "EKSIAM_CHECKOV_IDENTITY"
TIMEOUT_ENV = limits.CHECKOV_TIMEOUT_ENV
# Which resources checkov's checks run on: the IAM ones (default), or all of the input.
SCOPE_ENV = "EKSIAM_CHECKOV_SCOPE"
EXECUTABLE_ENV = "EKSIAM_CHECKOV"
EXTERNAL_CHECKS_DIR = POLICY_DIR / "checkov"

OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "LOG_LEVEL": "WARNING",
    "PYTHONWARNINGS": "ignore",
}
_DROPPED_ENV_PREFIXES = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")
# Settings the CKV_EKSIAM checks read (policy/checkov/eksiam_checkov_lib.py).
CUSTOM_CHECK_ENV = {
    "extra_policy_arns": "EKSIAM_CHECKOV_EXTRA_POLICY_ARNS",
    "allow_ipv6_cni": "EKSIAM_CHECKOV_ALLOW_IPV6_CNI",
    "allow_ssm_managed_instance_core": "EKSIAM_CHECKOV_ALLOW_SSM_MANAGED_INSTANCE_CORE",
    "connector_role_name": "EKSIAM_CHECKOV_CONNECTOR_ROLE_NAME",
    "node_role_name": "EKSIAM_CHECKOV_NODE_ROLE_NAME",
}


def default_scope() -> str:
    scope = os.environ.get(SCOPE_ENV, "iam").strip().lower() or "iam"
    if scope not in SCOPES:
        raise UsageError(f"{SCOPE_ENV}={scope!r} is not a scope: use iam (the IAM resources only) or all")
    return scope


@dataclass(frozen=True)
class CheckovOptions:
    """How to run checkov. ``None`` settings of the custom checks keep what the environment says.

    ``extra_policy_arns``/``allow_ipv6_cni``/``allow_ssm_managed_instance_core`` mirror
    ``[node] additional_policy_arns``, ``enable_ipv6_cni`` and ``attach_ssm_managed_instance_core``; the role names mirror ``[connector]``/``[node] role_name``.
    """

    executable: str | None = None
    timeout: float = field(default_factory=limits.checkov_timeout)
    scope: str = field(default_factory=default_scope)
    external_checks_dir: Path | None = EXTERNAL_CHECKS_DIR
    extra_policy_arns: tuple[str, ...] | None = None
    allow_ipv6_cni: bool | None = None
    allow_ssm_managed_instance_core: bool | None = None
    connector_role_name: str | None = None
    node_role_name: str | None = None


def _flag(setting: bool | None) -> str | None:
    return None if setting is None else ("true" if setting else "false")


def checkov_environment(options: CheckovOptions, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES) and k != "LOG_LEVEL"}
    env.update(OFFLINE_ENV)
    env["HOME"] = str(home)
    settings = {
        "extra_policy_arns": None if options.extra_policy_arns is None else ",".join(options.extra_policy_arns),
        "allow_ipv6_cni": _flag(options.allow_ipv6_cni),
        "allow_ssm_managed_instance_core": _flag(options.allow_ssm_managed_instance_core),
        "connector_role_name": options.connector_role_name,
        "node_role_name": options.node_role_name,
    }
    for key, setting in settings.items():
        if setting is not None:
            env[CUSTOM_CHECK_ENV[key]] = setting
    return env


def options_from_policy_config(policy_config: Mapping[str, Any] | None, base: CheckovOptions | None = None) -> CheckovOptions:
    """:class:`CheckovOptions` carrying the settings of ``Config.to_policy_data()`` to the custom checks."""
    base = base or CheckovOptions()
    if not policy_config:
        return base
    connector = policy_config.get("connector") or {}
    node = policy_config.get("node") or {}
    return replace(
        base,
        extra_policy_arns=tuple(node.get("additional_policy_arns") or ()),
        allow_ipv6_cni=bool(node.get("allow_ipv6_cni", False)),
        allow_ssm_managed_instance_core=bool(node.get("allow_ssm_managed_instance_core", False)),
        connector_role_name=connector.get("role_name") or base.connector_role_name,
        node_role_name=node.get("role_name") or base.node_role_name,
    )


