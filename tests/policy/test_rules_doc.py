"""RULES.md and policies.hcl are generated from the rules' METADATA; every rule carries the
metadata the gate and the docs rely on, and its id matches its package."""

from __future__ import annotations

import re

import pytest

from eksiam.gate.rules_doc import POLICY_DIR, load_rules, metadata_block, render_policies_hcl, render_rules_md, rule_files

RULES = load_rules()
AWS_DOCS = (
    "https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html",
    "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html",
)


def test_committed_rules_md_is_fresh():
    committed = (POLICY_DIR / "RULES.md").read_text(encoding="utf-8")
    assert committed == render_rules_md(POLICY_DIR), "policy/RULES.md is stale: run python -m eksiam.gate.rules_doc"


def test_committed_policies_hcl_is_fresh():
    committed = (POLICY_DIR / "policies.hcl").read_text(encoding="utf-8")
    assert committed == render_policies_hcl(POLICY_DIR), "policy/policies.hcl is stale: run python -m eksiam.gate.rules_doc"


def test_rules_found():
    assert len(RULES) >= 12
    assert len({r.id for r in RULES}) == len(RULES), "rule ids must be unique"


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.relative_to(POLICY_DIR).as_posix())
def test_rule_metadata_complete(path):
    meta = metadata_block(path.read_text(encoding="utf-8"))
    assert meta.get("title"), "title missing"
    assert meta.get("description"), "description missing"
    custom = meta.get("custom") or {}
    assert custom.get("severity") in {"CRITICAL", "HIGH", "MEDIUM", "LOW"}
    assert custom.get("recommended_action"), "custom.recommended_action missing"
    assert re.fullmatch(r"EKSIAM-[A-Z]+-\d{3}", str(custom.get("id"))), "custom.id must look like EKSIAM-NODE-001"
    links = meta.get("related_resources") or []
    assert any(link in AWS_DOCS for link in links), "related_resources must link the AWS document"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_id_matches_package(rule):
    # EKSIAM-NODE-001 <-> eksiam.rules.node_001 (the aggregator derives ids from packages).
    area, number = rule.id.removeprefix("EKSIAM-").rsplit("-", 1)
    assert rule.package == f"eksiam.rules.{area.lower()}_{number}"


def test_rules_md_has_a_row_per_rule():
    text = render_rules_md(POLICY_DIR)
    for rule in RULES:
        assert f"[{rule.id}]({rule.path})" in text


def test_policies_hcl_enforcement_follows_severity():
    text = render_policies_hcl(POLICY_DIR)
    blocks = re.findall(r'policy "([^"]+)" \{\s*query\s*= "([^"]+)"\s*enforcement_level = "(\w+)"', text)
    assert len(blocks) == len(RULES)
    by_id = {r.id.lower(): r for r in RULES}
    for name, query, level in blocks:
        rule = by_id[name]
        assert query == f"data.eksiam.hcp.messages.{rule.package.rsplit('.', 1)[-1]}"
        assert level == ("mandatory" if rule.severity in {"CRITICAL", "HIGH"} else "advisory")


def test_metadata_agrees_with_the_engine(policy_engine):
    # The findings' id/severity come from rego.metadata.chain(): same annotations as parsed here.
    found = policy_engine.eval_query("x := data.eksiam.main.rules", {})
    assert found[0]["x"] == sorted(r.id for r in RULES)


def test_every_alias_names_a_check_that_exists():
    import re

    custom = {m for f in (POLICY_DIR / "checkov").glob("*.py") for m in re.findall(r'id="(CKV_EKSIAM_\d+)"', f.read_text())}
    rules = load_rules(POLICY_DIR)
    aliases = {a for rule in rules for a in rule.aliases}
    assert {a for a in aliases if a.startswith("CKV_EKSIAM_")} <= custom
    # Every custom check mirrors some rule, and RULES.md shows the pairing.
    assert custom <= aliases
    assert "| CKV_EKSIAM_2 |" in render_rules_md(POLICY_DIR)
