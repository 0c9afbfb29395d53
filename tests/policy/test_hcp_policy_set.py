"""The HCP Terraform policy set, both forms, evaluated as HCP Terraform evaluates it: every
query of its policies.hcl on HCP's policy input ({"plan": …, "run": …}), with the OPA engine.

* per rule: policy/policies.hcl over the modules of policy/;
* free tier: the set `python -m eksiam.gate.rules_doc --free-tier-set DIR` writes, each module
  loaded on its own (as a single pasted policy is), and both together.

Attached organization-wide, a workspace without EKS roles passes every policy; the real-world
terraform-aws-eks plans pass or fail the mandatory policies as their manifest says, with a
message naming the flaw; and the free-tier form says exactly what the per-rule form says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import hcl2
import pytest

from opa_bindings import OpaEngine

from eksiam.gate.rules_doc import (
    FREE_TIER_POLICIES,
    POLICY_DIR,
    free_tier_set,
    load_rules,
    main as rules_doc_main,
)

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("hcp-policy-set")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPUS = FIXTURES / "realworld"
CASES = json.loads((CORPUS / "manifest.json").read_text())
PLAN_CASES = [c for c in CASES if c["shape"] == "plan"]
RULES = load_rules()
LINE = re.compile(r"^(EKSIAM-[A-Z]+-\d{3}) (CRITICAL|HIGH|MEDIUM|LOW): \S.*\.$")
# Each flaw of the manifest, and the rule and words a mandatory message naming it carries.
FLAW_MESSAGES = {
    "AdministratorAccess attached to node role": ("EKSIAM-ROLE-003", "AdministratorAccess"),
    "AmazonS3FullAccess attached to node role": ("EKSIAM-NODE-003", "AmazonS3FullAccess"),
    "missing AmazonEKS_CNI_Policy": ("EKSIAM-NODE-002", "AmazonEKS_CNI_Policy"),
}


def hcp_input(plan: dict, workspace: str = "platform-eks") -> dict:
    """A policy input as HCP Terraform hands it to a policy evaluation."""
    return {
        "plan": plan,
        "run": {
            "id": "run-CZcmD7eagjhyX0vN",
            "created_at": "2025-06-01T10:00:00.000Z",
            "message": "Queued manually using Terraform",
            "commit_sha": None,
            "is_destroy": False,
            "refresh": True,
            "refresh_only": False,
            "replace_addrs": [],
            "speculative": False,
            "target_addrs": [],
            "project": {"id": "prj-AbCdEfGh12345678", "name": "Default Project"},
            "variables": {},
            "organization": {"name": "acme"},
            "workspace": {"id": "ws-AbCdEfGh12345678", "name": workspace, "execution_mode": "remote"},
        },
    }


def plan_of(*changes: tuple[str, str, dict]) -> dict:
    """A `terraform show -json` plan creating ``changes`` (type, name, values), each value
    written as a constant in the configuration, as Terraform lays it out."""
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "resource_changes": [
            {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
             "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": {}}}
            for type_, name, after in changes
        ],
        "configuration": {"root_module": {"resources": [
            {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
             "expressions": {key: {"constant_value": value} for key, value in after.items()}}
            for type_, name, after in changes
        ]}},
    }


# Workspaces of an organization that hold no EKS role.
NO_EKS_WORKSPACES = {
    "empty plan": plan_of(),
    "s3 bucket": plan_of(("aws_s3_bucket", "logs", {"bucket": "acme-logs", "force_destroy": False})),
    "lambda role": plan_of(
        ("aws_iam_role", "lambda", {
            "name": "orders-handler", "path": "/",
            "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        }),
        ("aws_iam_role_policy_attachment", "lambda_logs", {
            "role": "orders-handler",
            "policy_arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        }),
    ),
    "attachment to another workspace's role": plan_of(
        ("aws_iam_role_policy_attachment", "ci_readonly", {
            "role": "arn:aws:iam::123456789012:role/ci/deployer", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ),
}


def policies(hcl_text: str) -> dict[str, tuple[str, str]]:
    """policies.hcl, parsed as HCL: policy name -> (query, enforcement level)."""
    def value(v):
        return v[0] if isinstance(v, list) else v

    parsed = hcl2.loads(hcl_text)
    out = {}
    for block in parsed["policy"]:
        for name, body in block.items():
            out[name.strip('"')] = (value(body["query"]), value(body["enforcement_level"]))
    return out


PER_RULE = policies((POLICY_DIR / "policies.hcl").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def free_tier(tmp_path_factory) -> Path:
    """The free-tier set as `python -m eksiam.gate.rules_doc --free-tier-set DIR` writes it."""
    directory = tmp_path_factory.mktemp("free-tier")
    assert rules_doc_main(["--free-tier-set", str(directory)]) == 0
    return directory


@pytest.fixture(scope="module")
def free_tier_engines(free_tier):
    """policy name -> an engine holding only that policy's module; "together" -> both modules."""
    engines = {}
    together = OpaEngine()
    for name, _, _, _ in FREE_TIER_POLICIES:
        source = (free_tier / f"{name.replace('-', '_')}.rego").read_text()
        engine = OpaEngine()
        engine.add_policy(f"{name}.rego", source)
        together.add_policy(f"{name}.rego", source)
        engines[name] = engine
    engines["together"] = together
    yield engines
    for engine in engines.values():
        engine.close()


