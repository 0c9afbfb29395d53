"""eksiam's configuration: ``eksiam.toml`` plus ``EKSIAM_<SECTION>_<KEY>`` overrides.

One typed, frozen model. Every value is checked against IAM's own rules (through the
construct props) before anything is synthesized, and unknown keys are errors, so a typo
never silently falls back to a default.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError
from eksiam.props import EksConnectorAgentRoleProps, EksNodeRoleProps

DEFAULT_CONFIG_FILE = "eksiam.toml"
ENV_PREFIX = "EKSIAM_"
# The config file an app run by `eksiam synth|check --config FILE` reads.
CONFIG_FILE_ENV = "EKSIAM_CONFIG"

# TOML key -> props field, where they differ: the TOML keeps INTERFACE.md's names.
_RENAMED = {"role_name": "name"}
_COMMON_KEYS = {
    "enabled": bool,
    "role_name": str,
    "use_name_prefix": bool,
    "path": str,
    "description": str,
    "permissions_boundary": str,
    "max_session_duration": int,
    "force_detach_policies": bool,
    "import_existing": bool,
}
SECTION_KEYS: dict[str, dict[str, type]] = {
    "connector": {**_COMMON_KEYS, "create_service_linked_role": bool},
    "node": {
        **_COMMON_KEYS,
        "additional_policy_arns": list,
        "attach_ssm_managed_instance_core": bool,
        "enable_ipv6_cni": bool,
    },
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Config:
    """Which roles to generate and how; ``source`` names where the values came from."""

    connector: EksConnectorAgentRoleProps = field(default_factory=EksConnectorAgentRoleProps)
    node: EksNodeRoleProps = field(default_factory=EksNodeRoleProps)
    connector_enabled: bool = True
    node_enabled: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str = "defaults"

    def to_policy_data(self) -> dict[str, Any]:
        """The settings the Rego rules read as ``data.eksiam.config``."""
        return {
            "connector": {
                "enabled": self.connector_enabled,
                "role_name": self.connector.name,
                "permissions_boundary": self.connector.permissions_boundary,
            },
            "node": {
                "enabled": self.node_enabled,
                "role_name": self.node.name,
                "permissions_boundary": self.node.permissions_boundary,
                "additional_policy_arns": sorted(self.node.additional_policy_arns.values()),
                "allow_ssm_managed_instance_core": self.node.attach_ssm_managed_instance_core,
                "allow_ipv6_cni": self.node.enable_ipv6_cni,
            },
        }


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (default: ``$EKSIAM_CONFIG``, else ``eksiam.toml`` in the working directory when present),
    apply ``EKSIAM_*`` overrides from ``environ`` and validate everything."""
    environ = os.environ if environ is None else environ
    raw, source = _read_toml(path if path is not None else environ.get(CONFIG_FILE_ENV) or None)
    _reject_unknown(raw, source)
    overrides = _env_overrides(environ)
    for section, values in overrides.items():
        raw.setdefault(section, {}).update(values)
    if overrides:
        source = f"{source} + {ENV_PREFIX}* environment"
    return _build(raw, source)


def _read_toml(path: str | Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        default = Path(DEFAULT_CONFIG_FILE)
        if not default.is_file():
            return {}, "defaults"
        path = default
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist: check --config") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read config file {path}: {error}") from None
    try:
        return tomllib.loads(text), str(path)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from None


