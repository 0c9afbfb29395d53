"""What the AWS pages say about each EKS role kind, read from the one source of those facts:
``policy/facts/eks_roles.json`` (shipped in the wheel as ``eksiam.policy``).

The Rego rules read the same file as ``policy/lib/facts.rego``, generated from it by
``python -m eksiam.generated`` (an HCP Terraform policy set cannot upload JSON data); the
checkov checks read the JSON itself. Nothing else spells a documented policy, principal or
action.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

_CHECKOUT_POLICY_DIR = Path(__file__).resolve().parents[1] / "policy"
FACTS_FILE = Path("facts") / "eks_roles.json"


def policy_dir() -> Path:
    """``policy/`` of a source checkout (this package beside it), else the wheel's ``eksiam.policy``."""
    if (_CHECKOUT_POLICY_DIR / "main.rego").is_file() and (_CHECKOUT_POLICY_DIR.parent / "pyproject.toml").is_file():
        return _CHECKOUT_POLICY_DIR
    return Path(str(files("eksiam.policy")))


@cache
def facts() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((policy_dir() / FACTS_FILE).read_text(encoding="utf-8"))
    return loaded


def service_principal(service: str, partition: str = "aws") -> str:
    """The service principal of ``service`` (ec2, ssm, eks, …) in ``partition``."""
    principal: str = facts()["partitions"][partition]["services"][service]
    return principal


def policy_document(name: str) -> dict[str, Any]:
    """The document of a documented policy (AWS-managed, or one the pages publish to copy)."""
    for table in ("managed_policies", "customer_policies"):
        if name in facts()[table]:
            document: dict[str, Any] = facts()[table][name]["document"]
            return document
    raise KeyError(name)


def rego_module() -> str:
    """``policy/lib/facts.rego``: the facts as Rego data."""
    body = json.dumps(facts(), indent="\t", sort_keys=True, ensure_ascii=False)
    return (
        f"# Generated from policy/{FACTS_FILE.as_posix()} by `python -m eksiam.generated`: do not edit.\n"
        "# What the AWS pages say about each EKS role kind (policy/facts/README.md).\n"
        "package eksiam.lib.facts\n\n"
        "import rego.v1\n\n"
        f"facts := {body}\n"
    )
