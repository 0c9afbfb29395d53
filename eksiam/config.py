"""eksiam's configuration: ``eksiam.toml`` plus ``EKSIAM_<SECTION>_<KEY>`` overrides.

One typed, frozen model. Every value is checked against IAM's own rules (through the
construct props) before anything is synthesized, and unknown keys are errors, so a typo
never silently falls back to a default. ``[backend]`` says where an app's stacks keep their
state; the constructs never read it (they set no backend), the app's stacks do.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eksiam import settings
from eksiam.backend_config import BACKEND_TYPE_KEYS, BackendConfig, backend_from_mapping
from eksiam.errors import UsageError
from eksiam.props import EksConnectorAgentRoleProps, EksNodeRoleProps
from eksiam.settings import ENV_PREFIX

DEFAULT_CONFIG_FILE = "eksiam.toml"
# [stacks.<name>.<section>] overrides a section for one stack of an app.
STACKS_SECTION = "stacks"
PER_STACK_SECTIONS = frozenset({"connector", "node", "backend", "tags"})
# The config file an app run by `eksiam synth|check --config FILE` reads.
CONFIG_FILE_ENV = "EKSIAM_CONFIG"

# TOML key -> props field, where they differ: the TOML keeps the documented names.
_RENAMED = {"role_name": "name"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class GateSettings:
    """The gate's own settings (``[gate]``), in any project: the defaults of ``--fail-on`` and
    ``--waivers``, the waivers' limits, what checkov checks and which roles must be present."""

    fail_on: str = "MEDIUM"
    waivers: str = ""
    max_waiver_days: int = 90
    checkov_scope: str = "eks"
    require_roles: tuple[str, ...] = ()
    in_code_suppressions: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "fail_on", self.fail_on.upper())
        object.__setattr__(self, "checkov_scope", self.checkov_scope.lower())
        object.__setattr__(self, "require_roles", tuple(self.require_roles))
        for key in ("fail_on", "checkov_scope"):
            choices = settings.choices("gate", key)
            if getattr(self, key) not in choices:
                raise UsageError(f"[gate] {key} = {getattr(self, key)!r} is not one of {', '.join(choices)}")
        if not 1 <= self.max_waiver_days <= 3650:
            raise UsageError(f"[gate] max_waiver_days = {self.max_waiver_days} must be between 1 and 3650 days")
        for role in self.require_roles:
            if role not in settings.REQUIRABLE_ROLES:
                raise UsageError(
                    f"[gate] require_roles names {role!r}: use {', '.join(settings.REQUIRABLE_ROLES)}"
                )


@dataclass(frozen=True)
class Config:
    """Which roles to generate and how; ``source`` names where the values came from."""

    connector: EksConnectorAgentRoleProps = field(default_factory=EksConnectorAgentRoleProps)
    node: EksNodeRoleProps = field(default_factory=EksNodeRoleProps)
    connector_enabled: bool = True
    node_enabled: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)
    backend: BackendConfig = field(default_factory=BackendConfig)
    gate: GateSettings = field(default_factory=GateSettings)
    source: str = "defaults"
    # What the file and the environment set, TOML-shaped ({section: {key: value}}): the rules'
    # data is derived from it, so a value left unset keeps the rules' default (a path, say, is
    # required of a role only when one is configured).
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # [stacks.<name>.<section>]: what each stack sets for itself (see for_stack).
    stack_sections: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)

    def for_stack(self, name: str) -> "Config":
        """This configuration as stack ``name`` sees it: its ``[stacks.<name>.*]`` sections over the
        shared ones (a section's keys merge; a stack's [backend] of another type replaces it)."""
        own = self.stack_sections.get(name)
        if not own:
            return self
        raw: dict[str, Any] = {section: dict(keys) for section, keys in self.values.items()}
        raw["tags"] = dict(self.tags)
        for section, keys in own.items():
            if section == "backend" and keys.get("type", raw.get("backend", {}).get("type")) != raw.get("backend", {}).get("type"):
                raw["backend"] = {}
            raw.setdefault(section, {}).update(keys)
        return replace(_build(raw, f"{self.source} [{STACKS_SECTION}.{name}]"), stack_sections=self.stack_sections)

    def to_policy_data(self) -> dict[str, Any]:
        """The settings the rules read as ``data.eksiam.config`` (and the checkov checks as JSON),
        derived from the declarations in :mod:`eksiam.settings` and the values set."""
        return settings.policy_data(self.values)


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (default: ``$EKSIAM_CONFIG``, else ``eksiam.toml`` in the working directory when present),
    apply ``EKSIAM_*`` overrides from ``environ`` and validate everything."""
    environ = os.environ if environ is None else environ
    raw, source = _read_toml(path if path is not None else environ.get(CONFIG_FILE_ENV) or None)
    per_stack = _per_stack_sections(raw.pop(STACKS_SECTION, {}), source)
    _reject_unknown(raw, source)
    overrides = _env_overrides(environ)
    _switch_backend(raw, overrides)
    for section, values in overrides.items():
        raw.setdefault(section, {}).update(values)
    if overrides:
        source = f"{source} + {ENV_PREFIX}* environment"
    config = replace(_build(raw, source), stack_sections=per_stack)
    for name in per_stack:
        config.for_stack(name)  # every stack's settings are checked before any synth
    return config


def _per_stack_sections(stacks: Any, source: str) -> dict[str, dict[str, Any]]:
    """``[stacks.<name>.<section>]``: a stack's own [connector], [node], [backend] or [tags]."""
    if not isinstance(stacks, dict):
        raise UsageError(f"{source}: [{STACKS_SECTION}] must be a table of stack names, e.g. [stacks.prod-eu.backend]")
    for name, sections in stacks.items():
        if not isinstance(sections, dict):
            raise UsageError(f"{source}: [{STACKS_SECTION}.{name}] must be a table of sections, e.g. [stacks.{name}.backend]")
        for section in sections:
            if section not in PER_STACK_SECTIONS:
                raise UsageError(
                    f"{source}: [{STACKS_SECTION}.{name}.{section}] cannot be set per stack: use one of "
                    + ", ".join(f"[{STACKS_SECTION}.{name}.{s}]" for s in sorted(PER_STACK_SECTIONS))
                )
        _reject_unknown(dict(sections), f"{source} [{STACKS_SECTION}.{name}]")
    return stacks