def _reject_unknown(raw: dict[str, Any], source: str) -> None:
    for section, values in raw.items():
        if section == "tags":
            if not isinstance(values, dict):
                raise UsageError(f"{source}: [tags] must be a table of tag names to strings")
            continue
        if section not in SECTION_KEYS:
            known = ", ".join(f"[{s}]" for s in [*SECTION_KEYS, "tags"])
            raise UsageError(f"{source}: unknown section [{section}]: use one of {known}")
        if not isinstance(values, dict):
            raise UsageError(f"{source}: {section} must be a table ([{section}])")
        for key, value in values.items():
            expected = SECTION_KEYS[section].get(key)
            if expected is None:
                known = ", ".join(SECTION_KEYS[section])
                raise UsageError(f"{source}: unknown key [{section}] {key}: use one of {known}")
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise UsageError(
                    f"{source}: [{section}] {key} = {value!r} must be a {expected.__name__}"
                )


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for name, text in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX):]
        if rest.startswith("TAGS_") and len(rest) > 5:
            # Environment names are upper case by convention; tag keys are taken lower case.
            overrides.setdefault("tags", {})[rest[5:].lower()] = text
            continue
        section, _, key = rest.partition("_")
        section, key = section.lower(), key.lower()
        if section not in SECTION_KEYS:
            continue  # other EKSIAM_* variables (e.g. EKSIAM_OPA_TOKEN) are not config
        expected = SECTION_KEYS[section].get(key)
        if expected is None:
            known = ", ".join(f"{ENV_PREFIX}{section.upper()}_{k.upper()}" for k in SECTION_KEYS[section])
            raise UsageError(f"unknown setting {name}: use one of {known}")
        overrides.setdefault(section, {})[key] = _parse_env_value(name, text, expected)
    return overrides


def _parse_env_value(name: str, text: str, expected: type) -> Any:
    if expected is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise UsageError(f"{name}={text!r} is not a boolean: use true or false")
    if expected is int:
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{name}={text!r} is not a whole number") from None
    if expected is list:
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                value = None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{name} is not a JSON list of strings: use [\"arn:…\"] or a comma-separated list")
            return value
        return [part.strip() for part in stripped.split(",") if part.strip()]
    return text


def _props_kwargs(section: str, values: Mapping[str, Any], source: str) -> dict[str, Any]:
    kwargs = {_RENAMED.get(k, k): v for k, v in values.items() if k != "enabled"}
    if "additional_policy_arns" in kwargs:
        kwargs["additional_policy_arns"] = _keyed_policy_arns(kwargs["additional_policy_arns"], source)
    return kwargs


def _keyed_policy_arns(arns: list[str], source: str) -> dict[str, str]:
    """Each extra ARN gets a key from its policy name, so its resource address is stable."""
    keyed: dict[str, str] = {}
    for arn in arns:
        if not isinstance(arn, str):
            raise UsageError(f"{source}: [node] additional_policy_arns must list strings, got {arn!r}")
        key = re.sub(r"[^a-z0-9]+", "_", arn.rsplit("/", 1)[-1].lower()).strip("_")[:64] or "policy"
        if key in keyed and keyed[key] != arn:
            raise UsageError(
                f"{source}: [node] additional_policy_arns has two policies named alike "
                f"({keyed[key]!r}, {arn!r}): attach one of them from your own stack"
            )
        keyed[key] = arn
    return keyed


def _build(raw: dict[str, Any], source: str) -> Config:
    tags = dict(raw.get("tags", {}))
    props: dict[str, Any] = {}
    for section, props_type in (("connector", EksConnectorAgentRoleProps), ("node", EksNodeRoleProps)):
        values = raw.get(section, {})
        kwargs = _props_kwargs(section, values, source)
        try:
            props[section] = props_type(**kwargs, tags=tags)
        except UsageError as error:
            # Name the setting as the user wrote it, not as the props call it.
            message = str(error)
            for toml_key in SECTION_KEYS[section]:
                message = message.replace(f"{props_type.__name__}.{_RENAMED.get(toml_key, toml_key)}", f"[{section}] {toml_key}")
            message = message.replace(f"{props_type.__name__}.tags", "[tags]")
            raise UsageError(f"{source}: {message}") from None
    return Config(
        connector=props["connector"],
        node=props["node"],
        connector_enabled=raw.get("connector", {}).get("enabled", True),
        node_enabled=raw.get("node", {}).get("enabled", True),
        tags=tags,
        source=source,
    )
