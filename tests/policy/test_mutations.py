"""The mutation corpus (mutations.py) against the Rego rules, through the embedded engine:
every insecure edit of the synthesized stacks is denied by the rules it names, every
harmless one passes. Two legs: the cdk.tf.json itself, and the same stack as an HCP
Terraform policy input ({"plan": …}) built the way `terraform show -json` lays a plan out,
queried through the policy set's own queries (data.eksiam.hcp.messages.<rule>)."""

from __future__ import annotations

import copy
import json
import re

import pytest

from mutations import HARMLESS, INSECURE, Mutation

PARTITION = re.compile(r"\$\{data\.aws_partition\.[A-Za-z0-9_-]+\.partition\}")
REFERENCE = re.compile(r"(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_]+)?|var\.[A-Za-z0-9_]+")


def mutated(synthesized: dict, mutation: Mutation) -> dict:
    doc = copy.deepcopy(synthesized[mutation.stack])
    mutation.apply(doc)
    return doc


def findings(engine, doc: dict, config: dict) -> list[dict]:
    query = f"x := data.eksiam.main.findings with data.eksiam.config as {json.dumps(config)}"
    return engine.eval_query(query, doc)[0]["x"]


def hcp_messages(engine, plan: dict, config: dict) -> dict[str, list[str]]:
    """The policy set's answer for ``plan`` wrapped as HCP Terraform wraps it."""
    query = f"x := data.eksiam.hcp.messages with data.eksiam.config as {json.dumps(config)}"
    return engine.eval_query(query, {"plan": plan, "run": {"id": "run-mutation"}})[0]["x"]


def as_plan(doc: dict) -> dict:
    """A `terraform show -json` layout of a synthesized stack: partition lookups resolved to
    "aws", other interpolations unknown at plan time and linked by configuration references."""
    changes, config = [], []
    for type_, blocks in doc.get("resource", {}).items():
        for name, values in blocks.items():
            after, expressions = {}, {}
            for key, value in values.items():
                if key == "//":
                    continue
                text = PARTITION.sub("aws", json.dumps(value))
                if "${" in text:
                    refs = []
                    for ref in REFERENCE.findall(text):
                        refs += [ref, ".".join(ref.split(".")[:3 if ref.startswith("data.") else 2])]
                    expressions[key] = {"references": list(dict.fromkeys(refs))}
                else:
                    after[key] = json.loads(text)
                    expressions[key] = {"constant_value": after[key]}
            changes.append({
                "address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
                "change": {"actions": ["create"], "after": after, "after_unknown": {}},
            })
            config.append({"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name, "expressions": expressions})
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.0",
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def package(rule_id: str) -> str:
    return rule_id.removeprefix("EKSIAM-").lower().replace("-", "_")


# Attached organization-wide, the policy set passes a plan without EKS roles (hcp.rego): "no
# role to check" fails the gate, not the policy set.
NOTHING_TO_CHECK = "EKSIAM-INPUT-001"


def hcp_expected(mutation: Mutation) -> set[str]:
    """The rules a mutation must fire in the HCP policy set."""
    return set(mutation.expected) - {NOTHING_TO_CHECK}


def test_corpus_size():
    assert len(INSECURE) >= 30 and len(HARMLESS) >= 8
    assert len({m.name for m in INSECURE + HARMLESS}) == len(INSECURE + HARMLESS)
    assert all(m.expected for m in INSECURE) and not any(m.expected for m in HARMLESS)


def test_unmutated_stacks_pass(policy_engine, synthesized):
    for stack, doc in synthesized.items():
        assert findings(policy_engine, doc, {}) == [], stack
        assert not any(hcp_messages(policy_engine, as_plan(doc), {}).values()), stack


@pytest.mark.parametrize("mutation", INSECURE, ids=lambda m: m.name)
def test_insecure_mutation_is_denied(policy_engine, synthesized, mutation):
    doc = mutated(synthesized, mutation)
    assert doc != synthesized[mutation.stack] or mutation.config, "the mutation changed nothing"
    found = findings(policy_engine, doc, mutation.config)
    fired = {f["id"] for f in found}
    assert mutation.expected <= fired, f"expected {sorted(mutation.expected)}, got {found}"
    for f in found:
        assert f["resource"] and f["msg"].endswith("."), f


@pytest.mark.parametrize("mutation", INSECURE, ids=lambda m: m.name)
def test_insecure_mutation_is_denied_in_hcp_policy_set(policy_engine, synthesized, mutation):
    messages = hcp_messages(policy_engine, as_plan(mutated(synthesized, mutation)), mutation.config)
    if not hcp_expected(mutation):
        assert not any(messages.values()), f"a plan without EKS roles must pass the policy set: {messages}"
    for rule_id in hcp_expected(mutation):
        assert messages[package(rule_id)], f"{rule_id} did not fire: {messages}"
        assert all(m.startswith(rule_id) for m in messages[package(rule_id)])


@pytest.mark.parametrize("mutation", HARMLESS, ids=lambda m: m.name)
def test_harmless_mutation_passes(policy_engine, synthesized, mutation):
    doc = mutated(synthesized, mutation)
    assert doc != synthesized[mutation.stack], "the mutation changed nothing"
    assert findings(policy_engine, doc, mutation.config) == []
    messages = hcp_messages(policy_engine, as_plan(doc), mutation.config)
    assert not any(messages.values()), messages