@pytest.fixture(scope="module")
def free_tier_policies(free_tier) -> dict[str, tuple[str, str]]:
    return policies((free_tier / "policies.hcl").read_text())


def evaluate(engine: OpaEngine, query: str, inp: dict, config: dict | None = None):
    """The query's value, as HCP Terraform reads it; None when undefined."""
    suffix = f" with data.eksiam.config as {json.dumps(config)}" if config else ""
    found = engine.eval_query(f"x := {query}{suffix}", inp)
    return found[0]["x"] if found else None


def per_rule_results(engine, inp: dict, config: dict | None = None) -> dict[str, tuple[str, list]]:
    """Each policy's value as HCP Terraform reads it (evaluated on its own; None when
    undefined), all in one query: each value collected into a one- or zero-element array,
    so the conjunction is defined even where a policy is not."""
    suffix = f" with data.eksiam.config as {json.dumps(config)}" if config else ""
    conjunction = "; ".join(f"x{index} := [v | v := {query}]{suffix}" for index, (query, _) in enumerate(PER_RULE.values()))
    found = engine.eval_query(conjunction, inp)[0]
    return {name: (level, (found[f"x{index}"] or [None])[0]) for index, (name, (_, level)) in enumerate(PER_RULE.items())}


def free_tier_results(engines, free_tier_policies, inp: dict, config: dict | None = None) -> dict[str, tuple[str, list]]:
    return {name: (level, evaluate(engines[name], query, inp, config)) for name, (query, level) in free_tier_policies.items()}


def mandatory_messages(results: dict[str, tuple[str, list]]) -> list[str]:
    return [m for level, messages in results.values() if level == "mandatory" for m in messages]


# --- the per-rule form -----------------------------------------------------------------


def test_per_rule_form_has_a_policy_per_rule():
    assert {name for name in PER_RULE} == {r.id.lower() for r in RULES}
    for rule in RULES:
        query, level = PER_RULE[rule.id.lower()]
        assert query == f"data.eksiam.hcp.messages.{rule.package.rsplit('.', 1)[-1]}"
        assert level == ("mandatory" if rule.severity in {"CRITICAL", "HIGH"} else "advisory")


@pytest.mark.parametrize("workspace", NO_EKS_WORKSPACES, ids=list(NO_EKS_WORKSPACES))
def test_per_rule_form_passes_a_workspace_without_eks_roles(policy_engine, workspace):
    results = per_rule_results(policy_engine, hcp_input(NO_EKS_WORKSPACES[workspace]))
    for name, (_, messages) in results.items():
        assert isinstance(messages, list), f"{name} is undefined or not an array: {messages!r}"
        assert messages == [], (name, messages)


@pytest.mark.parametrize("case", PLAN_CASES, ids=[c["file"] for c in PLAN_CASES])
def test_per_rule_form_on_terraform_aws_eks_plans(policy_engine, case):
    results = per_rule_results(policy_engine, hcp_input(json.loads((CORPUS / case["file"]).read_text())))
    assert all(isinstance(messages, list) for _, messages in results.values()), results
    for _, messages in results.values():
        assert all(LINE.match(m) for m in messages), messages
    check_verdict(case, results)


