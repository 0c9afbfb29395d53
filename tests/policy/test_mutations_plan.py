"""The mutation corpus on real plans: each edited stack is planned by the real terraform
binary (offline, no credentials, as the gate plans), and `terraform show -json` of it is
checked as a plan input and wrapped as an HCP Terraform policy input ({"plan": …}).

The edited stacks are planned together, in one terraform run (the gate's plan_stacks), and
the first of each kind is planned on its own too: the two plans must be the same."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from eksiam.errors import ToolError
from eksiam.gate.plan_together import NotPlannableTogether, write_root
from eksiam.gate.terraform import PLAN_OVERRIDE, plan_stacks
from mutations import HARMLESS, INSECURE, Mutation
from test_mutations import findings, hcp_expected, hcp_messages, mutated, package
from tests.conftest import comparable_plan, planned_together

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("mutation-plans")]

PLANNABLE = [m for m in INSECURE + HARMLESS if m.plannable]


def plannable(stack: dict) -> dict:
    # A resource type whose last block a mutation removed is an empty object, which
    # Terraform's JSON syntax rejects ("Missing block label"): leave the type out.
    return {**stack, "resource": {t: blocks for t, blocks in stack.get("resource", {}).items() if blocks}}


def write_stack(root: Path, name: str, stack: dict) -> Path:
    """``stack`` as a synthesized stack directory of its own: the file the gate plans."""
    (root / name).mkdir(parents=True)
    stack_file = root / name / "cdk.tf.json"
    stack_file.write_text(json.dumps(stack))
    return stack_file


def plan_alone(stack_file: Path, scratch: Path, cli_config) -> dict:
    """``terraform show -json`` of one stack planned on its own, as the gate plans it."""
    [(plan_file, _)] = plan_stacks([stack_file], scratch, cli_config)
    return json.loads(plan_file.read_text())


@dataclass(frozen=True)
class RealPlans:
    by_mutation: dict[str, dict | str]
    together: bool  # planned in one terraform run, or each on its own


@pytest.fixture(scope="session")
def real_plans(synthesized, terraform_cli_config, tmp_path_factory) -> RealPlans:
    """Every plannable mutation planned: name -> plan JSON (or terraform's error).

    All of them by the gate's own plan_stacks, in one terraform run. Should that fail, each
    is planned on its own, so that a failure is the failing mutation's alone.
    """
    root = tmp_path_factory.mktemp("mutation-plans")
    files = {m.name: write_stack(root / "stacks", m.name, plannable(mutated(synthesized, m))) for m in PLANNABLE}
    try:
        planned = plan_stacks(list(files.values()), root / "plans", terraform_cli_config)
    except ToolError:
        def alone(name: str) -> tuple[str, dict | str]:
            try:
                return name, plan_alone(files[name], root / "alone", terraform_cli_config)
            except ToolError as error:
                return name, str(error)

        with ThreadPoolExecutor(max_workers=2) as pool:
            return RealPlans(dict(pool.map(alone, files)), together=False)
    by_mutation = {name: json.loads(plan_file.read_text()) for name, (plan_file, _) in zip(files, planned)}
    return RealPlans(by_mutation, together=planned_together(root / "plans"))


def real_plan(real_plans: RealPlans, mutation: Mutation) -> dict:
    plan = real_plans.by_mutation[mutation.name]
    assert isinstance(plan, dict), f"terraform could not plan {mutation.name}: {plan}"
    return plan


@pytest.mark.parametrize("kind", ["insecure", "harmless"])
def test_a_mutation_planned_with_the_others_has_the_plan_it_has_alone(real_plans, synthesized, terraform_cli_config, tmp_path, kind):
    mutation = next(m for m in (INSECURE if kind == "insecure" else HARMLESS) if m.plannable)
    assert real_plans.together, "the corpus could not be planned in one terraform run"
    stack_file = write_stack(tmp_path / "stacks", mutation.name, plannable(mutated(synthesized, mutation)))
    alone = plan_alone(stack_file, tmp_path / "alone", terraform_cli_config)
    assert comparable_plan(real_plan(real_plans, mutation)) == comparable_plan(alone)


@pytest.mark.parametrize("edit", [
    lambda stack: stack.update(provider={"aws": [{"region": "eu-west-1"}]}),
    lambda stack: stack["terraform"]["required_providers"]["aws"].update(version="5.99.0"),
], ids=["own provider settings", "other provider version"])
def test_a_stack_planned_otherwise_alone_is_not_planned_together(synthesized, tmp_path, edit):
    stacks = {name: json.loads(json.dumps(stack)) for name, stack in synthesized.items()}
    edit(stacks[next(iter(stacks))])
    with pytest.raises(NotPlannableTogether):
        write_root(tmp_path, dict(reversed(stacks.items())), PLAN_OVERRIDE)


def test_corpus_is_mostly_plannable():
    assert sum(m.plannable for m in INSECURE) >= 30 and sum(m.plannable for m in HARMLESS) >= 8


@pytest.mark.parametrize("mutation", [m for m in INSECURE if m.plannable], ids=lambda m: m.name)
def test_insecure_mutation_is_denied_on_real_plan(policy_engine, real_plans, mutation):
    plan = real_plan(real_plans, mutation)
    fired = {f["id"] for f in findings(policy_engine, plan, mutation.config)}
    assert mutation.expected <= fired, f"expected {sorted(mutation.expected)}, got {sorted(fired)}"
    messages = hcp_messages(policy_engine, plan, mutation.config)
    if not hcp_expected(mutation):
        assert not any(messages.values()), f"a plan without EKS roles must pass the policy set: {messages}"
    for rule_id in hcp_expected(mutation):
        assert messages[package(rule_id)], f"{rule_id} did not fire in the HCP policy set: {messages}"


@pytest.mark.parametrize("mutation", [m for m in HARMLESS if m.plannable], ids=lambda m: m.name)
def test_harmless_mutation_passes_on_real_plan(policy_engine, real_plans, mutation):
    plan = real_plan(real_plans, mutation)
    assert plan["resource_changes"], "the plan creates the role"
    assert findings(policy_engine, plan, mutation.config) == []
    assert not any(hcp_messages(policy_engine, plan, mutation.config).values())
