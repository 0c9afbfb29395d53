"""Shared vocabulary of the CKV_EKSIAM_* checks: reading checkov's resource configurations in
both shapes it hands to a check, telling which EKS role a resource belongs to (the gate's
hand-off, else tags, addresses and names), and the base class of every check. IAM's own rules
are in eksiam_checkov_iam.py.

Two shapes reach a check:

- framework ``terraform_json`` (a synthesized ``cdk.tf.json``): every attribute wrapped in a
  one-element list, policy documents as JSON strings, references left as
  ``${aws_iam_role.node_role.name}`` and the partition as ``${data.aws_partition.X.partition}``;
- framework ``terraform_plan`` (``terraform show -json``): values resolved (partition ``aws``),
  policy documents parsed into objects, and attributes unknown until apply (an inline policy's
  ``role``, an attachment's ``policy_arn`` that points at a policy created alongside) left out;
  checkov adds ``__address__`` and ``references_`` (every reference of the resource's
  configuration, flattened), which is how the role of such a resource is still known.

This module defines no check (checkov executes it like the check files and finds none).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from checkov.common.bridgecrew.severities import Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from eksiam_checkov_iam import FACTS, NODE_KINDS, Unreadable, canonical_arn

CONNECTOR = "connector"
NODE = "node"
ROLE_KIND_TAG = "eksiam:role"

# Role identity, from strongest to weakest evidence: the tag the constructs set (it survives any
# tampering with the policies), the construct's resource name, the configured role name.
ROLE_RESOURCE_NAMES = {"connector_agent_role": CONNECTOR, "node_role": NODE}
ADDRESS_PREFIXES = (("connector_", CONNECTOR), ("node_", NODE))
# The settings the Rego rules read (data.eksiam.config), as JSON: the gate passes the run's
# configuration here (eksiam/settings.py declares them). checkov run by hand gets the defaults.
SETTINGS_ENV = "EKSIAM_CHECKOV_SETTINGS"
# The gate's hand-off for this checkov run (policy/schema/checkov_handoff.json): for each file
# checkov reads, OPA's identity of its roles — which resources are EKS roles, which role each
# linking resource belongs to, and what each node role's allowlist accepts. With it the checks
# judge exactly the roles the Rego rules judge; without it (checkov run by hand), or for a file
# the gate gives no identity, they fall back to the tag, the addresses and the names.
IDENTITY_ENV = "EKSIAM_CHECKOV_IDENTITY"

CONNECTOR_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/connector-iam-role.html"
NODE_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"

# A managed resource, possibly inside a module (module.x.aws_iam_role.y…), never a data source.
# `aws_iam_role.x.name`, `${aws_iam_role.x.arn}`, `module.m.aws_iam_role.x[0].arn` (instance keys allowed).
_ROLE_REFERENCE = re.compile(r"(?:^|\$\{|(?<!\bdata)\.)aws_iam_role\.(?P<name>[A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.(?:name|id|arn|unique_id)\}?$")
_POLICY_REFERENCE = re.compile(r"(?:^|\$\{|(?<!\bdata)\.)aws_iam_policy\.(?P<name>[A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.arn\}?$")



# --- checkov's configuration shapes ---------------------------------------------------


def value(conf: dict[str, Any], key: str) -> Any:
    """The attribute's value without checkov's one-element list wrapper (None when absent)."""
    raw = conf.get(key)
    while isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    return raw


def values(conf: dict[str, Any], key: str) -> list[Any]:
    """A list-valued attribute (``managed_policy_arns``, ``inline_policy`` blocks) as a flat list."""
    raw = conf.get(key)
    if raw is None:
        return []
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], list):
        raw = raw[0]
    return [item for item in (raw if isinstance(raw, list) else [raw]) if item not in (None, "")]


def strip_markers(mapping: Any) -> dict[str, Any]:
    """A tags map without checkov's ``__startline__``-style bookkeeping keys."""
    if not isinstance(mapping, dict):
        return {}
    return {k: value({k: v}, k) for k, v in mapping.items() if not (k.startswith("__") or k in ("start_line", "end_line"))}


def references(conf: dict[str, Any]) -> list[str]:
    """Every reference the resource's configuration makes (plan framework only)."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            for sub in item:
                walk(sub)

    walk(conf.get("references_") or [])
    return found


# --- which role -------------------------------------------------------------------------

HANDOFF_VERSION = 1
_handoffs: dict[str, list[dict[str, Any]]] = {}
# Each file's identity, by hand-off and checkov's name for the file.
_identities: dict[tuple[str, str], dict[str, Any] | None] = {}
# The file the check being run is reading, as checkov names it to the check (set by
# EksiamCheck.run before each evaluation; checkov evaluates one resource at a time in a process).
_current_file = {"path": ""}


def _handoff(path: str) -> list[dict[str, Any]]:
    """The hand-off's entries, one per file of this checkov run."""
    if path not in _handoffs:
        # A file the gate wrote for this run; unreadable is a fault, never a silent fallback.
        with open(path, encoding="utf-8") as handle:
            handoff = json.load(handle)
        if not isinstance(handoff, dict) or handoff.get("version") != HANDOFF_VERSION:
            raise ValueError(f"{path} is not a version {HANDOFF_VERSION} eksiam hand-off: reinstall eksiam")
        _handoffs[path] = list(handoff["files"])
    return _handoffs[path]


