"""The gate's stacks planned in one terraform run: each stack's part is the plan it has alone,
and what a module could plan otherwise is planned alone (eksiam.gate.plan_together)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from eksiam.errors import ToolError
from eksiam.gate.plan_together import refusal, together_refusal
from eksiam.gate.terraform import Terraform, plan_stacks
from stacks import CONNECTOR_STACK, NODE_STACK
from tests.conftest import comparable_plan, planned_together, write_stacks

pytestmark = pytest.mark.integration


def read(plan_file: Path) -> dict:
    return comparable_plan(json.loads(plan_file.read_text()))


def test_stacks_planned_together_have_the_plans_they_have_alone(synthesized, terraform_cli_config, tmp_path):
    # Both configure the provider (a region), which the plan override then overrides in part.
    stacks = copy.deepcopy(synthesized)
    for stack in stacks.values():
        stack["provider"] = {"aws": [{"region": "eu-west-1", "default_tags": [{"tags": {"team": "platform"}}]}]}
    files = write_stacks(tmp_path / "out", stacks)
    together = plan_stacks(files, tmp_path / "together", terraform_cli_config)
    assert planned_together(tmp_path / "together")
    for stack_file, (plan_file, cached) in zip(files, together):
        alone, _ = plan_stacks([stack_file], tmp_path / "alone", terraform_cli_config)[0]
        assert not cached and read(plan_file) == read(alone), stack_file.parent.name
    node_plan = json.loads(together[[f.parent.name for f in files].index(NODE_STACK)][0].read_text())
    role = next(r for r in node_plan["resource_changes"] if r["type"] == "aws_iam_role")
    assert role["change"]["after"]["tags_all"] == {"team": "platform", "eksiam:role": "node"}


def test_stacks_configuring_the_provider_differently_are_planned_one_by_one(synthesized, terraform_cli_config, tmp_path):
    stacks = copy.deepcopy(synthesized)
    stacks[NODE_STACK]["provider"] = {"aws": [{"default_tags": [{"tags": {"team": "nodes"}}]}]}
    assert "differently" in (together_refusal(stacks) or "")
    files = write_stacks(tmp_path / "out", stacks)
    planned = plan_stacks(files, tmp_path / "plans", terraform_cli_config)
    assert not planned_together(tmp_path / "plans") and not (tmp_path / "plans" / ".together").exists()
    assert [json.loads(p.read_text())["resource_changes"] != [] for p, _ in planned] == [True, True]


def test_a_stack_terraform_rejects_is_named_though_planned_with_others(synthesized, terraform_cli_config, tmp_path, monkeypatch):
    stacks = copy.deepcopy(synthesized)
    stacks[CONNECTOR_STACK]["resource"]["aws_iam_role"]["connector_agent_role"]["name"] = "${aws_iam_role.missing.name}"
    files = write_stacks(tmp_path / "out", stacks)
    plans: list[str] = []
    run = Terraform.run

    def recording(terraform: Terraform, *args: str) -> str:
        if args[0] == "plan":
            plans.append(terraform.workdir.name)
        return run(terraform, *args)

    monkeypatch.setattr(Terraform, "run", recording)
    with pytest.raises(ToolError, match=rf"terraform plan failed in .*{CONNECTOR_STACK}: .*undeclared resource"):
        plan_stacks(files, tmp_path / "plans", terraform_cli_config)
    # The failed plan together is not made again without the shared provider: each stack is.
    assert sorted(plans) == sorted([".together", CONNECTOR_STACK, CONNECTOR_STACK, NODE_STACK])


def test_the_synthesized_stacks_can_be_planned_together(synthesized):
    assert [refusal(stack) for stack in synthesized.values()] == [None, None]
    assert together_refusal(synthesized) is None


@pytest.mark.parametrize("edit, reason", [
    (lambda s: s.update(variable={"name": {"type": "string"}}), "variable blocks"),
    (lambda s: s.update(module={"vpc": {"source": "./vpc"}}), "module blocks"),
    (lambda s: s.update(provider={"aws": [{}, {"alias": "west", "region": "us-west-2"}]}), "more than one aws provider"),
    (lambda s: s.update(provider={"aws": [{}], "kubernetes": [{}]}), "providers other than aws"),
    (lambda s: s["resource"]["aws_iam_role"]["node_role"].update(description="${path.module}"), "own directory"),
    (lambda s: s.update(resource={}), "no resource"),
    (lambda s: s["terraform"].update(experiments=["x"]), "settings a module cannot have"),
    (lambda s: s["output"].update(token={"value": "x", "ephemeral": True}), "ephemeral"),
], ids=["variable", "module", "aliased provider", "other provider", "path.module", "no resource", "experiments", "ephemeral output"])
def test_what_a_module_would_plan_otherwise_is_refused(synthesized, edit, reason):
    stack = copy.deepcopy(synthesized[NODE_STACK])
    edit(stack)
    assert reason in (refusal(stack) or "")
    why = together_refusal({NODE_STACK: stack, CONNECTOR_STACK: synthesized[CONNECTOR_STACK]}) or ""
    assert NODE_STACK in why and reason in why
