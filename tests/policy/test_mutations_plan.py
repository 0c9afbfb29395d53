"""The mutation corpus on real plans: each edited stack is planned by the real terraform
binary (offline, no credentials, as the gate plans), and `terraform show -json` of it is
checked as a plan input and wrapped as an HCP Terraform policy input ({"plan": …})."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from eksiam.errors import ToolError
from eksiam.gate.terraform import PLAN_OVERRIDE, Terraform
from mutations import HARMLESS, INSECURE, Mutation
from test_mutations import findings, hcp_expected, hcp_messages, mutated, package

pytestmark = pytest.mark.integration

PLANNABLE = [m for m in INSECURE + HARMLESS if m.plannable]


def write_stack(workdir, stack: dict) -> None:
    # A resource type whose last block a mutation removed is an empty object, which
    # Terraform's JSON syntax rejects ("Missing block label"): leave the type out.
    stack = {**stack, "resource": {t: blocks for t, blocks in stack.get("resource", {}).items() if blocks}}
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "cdk.tf.json").write_text(json.dumps(stack))
    (workdir / "eksiam_plan_override.tf.json").write_text(json.dumps(PLAN_OVERRIDE))


@pytest.fixture(scope="session")
def real_plans(synthesized, terraform_cli_config, tmp_path_factory) -> dict[str, dict | str]:
    """Every plannable mutation planned once: name -> plan JSON (or terraform's error)."""
    root = tmp_path_factory.mktemp("mutation-plans")
    # One `terraform init`; every case reuses its provider installation.
    base = root / "_base"
    write_stack(base, next(iter(synthesized.values())))
    Terraform(base, terraform_cli_config).init()

    def plan(mutation: Mutation) -> tuple[str, dict | str]:
        workdir = root / mutation.name
        write_stack(workdir, mutated(synthesized, mutation))
        (workdir / ".terraform").symlink_to(base / ".terraform")
        shutil.copy(base / ".terraform.lock.hcl", workdir / ".terraform.lock.hcl")
        try:
            return mutation.name, Terraform(workdir, terraform_cli_config).plan_json()
        except ToolError as error:
            return mutation.name, str(error)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(plan, PLANNABLE))


def real_plan(real_plans, mutation: Mutation) -> dict:
    plan = real_plans[mutation.name]
    assert isinstance(plan, dict), f"terraform could not plan {mutation.name}: {plan}"
    return plan


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