def _switch_backend(raw: dict[str, Any], overrides: Mapping[str, Mapping[str, Any]]) -> None:
    """``EKSIAM_BACKEND_TYPE`` switches backends on purpose (say, ``local`` for a trial run of a
    project whose eksiam.toml says ``cloud``): the file's keys of the other type then no longer apply."""
    kind = overrides.get("backend", {}).get("type")
    file_backend = raw.get("backend")
    if kind in BACKEND_TYPE_KEYS and isinstance(file_backend, dict) and file_backend.get("type", "local") != kind:
        raw["backend"] = {k: v for k, v in file_backend.items() if k in BACKEND_TYPE_KEYS[kind]}


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
        if section not in settings.section_keys():
            known = ", ".join(f"[{s}]" for s in [*settings.section_keys(), "tags"])
            raise UsageError(f"{source}: unknown section [{section}]: use one of {known}")
        if not isinstance(values, dict):
            raise UsageError(f"{source}: {section} must be a table ([{section}])")
        for key, value in values.items():
            expected = settings.section_keys()[section].get(key)
            if expected is None:
                known = ", ".join(settings.section_keys()[section])
                raise UsageError(f"{source}: unknown key [{section}] {key}: use one of {known}")
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise UsageError(
                    f"{source}: [{section}] {key} = {value!r} must be a {expected.__name__}"
                )
            _check_choice(f"{source}: [{section}] {key} = {value!r}", section, key, value)


def _check_choice(label: str, section: str, key: str, value: Any) -> None:
    choices = settings.choices(section, key)
    if choices and not (isinstance(value, str) and value.strip().lower() in {c.lower() for c in choices}):
        raise UsageError(f"{label} is not one of {', '.join(choices)}: use one of them")


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for alias, (section, key) in settings.ENV_ALIASES.items():
        if alias in environ and settings.env_name(section, key) not in environ:
            overrides.setdefault(section, {})[key] = _parse_env_value(alias, environ[alias], settings.section_keys()[section][key])
            _check_choice(f"{alias}={environ[alias]!r}", section, key, overrides[section][key])
    for name, text in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in settings.ENV_ALIASES:
            continue
        rest = name[len(ENV_PREFIX):]
        if rest.startswith("TAGS_") and len(rest) > 5:
            # Environment names are upper case by convention; tag keys are taken lower case.
            overrides.setdefault("tags", {})[rest[5:].lower()] = text
            continue
        section, _, key = rest.partition("_")
        section, key = section.lower(), key.lower()
        if section not in settings.section_keys():
            continue  # other EKSIAM_* variables (e.g. EKSIAM_OPA_TOKEN) are not config
        expected = settings.section_keys()[section].get(key)
        if expected is None:
            known = ", ".join(f"{ENV_PREFIX}{section.upper()}_{k.upper()}" for k in settings.section_keys()[section])
            raise UsageError(f"unknown setting {name}: use one of {known}")
        overrides.setdefault(section, {})[key] = _parse_env_value(name, text, expected)
        _check_choice(f"{name}={text!r}", section, key, overrides[section][key])
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
    backend = backend_from_mapping(raw.get("backend", {}), source)
    props: dict[str, Any] = {}
    for section, props_type in (("connector", EksConnectorAgentRoleProps), ("node", EksNodeRoleProps)):
        values = raw.get(section, {})
        kwargs = _props_kwargs(section, values, source)
        try:
            props[section] = props_type(**kwargs, tags=tags)
        except UsageError as error:
            # Name the setting as the user wrote it, not as the props call it.
            message = str(error)
            for toml_key in settings.section_keys()[section]:
                message = message.replace(f"{props_type.__name__}.{_RENAMED.get(toml_key, toml_key)}", f"[{section}] {toml_key}")
            message = message.replace(f"{props_type.__name__}.tags", "[tags]")
            raise UsageError(f"{source}: {message}") from None
    gate_fields = {f.name for f in dataclasses.fields(GateSettings)}
    try:
        gate = GateSettings(**{k: v for k, v in raw.get("gate", {}).items() if k in gate_fields})
    except UsageError as error:
        raise UsageError(f"{source}: {error}") from None
    return Config(
        gate=gate,
        connector=props["connector"],
        node=props["node"],
        connector_enabled=raw.get("connector", {}).get("enabled", True),
        node_enabled=raw.get("node", {}).get("enabled", True),
        tags=tags,
        backend=backend,
        source=source,
        values={section: dict(keys) for section, keys in raw.items() if section in settings.section_keys()},
    )