def check_verdict(case: dict, results: dict[str, tuple[str, list]]) -> None:
    mandatory = mandatory_messages(results)
    everything = [m for _, messages in results.values() for m in messages]
    for other in case["non_eks_roles"]:
        assert not any(other in m for m in everything), f"{other} is no EKS role but was judged"
    if case["expected"] == "pass":
        assert everything == [], everything
        return
    assert mandatory, f"{case['file']} should fail a mandatory policy"
    for flaw in case["flaws"]:
        rule, words = FLAW_MESSAGES[flaw]
        assert any(m.startswith(f"{rule} ") and words in m for m in mandatory), (flaw, mandatory)


def test_per_rule_form_fails_closed_on_an_unreadable_input(policy_engine):
    results = per_rule_results(policy_engine, {"plan": {"not": "a plan"}, "run": {"id": "run-x"}})
    assert any(m.startswith("EKSIAM-INPUT-001 HIGH: ") for m in mandatory_messages(results))


def test_per_rule_form_judges_an_attachment_to_an_eks_role_of_another_workspace(policy_engine):
    plan = plan_of(("aws_iam_role_policy_attachment", "admin", {
        "role": "NodeInstanceRole", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
    mandatory = mandatory_messages(per_rule_results(policy_engine, hcp_input(plan)))
    assert mandatory and all(m.startswith("EKSIAM-INPUT-002 HIGH: aws_iam_role_policy_attachment.admin ") for m in mandatory)


def test_the_gate_still_fails_closed_on_an_input_without_eks_roles(policy_engine):
    # Only the policy set relaxes EKSIAM-INPUT-001; what the gate queries does not.
    found = policy_engine.eval_query("x := data.eksiam.main.findings", hcp_input(NO_EKS_WORKSPACES["s3 bucket"]))
    assert {f["id"] for f in found[0]["x"]} == {"EKSIAM-INPUT-001"}


# --- the free-tier form ----------------------------------------------------------------


def test_free_tier_form_fits_the_free_edition(free_tier, free_tier_policies):
    assert 1 <= len(free_tier_policies) <= 5
    assert sorted(p.name for p in free_tier.iterdir()) == ["eksiam_advisory.rego", "eksiam_mandatory.rego", "policies.hcl"]
    levels = {name: level for name, (_, level) in free_tier_policies.items()}
    assert levels == {"eksiam-mandatory": "mandatory", "eksiam-advisory": "advisory"}
    hcl_text = (free_tier / "policies.hcl").read_text()
    for rule in RULES:  # the set file says which policy carries which rule
        policy = "eksiam-mandatory" if rule.severity in {"CRITICAL", "HIGH"} else "eksiam-advisory"
        assert re.search(rf"^# {policy}: .*\b{rule.id}\b", hcl_text, re.MULTILINE), rule.id


def test_free_tier_modules_are_self_contained(free_tier):
    for module in free_tier.glob("*.rego"):
        text = module.read_text()
        assert not re.search(r"^import data\.", text, re.MULTILINE), module.name
        assert "data.eksiam.lib" not in text and "data.eksiam.rules" not in text, module.name
        assert len(re.findall(r"^package ", text, re.MULTILINE)) == 1


def test_free_tier_set_is_current_and_deterministic(free_tier):
    rendered = free_tier_set()
    assert rendered == free_tier_set()
    for name, text in rendered.items():
        assert (free_tier / name).read_text() == text


@pytest.mark.parametrize("workspace", NO_EKS_WORKSPACES, ids=list(NO_EKS_WORKSPACES))
@pytest.mark.parametrize("engine_name", ["alone", "together"])
def test_free_tier_form_passes_a_workspace_without_eks_roles(free_tier_engines, free_tier_policies, workspace, engine_name):
    engines = free_tier_engines if engine_name == "alone" else {n: free_tier_engines["together"] for n in free_tier_policies}
    results = free_tier_results(engines, free_tier_policies, hcp_input(NO_EKS_WORKSPACES[workspace]))
    for name, (_, messages) in results.items():
        assert messages == [], (name, messages)


@pytest.mark.parametrize("case", PLAN_CASES, ids=[c["file"] for c in PLAN_CASES])
def test_free_tier_form_on_terraform_aws_eks_plans(free_tier_engines, free_tier_policies, case):
    results = free_tier_results(free_tier_engines, free_tier_policies, hcp_input(json.loads((CORPUS / case["file"]).read_text())))
    for name, (_, messages) in results.items():
        assert isinstance(messages, list), f"{name} is undefined or not an array: {messages!r}"
        assert all(LINE.match(m) for m in messages), messages
    check_verdict(case, results)


def equivalence_inputs() -> list[tuple[str, dict, dict | None]]:
    """Every plan-shaped fixture (real-world and adversarial) as HCP input, plus settings."""
    inputs = []
    for path in sorted([*CORPUS.glob("*.json"), *(FIXTURES / "adversarial").glob("*.plan.json")]):
        if path.name == "manifest.json":
            continue
        doc = json.loads(path.read_text())
        if "format_version" in doc:
            inputs.append((path.name, hcp_input(doc), None))
    node = json.loads((CORPUS / "tfaws-eks-mng-correct.json").read_text())
    inputs.append(("configured path", hcp_input(node), {"node": {"path": "/eks/"}}))
    inputs.append(("allowlisted admin", hcp_input(json.loads((CORPUS / "tfaws-eks-mng-admin.json").read_text())),
                   {"node": {"additional_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}))
    inputs += [(name, hcp_input(plan), None) for name, plan in NO_EKS_WORKSPACES.items()]
    return inputs


EQUIVALENCE = equivalence_inputs()
_PER_RULE: dict[str, dict[str, tuple[str, list]]] = {}
_ARRAYS: dict[str, dict[str, list]] = {}


def per_rule_of(engine, name: str, inp: dict, config: dict | None) -> dict[str, tuple[str, list]]:
    """per_rule_results of an equivalence input, evaluated once per worker."""
    if name not in _PER_RULE:
        _PER_RULE[name] = per_rule_results(engine, inp, config)
    return _PER_RULE[name]


def arrays_of(engine, name: str, inp: dict, config: dict | None) -> dict[str, list]:
    """data.eksiam.hcp.mandatory and .advisory of an equivalence input, evaluated once per worker."""
    if name not in _ARRAYS:
        suffix = f" with data.eksiam.config as {json.dumps(config)}" if config else ""
        found = engine.eval_query(f"m := data.eksiam.hcp.mandatory{suffix}; a := data.eksiam.hcp.advisory{suffix}", inp)[0]
        _ARRAYS[name] = {"mandatory": found["m"], "advisory": found["a"]}
    return _ARRAYS[name]


def test_equivalence_inputs_exercise_both_arrays(policy_engine):
    arrays = [arrays_of(policy_engine, *i) for i in EQUIVALENCE]
    mandatory = [found for found in arrays if found["mandatory"]]
    advisory = [found for found in arrays if found["advisory"]]
    assert len(EQUIVALENCE) >= 60 and len(mandatory) >= 40 and len(advisory) >= 1


@pytest.mark.parametrize("name, inp, config", EQUIVALENCE, ids=[i[0] for i in EQUIVALENCE])
def test_free_tier_form_says_what_the_per_rule_form_says(policy_engine, free_tier_engines, free_tier_policies,
                                                          name, inp, config):
    per_rule = per_rule_of(policy_engine, name, inp, config)
    free = free_tier_results(free_tier_engines, free_tier_policies, inp, config)
    arrays = arrays_of(policy_engine, name, inp, config)
    for level in ("mandatory", "advisory"):
        expected = sorted(m for lvl, messages in per_rule.values() if lvl == level for m in messages)
        got = sorted(m for lvl, messages in free.values() if lvl == level for m in messages)
        assert got == expected, (level, got, expected)
        # The two arrays a workspace's own policy may query say the same.
        assert sorted(arrays[level]) == expected, (level, arrays[level], expected)


def test_free_tier_set_command_refuses_a_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("")
    assert rules_doc_main(["--free-tier-set", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err and "Traceback" not in err
