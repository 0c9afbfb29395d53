"""Many stacks planned by one terraform run, and each stack's plan taken back out of it.

Planning a stack on its own loads the AWS provider's schema twice (``plan``, then ``show``),
some 4 s of CPU a stack. Here every stack becomes a module of one root configuration whose
outputs re-export the stack's own, so one init, one plan and one show cover them all;
:func:`stack_plan` then lays out one module's part exactly as ``terraform show -json`` lays
out the plan of that stack alone (tests/gate/test_plan_together.py and the mutation corpus
compare the two).

That holds only for stacks a module cannot tell from a root module. :func:`refusal` says why
a stack is not one of them (it is then planned on its own): anything but resources, data
sources, locals, outputs and the ``terraform`` and ``provider`` blocks (variables, modules,
checks, moves: they change the plan's layout or need a root), a provider block with an alias
or for another provider, ``path.*`` references (they resolve to the module's directory),
or no resource at all (its plan alone would not be applyable). And the stacks of one run
must configure the one provider alike: one provider configuration, the root's, serves every
module, since each configuration starts a provider process of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OUTPUT_SEPARATOR = "__"
# What a stack may hold to be planned as a module: its plan's layout is then that of a root.
ALLOWED_BLOCKS = frozenset({"//", "terraform", "provider", "resource", "data", "locals", "output"})
# An output the root re-exports as it is (an ephemeral one, allowed only in a module, is not).
OUTPUT_SETTINGS = frozenset({"//", "value", "description", "sensitive", "depends_on", "precondition"})
# A module keeps these of its terraform block; the backend (or cloud) is the root's.
MODULE_SETTINGS = ("required_providers", "required_version")


class NotPlannableTogether(ValueError):
    """A stack whose plan alone could differ from its part of a plan together."""


def module_name(index: int) -> str:
    return f"stack{index}"


def refusal(stack: Mapping[str, Any]) -> str | None:
    """Why ``stack`` cannot be planned as a module of others (None: it can)."""
    extra = sorted(set(stack) - ALLOWED_BLOCKS)
    if extra:
        return f"it has {', '.join(extra)} blocks"
    terraform = stack.get("terraform", {})
    if not isinstance(terraform, dict) or set(terraform) - {*MODULE_SETTINGS, "backend", "cloud"}:
        return "its terraform block has settings a module cannot have"
    providers = stack.get("provider", {})
    if not isinstance(providers, dict) or set(providers) - {"aws"}:
        return "it configures providers other than aws"
    blocks = providers.get("aws", [{}])
    if not isinstance(blocks, list) or len(blocks) != 1 or not isinstance(blocks[0], dict) or "alias" in blocks[0]:
        return "it configures more than one aws provider"
    text = json.dumps(stack)
    if any(reference in text for reference in ("path.module", "path.root", "path.cwd")):
        return "it refers to its own directory (path.*)"
    outputs = stack.get("output", {})
    if not isinstance(outputs, dict) or any(not isinstance(o, dict) or set(o) - OUTPUT_SETTINGS for o in outputs.values()):
        return "it has outputs a root module re-exporting them would change (ephemeral, say)"
    resources = stack.get("resource")
    if not isinstance(resources, dict) or not any(resources.values()):
        return "it has no resource"
    return None


def _shared(stack: Mapping[str, Any]) -> tuple[str, str]:
    """What every stack of one plan together must have alike: provider and required providers."""
    terraform = stack.get("terraform") or {}
    required = terraform.get("required_providers") if isinstance(terraform, dict) else None
    return json.dumps(stack.get("provider", {"aws": [{}]}), sort_keys=True), json.dumps(required, sort_keys=True)


def together_refusal(stacks: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why ``stacks`` cannot be planned in one run (None: every stack can be a module, and all
    configure their provider alike)."""
    for name, stack in stacks.items():
        why = refusal(stack)
        if why is not None:
            return f"{name} cannot be planned with other stacks: {why}"
    if len({_shared(stack) for stack in stacks.values()}) > 1:
        return "the stacks configure the aws provider differently: plan them one by one"
    return None


def write_root(root: Path, stacks: Mapping[str, Mapping[str, Any]], override: Mapping[str, Any]) -> dict[str, str]:
    """A root module calling each stack, with ``override`` (the gate's plan override) beside it,
    as it is beside a stack planned alone; returns each stack's module name, by stack name."""
    why = together_refusal(stacks)
    if why is not None:
        raise NotPlannableTogether(why)
    modules: dict[str, str] = {}
    calls: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    first: Mapping[str, Any] = next(iter(stacks.values()), {})
    for index, (name, stack) in enumerate(stacks.items()):
        module = modules[name] = module_name(index)
        directory = root / module
        directory.mkdir(parents=True)
        terraform = {k: v for k, v in (stack.get("terraform") or {}).items() if k in MODULE_SETTINGS}
        body = {k: v for k, v in stack.items() if k not in ("provider", "terraform")}
        (directory / "cdk.tf.json").write_text(json.dumps({**body, **({"terraform": terraform} if terraform else {})}))
        calls[module] = {"source": f"./{module}"}
        for output, block in (stack.get("output") or {}).items():
            outputs[f"{module}{OUTPUT_SEPARATOR}{output}"] = {
                "value": f"${{module.{module}.{output}}}",
                "sensitive": block.get("sensitive", False),  # as the stack says it; terraform reads both alike
            }
    root_terraform = {k: v for k, v in (first.get("terraform") or {}).items() if k == "required_providers"}
    main = {
        **({"terraform": root_terraform} if root_terraform else {}),
        "provider": first.get("provider", {"aws": [{}]}),
        "module": calls,
        **({"output": outputs} if outputs else {}),
    }
    (root / "main.tf.json").write_text(json.dumps(main))
    (root / "eksiam_plan_override.tf.json").write_text(json.dumps(override))
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
