"""Many stacks planned by one terraform run, and each stack's plan taken back out of it.

Planning a stack on its own loads the AWS provider's schema twice (``plan``, then ``show``):
some 4 s of CPU a stack, and the mutation corpus has dozens. Here every stack becomes a module
of one root configuration whose outputs re-export the stack's own, so one init, one plan and
one show cover them all; :func:`stack_plan` then lays out one module's part as
``terraform show -json`` lays out the plan of that stack alone. test_mutations_plan.py checks
that against stacks planned on their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OUTPUT_SEPARATOR = "__"


def module_name(index: int) -> str:
    return f"stack{index}"


class NotPlannableTogether(ValueError):
    """A stack whose plan alone would differ from its part of the plan together."""


def write_root(root: Path, stacks: Mapping[str, dict], override: dict) -> dict[str, str]:
    """A root module calling each stack; name -> its module's name.

    One provider configuration serves every module: the root's, which is ``override`` (the
    gate's plan override). Each provider configuration starts a provider process of its own,
    a second apiece, so the stacks' own (empty) ``aws`` blocks are left out; a stack with
    anything in them, or requiring other providers, is refused: planned alone, it would be
    configured otherwise.
    """
    modules: dict[str, str] = {}
    calls: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    required: list[Any] = []
    for index, (name, stack) in enumerate(stacks.items()):
        if stack.get("provider") != {"aws": [{}]}:
            raise NotPlannableTogether(f"{name} configures its provider: plan it on its own")
        required.append(stack.get("terraform", {}).get("required_providers"))
        if required[0] != required[-1]:
            raise NotPlannableTogether(f"{name} requires other providers than {next(iter(stacks))}: plan it on its own")
        module = modules[name] = module_name(index)
        directory = root / module
        directory.mkdir(parents=True)
        (directory / "cdk.tf.json").write_text(json.dumps({k: v for k, v in stack.items() if k != "provider"}))
        calls[module] = {"source": f"./{module}"}
        for output, block in (stack.get("output") or {}).items():
            outputs[f"{module}{OUTPUT_SEPARATOR}{output}"] = {
                "value": f"${{module.{module}.{output}}}",
                "sensitive": bool(block.get("sensitive", False)),
            }
    main = {
        "terraform": {"required_providers": required[0] or {}},
        "provider": override["provider"],
        "module": calls,
        **({"output": outputs} if outputs else {}),
    }
    (root / "main.tf.json").write_text(json.dumps(main))
    return modules


def stack_plan(combined: Mapping[str, Any], module: str) -> dict[str, Any]:
    """The part of ``combined`` (``show -json`` of the root) that is ``module``, as its own plan."""
    address = f"module.{module}"
    prefix = address + "."
    output_prefix = module + OUTPUT_SEPARATOR

    def local(value: str) -> str:
        assert value.startswith(prefix), value
        return value[len(prefix):]

    def resources(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "address": local(r["address"])} for r in listed]

    def module_values(values: Mapping[str, Any]) -> dict[str, Any]:
        found = [m for m in values.get("root_module", {}).get("child_modules", []) if m.get("address") == address]
        part: dict[str, Any] = {}
        outputs = {k[len(output_prefix):]: v for k, v in values.get("outputs", {}).items() if k.startswith(output_prefix)}
        if outputs:
            part["outputs"] = outputs
        part["root_module"] = {"resources": resources(found[0]["resources"])} if found and found[0].get("resources") else {}
        return part

    plan: dict[str, Any] = {key: value for key, value in combined.items() if key not in (
        "planned_values", "resource_changes", "output_changes", "prior_state", "configuration", "relevant_attributes",
    )}
    plan["planned_values"] = module_values(combined.get("planned_values", {}))
    changes = [
        {**{k: v for k, v in change.items() if k != "module_address"}, "address": local(change["address"])}
        for change in combined.get("resource_changes", [])
        if change.get("module_address") == address
    ]
    if changes:
        plan["resource_changes"] = changes
    output_changes = {
        name[len(output_prefix):]: change
        for name, change in combined.get("output_changes", {}).items()
        if name.startswith(output_prefix)
    }
    if output_changes:
        plan["output_changes"] = output_changes
    if "prior_state" in combined:
        prior = combined["prior_state"]
        plan["prior_state"] = {**prior, "values": module_values(prior.get("values", {}))}
    configuration = combined.get("configuration", {})
    plan["configuration"] = {
        "provider_config": configuration.get("provider_config", {}),  # the root's, the one all modules use
        "root_module": configuration["root_module"]["module_calls"][module]["module"],
    }
    relevant = [
        {**attribute, "resource": local(attribute["resource"])}
        for attribute in combined.get("relevant_attributes", [])
        if attribute["resource"].startswith(prefix)
    ]
    if relevant:
        plan["relevant_attributes"] = relevant
    return plan
