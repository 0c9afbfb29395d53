"""The file checkov reads: a copy of the input, shaped so checkov reads what the gate judges.

* Named as checkov's runners need (``*.tf.json`` for terraform_json), whatever the input is
  called: the gate recognizes inputs by content, never by name.
* Without top-level ``import`` blocks, which checkov cannot parse: the gate judges the desired
  configuration, and an import only adopts an existing role into it.
* In Terraform JSON's object form: the resource section, each type and each body may also be
  arrays of objects, which Terraform accepts and checkov does not read.
* With the resources in ``[gate] checkov_scope``: by default (``eks``) the EKS roles OPA
  identified and the resources that attach permissions to them, so checkov's IAM checks never
  fail an EKS gate on a role that is no EKS role (a break-glass role beside the node role);
  ``iam`` keeps every IAM resource (``aws_iam_*``), ``all`` the whole input.
* For an HCP Terraform policy input, the plan inside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError
from eksiam.gate.inputs import InputKind, detect_kind
from eksiam.gate.terraform import without_imports

SCOPES = ("eks", "iam", "all")
COMMENT = "//"  # Terraform's JSON syntax allows a comment under this key at any level
IAM_PREFIX = "aws_iam_"


@dataclass(frozen=True)
class Scope:
    """Which resources of an input checkov is given: ``name`` is one of :data:`SCOPES`;
    ``eks_addresses`` the EKS roles and their linking resources OPA found (scope ``eks``)."""

    name: str
    eks_addresses: frozenset[str] = frozenset()

    @classmethod
    def of(cls, name: str, identity: Mapping[str, Any] | None) -> "Scope":
        # Without OPA's identity (checkov run on a file alone) every IAM resource is in scope.
        if name != "eks" or identity is None:
            return cls("iam" if name == "eks" else name)
        roles = identity.get("roles") or {}
        links = identity.get("links") or {}
        return cls(name, frozenset(map(str, [*roles, *links])))

    def holds(self, resource_type: Any, address: Any) -> bool:
        if self.name == "all":
            return True
        if not (isinstance(resource_type, str) and resource_type.startswith(IAM_PREFIX)):
            return False
        return self.name == "iam" or _unkeyed(address) in {_unkeyed(a) for a in self.eks_addresses}


def _unkeyed(address: Any) -> str:
    """``module.m[0].aws_iam_role.r["a"]`` -> ``module.m.aws_iam_role.r``: a synth file's resources have no instance keys."""
    return re.sub(r"\[[^\]]*\]", "", address) if isinstance(address, str) else ""


def write_target(source: Path, text: str, plan_framework: bool, scope: Scope, scratch: Path) -> tuple[Path, bool]:
    """Write checkov's copy of ``source`` into ``scratch``; return it and whether it holds any resource."""
    try:
        data = json.loads(text)
    except ValueError:
        raise UsageError(f"{source} is not JSON: pass a cdk.tf.json or the output of `terraform show -json`") from None
    if not isinstance(data, dict):
        raise UsageError(f"{source} is not a JSON object: pass a cdk.tf.json or the output of `terraform show -json`")
    if plan_framework:
        if detect_kind(data) is InputKind.HCP:  # the gate's one classification (policy/lib/kind.rego)
            data = data["plan"]
        shaped = _plan(data, scope)
        target = scratch / "plan.json"
        has_resources = bool(shaped.get("resource_changes") or _module_resources(shaped.get("planned_values", {}).get("root_module", {})))
    else:
        shaped = _synth(data, scope)
        target = scratch / "cdk.tf.json"
        has_resources = bool(shaped.get("resource"))
    target.write_text(json.dumps(shaped), encoding="utf-8")
    return target, has_resources


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _synth(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    shaped: dict[str, Any] = without_imports(data)
    resources: dict[str, dict[str, Any]] = {}
    for section in _objects(data.get("resource")):
        for resource_type, blocks in section.items():
            if resource_type == COMMENT:
                continue
            for named in _objects(blocks):
                for name, body in named.items():
                    if name == COMMENT or not scope.holds(resource_type, f"{resource_type}.{name}"):
                        continue
                    bodies = _objects(body)
                    # One body per name (Terraform rejects two); a list of one is its object form.
                    resources.setdefault(resource_type, {})[name] = bodies[0] if len(bodies) == 1 else body
    shaped["resource"] = resources
    if not resources:
        del shaped["resource"]
    return shaped


def _plan(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    shaped = dict(data)
    if isinstance(data.get("resource_changes"), list):
        shaped["resource_changes"] = [rc for rc in data["resource_changes"] if isinstance(rc, dict) and scope.holds(rc.get("type"), rc.get("address"))]
    # The configuration names resources relative to their module, and checkov reads it only to
    # resolve references: it keeps every IAM resource.
    configuration_scope = Scope("iam") if scope.name == "eks" else scope
    for key, key_scope in (("planned_values", scope), ("configuration", configuration_scope)):
        if isinstance(data.get(key), dict) and isinstance(data[key].get("root_module"), dict):
            shaped[key] = {**data[key], "root_module": _filter_module(data[key]["root_module"], key_scope)}
    return shaped


def _filter_module(module: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """A module tree (planned_values or configuration) keeping only in-scope resources."""
    filtered = dict(module)
    if isinstance(module.get("resources"), list):
        filtered["resources"] = [r for r in module["resources"] if isinstance(r, dict) and scope.holds(r.get("type"), r.get("address"))]
    if isinstance(module.get("child_modules"), list):
        filtered["child_modules"] = [_filter_module(m, scope) for m in module["child_modules"] if isinstance(m, dict)]
    if isinstance(module.get("module_calls"), dict):
        filtered["module_calls"] = {
            name: {**call, "module": _filter_module(call["module"], scope)} if isinstance(call, dict) and isinstance(call.get("module"), dict) else call
            for name, call in module["module_calls"].items()
        }
    return filtered


def _module_resources(module: Any) -> list[Any]:
    if not isinstance(module, dict):
        return []
    children = [r for child in module.get("child_modules") or [] for r in _module_resources(child)]
    return [*(module.get("resources") or []), *children]
