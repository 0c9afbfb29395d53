"""The file checkov reads: a copy of the input, shaped so checkov reads what the gate judges.

* Named as checkov's runners need (``*.tf.json`` for terraform_json), whatever the input is
  called: the gate recognizes inputs by content, never by name.
* Without top-level ``import`` blocks, which checkov cannot parse: the gate judges the desired
  configuration, and an import only adopts an existing role into it.
* In Terraform JSON's object form: the resource section, each type and each body may also be
  arrays of objects, which Terraform accepts and checkov does not read.
* With the IAM resources only (``aws_iam_*``) unless the scope is ``all``: this is an IAM gate,
  and checkov's checks on other resources (a launch template's metadata options) are not its
  business. The custom checks only look at IAM resources anyway.
* For an HCP Terraform policy input, the plan inside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError
from eksiam.gate.inputs import InputKind, detect_kind

SCOPES = ("iam", "all")
COMMENT = "//"  # Terraform's JSON syntax allows a comment under this key at any level
IAM_PREFIX = "aws_iam_"


def write_target(source: Path, text: str, plan_framework: bool, scope: str, scratch: Path) -> tuple[Path, bool]:
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


def _in_scope(resource_type: Any, scope: str) -> bool:
    return scope == "all" or (isinstance(resource_type, str) and resource_type.startswith(IAM_PREFIX))


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _synth(data: dict[str, Any], scope: str) -> dict[str, Any]:
    shaped = {key: value for key, value in data.items() if key != "import"}
    resources: dict[str, dict[str, Any]] = {}
    for section in _objects(data.get("resource")):
        for resource_type, blocks in section.items():
            if resource_type == COMMENT or not _in_scope(resource_type, scope):
                continue
            for named in _objects(blocks):
                for name, body in named.items():
                    if name == COMMENT:
                        continue
                    bodies = _objects(body)
                    # One body per name (Terraform rejects two); a list of one is its object form.
                    resources.setdefault(resource_type, {})[name] = bodies[0] if len(bodies) == 1 else body
    shaped["resource"] = resources
    if not resources:
        del shaped["resource"]
    return shaped


def _plan(data: dict[str, Any], scope: str) -> dict[str, Any]:
    shaped = dict(data)
    if isinstance(data.get("resource_changes"), list):
        shaped["resource_changes"] = [rc for rc in data["resource_changes"] if isinstance(rc, dict) and _in_scope(rc.get("type"), scope)]
    for key, path in (("planned_values", ("root_module",)), ("configuration", ("root_module",))):
        if isinstance(data.get(key), dict) and isinstance(data[key].get(path[0]), dict):
            shaped[key] = {**data[key], path[0]: _filter_module(data[key][path[0]], scope)}
    return shaped


def _filter_module(module: dict[str, Any], scope: str) -> dict[str, Any]:
    """A module tree (planned_values or configuration) keeping only in-scope resources."""
    filtered = dict(module)
    if isinstance(module.get("resources"), list):
        filtered["resources"] = [r for r in module["resources"] if isinstance(r, dict) and _in_scope(r.get("type"), scope)]
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
