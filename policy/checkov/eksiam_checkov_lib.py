"""Shared vocabulary of the CKV_EKSIAM_* checks: reading checkov's resource configurations in
both shapes it hands to a check, telling which EKS role a resource belongs to, and IAM's
policy-document and ARN rules.

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
from typing import Any
from urllib.parse import unquote

from checkov.common.bridgecrew.severities import Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

CONNECTOR = "connector"
NODE = "node"
ROLE_KIND_TAG = "eksiam:role"

# Role identity, from strongest to weakest evidence: the tag the constructs set (it survives any
# tampering with the policies), the construct's resource name, the configured role name.
ROLE_RESOURCE_NAMES = {"connector_agent_role": CONNECTOR, "node_role": NODE}
ADDRESS_PREFIXES = (("connector_", CONNECTOR), ("node_", NODE))
ROLE_NAME_ENV = {
    CONNECTOR: ("EKSIAM_CHECKOV_CONNECTOR_ROLE_NAME", "AmazonEKSConnectorAgentRole"),
    NODE: ("EKSIAM_CHECKOV_NODE_ROLE_NAME", "NodeInstanceRole"),
}
EXTRA_POLICY_ARNS_ENV = "EKSIAM_CHECKOV_EXTRA_POLICY_ARNS"
ALLOW_IPV6_CNI_ENV = "EKSIAM_CHECKOV_ALLOW_IPV6_CNI"
ALLOW_SSM_CORE_ENV = "EKSIAM_CHECKOV_ALLOW_SSM_MANAGED_INSTANCE_CORE"

CONNECTOR_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/connector-iam-role.html"
NODE_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"

# The partitions an EKS role lives in, or a Terraform partition look-up standing for whichever
# applies: `${data.aws_partition.X.partition}` as synthesized, or the same reference with the
# interpolation markers stripped, as checkov's variable rendering sometimes leaves it.
_PARTITION = (
    r"(?:aws|aws-cn|aws-us-gov"
    r"|\$\{data\.aws_partition\.[A-Za-z0-9_-]+\.partition\}"
    r"|data\.aws_partition\.[A-Za-z0-9_-]+\.partition)"
)
_ARN = re.compile(rf"^arn:{_PARTITION}:(?P<rest>.+)$")
_AWS_MANAGED = re.compile(rf"^arn:{_PARTITION}:iam::aws:policy/(?P<name>[\w+=,.@/-]+)$")
# CreateControlChannel's documented resource is arn:<partition>:eks:*:*:cluster/*; a
# narrower region, account or cluster is accepted too.
_CLUSTER_ARN = re.compile(
    rf"^arn:(?:{_PARTITION}|\*):eks:(?:\*|[a-z0-9-]+):(?:\*|\d{{12}}):cluster/(?:\*|[A-Za-z0-9][A-Za-z0-9_-]*)$"
)
# A managed resource, possibly inside a module (module.x.aws_iam_role.y…), never a data source.
_ROLE_REFERENCE = re.compile(r"(?:^|\$\{|(?<!\bdata)\.)aws_iam_role\.(?P<name>[A-Za-z0-9_-]+)\.(?:name|id|arn|unique_id)\}?$")
_POLICY_REFERENCE = re.compile(r"(?:^|\$\{|(?<!\bdata)\.)aws_iam_policy\.(?P<name>[A-Za-z0-9_-]+)\.arn\}?$")

NODE_MANAGED_POLICIES = frozenset(
    {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
    }
)
SSM_MANAGED_INSTANCE_CORE = "AmazonSSMManagedInstanceCore"
FORBIDDEN_MANAGED_POLICIES = frozenset({"administratoraccess", "iamfullaccess", "poweruseraccess"})

CONNECTOR_ACTIONS = frozenset(
    {
        "ssmmessages:createcontrolchannel",
        "ssmmessages:createdatachannel",
        "ssmmessages:opendatachannel",
        "ssmmessages:opencontrolchannel",
    }
)
CONTROL_CHANNEL_ACTION = "ssmmessages:createcontrolchannel"


class Unreadable(ValueError):
    """A policy document the check cannot read, so it cannot prove the resource compliant."""


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


def configured_role_name(kind: str) -> str:
    env, default = ROLE_NAME_ENV[kind]
    return os.environ.get(env) or default


def kind_from_role_name(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    for kind in (CONNECTOR, NODE):
        if name == configured_role_name(kind):
            return kind
    return None


def role_kind(conf: dict[str, Any], resource_name: str) -> str | None:
    """connector, node or None for an ``aws_iam_role``: tag, then resource name, then role name."""
    for key in ("tags", "tags_all"):
        tag = strip_markers(value(conf, key)).get(ROLE_KIND_TAG)
        if tag in (CONNECTOR, NODE):
            return tag
    if resource_name in ROLE_RESOURCE_NAMES:
        return ROLE_RESOURCE_NAMES[resource_name]
    return kind_from_role_name(value(conf, "name"))


def referenced_role(conf: dict[str, Any]) -> str | None:
    """The resource name of the ``aws_iam_role`` that ``conf``'s ``role`` refers to, if known."""
    candidates = [value(conf, "role"), *references(conf)]
    for candidate in candidates:
        if isinstance(candidate, str):
            match = _ROLE_REFERENCE.search(candidate.strip())
            if match:
                return match.group("name")
    return None