def _names(target: str, checkov_name: str) -> bool:
    """Whether checkov's name for a file is ``target``: checkov names a file by its path from a
    root it picks (its working directory, or the common directory of its files), so the name
    ends the target (eksiam.gate.checkov.handoff.HandoffFile.named, of which this is the reader's copy)."""
    name = PurePosixPath(checkov_name).parts
    name = name[1:] if name[:1] == ("/",) else name
    parts = PurePosixPath(target).parts
    return bool(name) and parts[len(parts) - len(name):] == name


def shared_identity() -> dict[str, Any] | None:
    """The gate's identity for the file checkov is reading, or None when it gives none."""
    path = os.environ.get(IDENTITY_ENV)
    if not path:
        return None
    # Looked up once per file: every check on every resource asks, and a run has many files.
    key = (path, _current_file["path"])
    if key not in _identities:
        entries = [entry for entry in _handoff(path) if _names(entry["target"], _current_file["path"])]
        if len(entries) != 1:
            raise ValueError(f"the gate's hand-off names {len(entries)} files {_current_file['path']!r}: reinstall eksiam")
        _identities[key] = entries[0]["identity"]
    return _identities[key]


def short_name(address: str) -> str:
    """``module.m.aws_iam_role.node_role[0]`` -> ``node_role``."""
    return re.sub(r"\[[^\]]*\]$", "", address).rsplit(".", 1)[-1]


def linked_roles(address: str) -> list[dict[str, Any]]:
    """The EKS roles (as the gate identified them) that the resource at ``address`` links to."""
    identity = shared_identity() or {}
    roles = identity.get("roles") or {}
    return [roles[role] for role in (identity.get("links") or {}).get(address, []) if role in roles]


def setting(section: str, key: str) -> Any:
    """A setting as the Rego rules read it: the gate's JSON, else the declared default."""
    value = _settings().get(section, {}).get(key)
    if value is None:
        from eksiam.settings import rules_defaults

        value = rules_defaults()[section][key]
    return value


_SETTINGS_CACHE: dict[str, dict[str, Any]] = {}


def _settings() -> dict[str, Any]:
    raw = os.environ.get(SETTINGS_ENV, "")
    if raw not in _SETTINGS_CACHE:
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            raise Unreadable(f"{SETTINGS_ENV} is not JSON: let the eksiam gate run checkov") from None
        _SETTINGS_CACHE[raw] = parsed if isinstance(parsed, dict) else {}
    return _SETTINGS_CACHE[raw]


def configured_role_name(kind: str) -> str:
    return str(setting(kind, "role_name"))


