"""The mutation corpus on real plans: each edited stack is planned by the real terraform
binary (offline, no credentials, as the gate plans), and `terraform show -json` of it is
checked as a plan input and wrapped as an HCP Terraform policy input ({"plan": …}).

The edited stacks are planned together, in one terraform run (eksiam.gate.plan_together), and the
first of each kind is planned on its own too: the two plans must be the same."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from eksiam.errors import ToolError
from eksiam.gate.plan_together import NotPlannableTogether, stack_plan, write_root
from eksiam.gate.terraform import PLAN_OVERRIDE, Terraform
from mutations import HARMLESS, INSECURE, Mutation
from test_mutations import findings, hcp_expected, hcp_messages, mutated, package

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("mutation-plans")]

PLANNABLE = [m for m in INSECURE + HARMLESS if m.plannable]


def plannable(stack: dict) -> dict:
    # A resource type whose last block a mutation removed is an empty object, which
    # Terraform's JSON syntax rejects ("Missing block label"): leave the type out. Import
    # blocks are left out as the gate's plan leaves them out (eksiam.gate.terraform.plan_stack).
    resources = {t: blocks for t, blocks in stack.get("resource", {}).items() if blocks}
    return {**{k: v for k, v in stack.items() if k != "import"}, "resource": resources}


def plan_alone(workdir, stack: dict, cli_config) -> dict:
    """``terraform show -json`` of ``stack`` planned on its own, as the gate plans it."""
    workdir.mkdir(parents=True)
    (workdir / "cdk.tf.json").write_text(json.dumps(stack))
    (workdir / "eksiam_plan_override.tf.json").write_text(json.dumps(PLAN_OVERRIDE))
    terraform = Terraform(workdir, cli_config)
    terraform.init()
    return terraform.plan_json()


@dataclass(frozen=True)
class RealPlans:
    by_mutation: dict[str, dict | str]
    together: bool  # planned in one terraform run, or each on its own


@pytest.fixture(scope="session")
def real_plans(synthesized, terraform_cli_config, tmp_path_factory) -> RealPlans:
    """Every plannable mutation planned: name -> plan JSON (or terraform's error).

    All of them in one terraform run (plan_together). Should that run fail, each is planned on
    its own, so that the failure is the failing mutation's alone.
    """
    root = tmp_path_factory.mktemp("mutation-plans")
    stacks = {m.name: plannable(mutated(synthesized, m)) for m in PLANNABLE}
    try:
        modules = write_root(root / "together", stacks, PLAN_OVERRIDE)
        terraform = Terraform(root / "together", terraform_cli_config)
        terraform.init()
        combined = terraform.plan_json()
    except (NotPlannableTogether, ToolError):
        def alone(name: str) -> tuple[str, dict | str]:
            try:
                return name, plan_alone(root / name, stacks[name], terraform_cli_config)
            except ToolError as error:
                return name, str(error)

        with ThreadPoolExecutor(max_workers=2) as pool:
            return RealPlans(dict(pool.map(alone, stacks)), together=False)
    return RealPlans({name: stack_plan(combined, module) for name, module in modules.items()}, together=True)


def comparable(plan: dict) -> dict:
    """A plan without what differs between two plans of one configuration: the time it was
    made, and the order of relevant_attributes (a set, which terraform lists in any order)."""
    relevant = sorted(plan.get("relevant_attributes", []), key=lambda a: json.dumps(a, sort_keys=True))
    return {**{k: v for k, v in plan.items() if k != "timestamp"}, "relevant_attributes": relevant}


def real_plan(real_plans: RealPlans, mutation: Mutation) -> dict:
    plan = real_plans.by_mutation[mutation.name]
    assert isinstance(plan, dict), f"terraform could not plan {mutation.name}: {plan}"
    return plan


@pytest.mark.parametrize("kind", ["insecure", "harmless"])
def test_a_mutation_planned_with_the_others_has_the_plan_it_has_alone(real_plans, synthesized, terraform_cli_config, tmp_path, kind):
    mutation = next(m for m in (INSECURE if kind == "insecure" else HARMLESS) if m.plannable)
    assert real_plans.together, "the corpus could not be planned in one terraform run"
    alone = plan_alone(tmp_path / "alone", plannable(mutated(synthesized, mutation)), terraform_cli_config)
    assert comparable(real_plan(real_plans, mutation)) == comparable(alone)


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