def dependent_kind(conf: dict[str, Any], resource_name: str) -> str | None:
    """connector, node or None for a resource that points at a role (attachment, inline policy).

    A check sees one resource at a time, not the role's tags, so: the referenced role's resource
    name (``aws_iam_role.node_role``), else this resource's own name prefix (the constructs name
    them ``node_…`` / ``connector_…``), else the ``role`` value equal to a configured role name.
    """
    role = referenced_role(conf)
    if role in ROLE_RESOURCE_NAMES:
        return ROLE_RESOURCE_NAMES[role]
    for prefix, kind in ADDRESS_PREFIXES:
        if resource_name.startswith(prefix):
            return kind
    return kind_from_role_name(value(conf, "role"))


# --- IAM documents and ARNs -------------------------------------------------------------


def as_list(item: Any) -> list[Any]:
    if item is None:
        return []
    return list(item) if isinstance(item, (list, tuple)) else [item]


def parse_document(doc: Any) -> dict[str, Any]:
    """A policy document from an object, a JSON string or a URL-encoded JSON string."""
    if isinstance(doc, dict):
        return doc
    if isinstance(doc, str):
        text = doc.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        try:
            parsed = json.loads(text)
        except ValueError:
            raise Unreadable("its policy document is not literal JSON (an expression the check cannot evaluate)") from None
        if isinstance(parsed, dict):
            return parsed
    raise Unreadable("it has no readable policy document")


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = as_list(doc.get("Statement"))
    if not found or not all(isinstance(statement, dict) for statement in found):
        raise Unreadable("its policy document has no statements")
    return found


def canonical_arn(arn: str) -> str:
    """The ARN with any partition (or partition look-up) replaced by one placeholder."""
    match = _ARN.match(arn.strip())
    return f"arn:<partition>:{match.group('rest')}" if match else arn.strip()


def aws_managed_policy_name(arn: Any) -> str | None:
    """``AmazonEKS_CNI_Policy`` for ``arn:<partition>:iam::aws:policy/AmazonEKS_CNI_Policy``."""
    if not isinstance(arn, str):
        return None
    match = _AWS_MANAGED.match(arn.strip())
    return match.group("name") if match else None


def is_cluster_arn(resource: Any) -> bool:
    return isinstance(resource, str) and bool(_CLUSTER_ARN.match(resource.strip()))


def referenced_policy(conf: dict[str, Any]) -> str | None:
    """The resource name of the ``aws_iam_policy`` whose ARN ``policy_arn`` refers to."""
    for candidate in [value(conf, "policy_arn"), *references(conf)]:
        if isinstance(candidate, str):
            match = _POLICY_REFERENCE.search(candidate.strip())
            if match:
                return match.group("name")
    return None


def extra_policy_arns() -> frozenset[str]:
    raw = os.environ.get(EXTRA_POLICY_ARNS_ENV, "")
    return frozenset(canonical_arn(arn) for arn in raw.split(",") if arn.strip())


def _enabled(env: str) -> bool:
    return os.environ.get(env, "").strip().lower() in ("1", "true", "yes")


def ipv6_cni_allowed() -> bool:
    return _enabled(ALLOW_IPV6_CNI_ENV)


def ssm_core_allowed() -> bool:
    return _enabled(ALLOW_SSM_CORE_ENV)


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

    def resource_name(self, conf: dict[str, Any]) -> str:
        address = conf.get("__address__")
        if isinstance(address, str) and address:
            return re.sub(r"\[[^\]]*\]$", "", address).rsplit(".", 1)[-1]
        return self.entity_path.rsplit(":", 1)[-1]

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        try:
            problems = self.evaluate(conf, self.entity_type, self.resource_name(conf))
        except Unreadable as error:
            problems = [f"cannot be verified: {error}"]
        if problems is None:
            return CheckResult.UNKNOWN
        self.details.extend(problems)
        return CheckResult.FAILED if problems else CheckResult.PASSED

    def evaluate(self, conf: dict[str, Any], entity_type: str, name: str) -> list[str] | None:
        raise NotImplementedError


def trust_problems(conf: dict[str, Any], service: str) -> list[str]:
    """Why the role's trust policy is not exactly ``service`` with ``sts:AssumeRole``.

    Allow statements must each name exactly that service as the only principal and
    ``sts:AssumeRole`` as the only action; Deny statements and conditions only narrow the
    trust and are accepted.
    """
    doc = parse_document(value(conf, "assume_role_policy"))
    problems: list[str] = []
    allows = [s for s in statements(doc) if s.get("Effect") == "Allow"]
    if not allows:
        return [f"its trust policy allows nothing: it must allow {service} to sts:AssumeRole"]
    for statement in allows:
        for key in ("NotPrincipal", "NotAction"):
            if key in statement:
                problems.append(f"its trust policy uses {key}, which trusts more than {service}")
        principal = statement.get("Principal")
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            problems.append(f"its trust policy trusts {json.dumps(principal)} instead of only the service {service}")
        else:
            services = sorted({str(s) for s in as_list(principal["Service"])})
            if services != [service]:
                problems.append(f"its trust policy trusts the services {', '.join(services)} instead of only {service}")
        actions = sorted({str(a) for a in as_list(statement.get("Action"))})
        if {a.lower() for a in actions} != {"sts:assumerole"}:
            problems.append(f"its trust policy allows the actions {', '.join(actions) or 'none'} instead of only sts:AssumeRole")
    return problems
