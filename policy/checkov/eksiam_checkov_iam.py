"""IAM's rules as the CKV_EKSIAM checks apply them: the AWS pages' facts (from their one
source, policy/facts/eks_roles.json), policy documents in every form a configuration carries
them, partition-independent ARNs and the trust a role kind's page documents.

Nothing here knows checkov's configuration shapes (eksiam_checkov_lib.py reads those). This
module defines no check (checkov executes it like the check files and finds none).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

def _load_facts() -> dict[str, Any]:
    """The AWS pages' facts, from their one source: policy/facts/eks_roles.json beside this
    directory, else (the checks copied elsewhere) the installed eksiam package's copy."""
    beside = Path(__file__).resolve().parent.parent / "facts" / "eks_roles.json"
    if beside.is_file():
        loaded: dict[str, Any] = json.loads(beside.read_text(encoding="utf-8"))
        return loaded
    from eksiam.facts import facts

    return facts()


FACTS = _load_facts()
NODE_KINDS = ("node", "auto-node")
SSM_MANAGED_INSTANCE_CORE = FACTS["role_kinds"]["node"]["opt_in_policies"]["ssm-core"]
# The AWS-managed policies a node role of either kind may carry: its pages' documented ones and
# AmazonSSMManagedInstanceCore (which OPA's EKSIAM-NODE-005 reports, LOW, where undeclared).
NODE_MANAGED_POLICIES = frozenset(
    {name for kind in NODE_KINDS for name in FACTS["role_kinds"][kind]["documented_policies"] if name in FACTS["managed_policies"]}
    | {SSM_MANAGED_INSTANCE_CORE}
)
FORBIDDEN_MANAGED_POLICIES = frozenset(name.lower() for name in FACTS["admin_policies"])
CONNECTOR_ACTIONS = frozenset(
    action.lower()
    for statement in FACTS["customer_policies"]["AmazonEKSConnectorAgentPolicy"]["document"]["Statement"]
    for action in statement["Action"]
)
CONTROL_CHANNEL_ACTION = "ssmmessages:createcontrolchannel"


def service_principals(kind: str) -> frozenset[str]:
    """The service a role kind's trust names, in every partition's form."""
    service = FACTS["role_kinds"][kind]["trust_service"]
    return frozenset(partition["services"][service] for partition in FACTS["partitions"].values())


class Unreadable(ValueError):
    """A policy document the check cannot read, so it cannot prove the resource compliant."""


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


# --- policy documents and ARNs ------------------------------------------------------------


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


# --- trust ----------------------------------------------------------------------------------


def trust_problems(assume_role_policy: Any, kind: str) -> list[str]:
    """Why the role's trust policy is not exactly ``service`` with ``sts:AssumeRole``.

    Allow statements must each name exactly that service as the only principal and
    ``sts:AssumeRole`` as the only action; Deny statements and conditions only narrow the
    trust and are accepted.
    """
    accepted = service_principals(kind)
    service = FACTS["partitions"]["aws"]["services"][FACTS["role_kinds"][kind]["trust_service"]]
    doc = parse_document(assume_role_policy)
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
            if len(services) != 1 or services[0] not in accepted:
                problems.append(f"its trust policy trusts the services {', '.join(services)} instead of only {service}")
        actions = sorted({str(a) for a in as_list(statement.get("Action"))})
        allowed = {"sts:assumerole"} | {a.lower() for a in FACTS["role_kinds"][kind].get("trust_extra_actions", {})}
        if "sts:assumerole" not in {a.lower() for a in actions} or not {a.lower() for a in actions} <= allowed:
            problems.append(f"its trust policy allows the actions {', '.join(actions) or 'none'} instead of only sts:AssumeRole")
    return problems