def kind_from_role_name(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    for kind in (CONNECTOR, NODE):
        if name == configured_role_name(kind):
            return kind
    return None


def role_kind(conf: dict[str, Any], address: str) -> str | None:
    """connector, node or None for an ``aws_iam_role``: the gate's identity when given, else
    tag, then resource name, then role name."""
    identity = shared_identity()
    if identity is not None:
        return _judged_as((identity.get("roles") or {}).get(address, {}).get("kind"))
    resource_name = short_name(address)
    for key in ("tags", "tags_all"):
        tag = strip_markers(value(conf, key)).get(ROLE_KIND_TAG)
        if tag in (CONNECTOR, NODE):
            return tag
    if resource_name in ROLE_RESOURCE_NAMES:
        return ROLE_RESOURCE_NAMES[resource_name]
    return kind_from_role_name(value(conf, "name"))


def identified_kind(address: str) -> str | None:
    """The kind OPA identified the role at ``address`` as (``auto-node`` stays itself)."""
    kind = ((shared_identity() or {}).get("roles") or {}).get(address, {}).get("kind")
    return kind if isinstance(kind, str) and kind in FACTS["role_kinds"] else None


def _judged_as(kind: Any) -> Any:
    """An Auto Mode node role is judged by the node checks (its own documented policies included)."""
    return NODE if kind in NODE_KINDS else kind


def referenced_role(conf: dict[str, Any]) -> str | None:
    """The resource name of the ``aws_iam_role`` that ``conf``'s ``role`` refers to, if known."""
    candidates = [value(conf, "role"), *references(conf)]
    for candidate in candidates:
        if isinstance(candidate, str):
            match = _ROLE_REFERENCE.search(candidate.strip())
            if match:
                return match.group("name")
    return None


def dependent_kinds(conf: dict[str, Any], address: str) -> set[str]:
    """The kinds of the EKS roles a resource points at (attachment, inline policy).

    From the gate's identity when given. Otherwise (a check sees one resource at a time, not
    the role's tags): the referenced role's resource name (``aws_iam_role.node_role``), else
    this resource's own name prefix (the constructs name them ``node_…`` / ``connector_…``),
    else the ``role`` value equal to a configured role name.
    """
    if shared_identity() is not None:
        return {_judged_as(role["kind"]) for role in linked_roles(address)}
    kind = _dependent_kind_by_name(conf, short_name(address))
    return {kind} if kind else set()


def _dependent_kind_by_name(conf: dict[str, Any], resource_name: str) -> str | None:
    role = referenced_role(conf)
    if role in ROLE_RESOURCE_NAMES:
        return ROLE_RESOURCE_NAMES[role]
    for prefix, kind in ADDRESS_PREFIXES:
        if resource_name.startswith(prefix):
            return kind
    return kind_from_role_name(value(conf, "role"))


def referenced_policy(conf: dict[str, Any]) -> str | None:
    """The resource name of the ``aws_iam_policy`` whose ARN ``policy_arn`` refers to."""
    for candidate in [value(conf, "policy_arn"), *references(conf)]:
        if isinstance(candidate, str):
            match = _POLICY_REFERENCE.search(candidate.strip())
            if match:
                return match.group("name")
    return None


def within_by_gate(address: str) -> bool:
    """OPA found the policy this resource attaches within every node role it attaches to."""
    roles = [role for role in linked_roles(address) if role.get("kind") in NODE_KINDS]
    return bool(roles) and all(address in (role.get("within_attachments") or []) for role in roles)


def node_allowances(address: str) -> tuple[frozenset[str], bool, bool]:
    """(extra policy ARNs, SSM core allowed, IPv6 CNI allowed) for the node role(s) that the
    resource at ``address`` attaches to: from the gate's identity (configuration and the role's
    own declaration), else from the environment."""
    if shared_identity() is not None:
        roles = [role for role in linked_roles(address) if role.get("kind") in NODE_KINDS]
        # Allowed only what every node role it attaches to allows.
        extras = [frozenset(canonical_arn(a) for a in role.get("extra_policy_arns") or []) for role in roles]
        return (
            frozenset.intersection(*extras) if extras else frozenset(),
            bool(roles) and all(role.get("ssm_core") for role in roles),
            bool(roles) and all(role.get("ipv6_cni") for role in roles),
        )
    extras = frozenset(canonical_arn(arn) for arn in setting(NODE, "additional_policy_arns"))
    return extras, setting(NODE, "allow_ssm_managed_instance_core") is True, setting(NODE, "allow_ipv6_cni") is True


def policy_arns(conf: dict[str, Any], entity_type: str) -> list[Any]:
    """The managed policy ARNs a resource attaches: one for an attachment, a list for a role."""
    if entity_type == "aws_iam_role":
        return values(conf, "managed_policy_arns")
    arn = value(conf, "policy_arn")
    return [arn]


def inline_policies(conf: dict[str, Any]) -> list[Any]:
    """The ``inline_policy`` blocks of an ``aws_iam_role`` that carry a policy."""
    found = []
    for block in values(conf, "inline_policy"):
        if isinstance(block, dict) and value(block, "policy") not in (None, "", "{}"):
            found.append(block)
    return found


# --- the base class -----------------------------------------------------------------------


class EksiamCheck(BaseResourceCheck):
    """A CKV_EKSIAM check: severity and guideline set, a reason added to the result's details.

    Subclasses implement :meth:`evaluate`, returning None when the resource is not one the check
    is about (checkov then records nothing), or a list of problems (empty: passed).
    """

    severity_name = "HIGH"
    remediation = ""
    doc_url = ""

    def __init__(self, *, id: str, name: str, supported_resources: Iterable[str]) -> None:
        guideline = f"{self.remediation} See {self.doc_url}" if self.doc_url else self.remediation
        super().__init__(
            name=name,
            id=id,
            categories=[CheckCategories.IAM],
            supported_resources=list(supported_resources),
            guideline=guideline,
        )
        self.severity = Severities[self.severity_name]

    def resource_address(self, conf: dict[str, Any]) -> str:
        """The resource's address as Terraform (and the gate's identity) names it."""
        address = conf.get("__address__")
        if isinstance(address, str) and address:
            return address
        return f"{self.entity_type}.{self.entity_path.rsplit(':', 1)[-1]}"

    def run(
        self,
        scanned_file: str,
        entity_configuration: dict[str, Any],
        entity_name: str,
        entity_type: str,
        skip_info: Any,
    ) -> Any:
        # The file as checkov names it: the key of its entry in the gate's hand-off.
        _current_file["path"] = scanned_file
        return super().run(scanned_file, entity_configuration, entity_name, entity_type, skip_info)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        try:
            problems = self.evaluate(conf, self.entity_type, self.resource_address(conf))
        except Unreadable as error:
            problems = [f"cannot be verified: {error}"]
        if problems is None:
            return CheckResult.UNKNOWN
        self.details.extend(problems)
        return CheckResult.FAILED if problems else CheckResult.PASSED

    def evaluate(self, conf: dict[str, Any], entity_type: str, address: str) -> list[str] | None:
        raise NotImplementedError


