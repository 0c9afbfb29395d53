"""Roles made by other tools (tests/fixtures/realworld/README.md says where each came from):
real plans of terraform-aws-eks node groups and Karpenter, and IAM snapshots of roles made by
the documents' CloudFormation templates and by eksctl. Correct roles pass, each flaw fails with
a finding that names it, and no role other than an EKS role is judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eksiam.cli import main
from eksiam.gate.rules_doc import POLICY_DIR, load_rules

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "realworld"
ALIASES = {rule.id: rule.aliases for rule in load_rules(POLICY_DIR)}
# The cases with `expected_kinds` are judged by test_realworld_eks_kinds.py.
CASES = [c for c in json.loads((CORPUS / "manifest.json").read_text()) if "expected_kinds" not in c]
JUDGED_KINDS = {"node", "auto-node", "connector"}

# Each flaw the manifest names, and the rule and words a finding naming it must have.
FLAW_FINDINGS = {
    "AdministratorAccess attached to node role": ("EKSIAM-ROLE-003", "AdministratorAccess"),
    "AmazonS3FullAccess attached to node role": ("EKSIAM-NODE-003", "AmazonS3FullAccess"),
    "missing AmazonEKS_CNI_Policy": ("EKSIAM-NODE-002", "AmazonEKS_CNI_Policy"),
    "missing AmazonEKSWorkerNodePolicy": ("EKSIAM-NODE-002", "AmazonEKSWorkerNodePolicy"),
    "missing AmazonEC2ContainerRegistryReadOnly": ("EKSIAM-NODE-002", "AmazonEC2ContainerRegistryReadOnly"),
}


def gate(case: dict, capsys, monkeypatch) -> tuple[int, dict]:
    # An account snapshot is checked for the roles it is about (verify's "configured role is
    # missing" is for accounts, not for a file holding one role).
    kinds = {role["kind"] for role in case["eks_roles"]}
    for kind in ("connector", "node"):
        monkeypatch.setenv(f"EKSIAM_{kind.upper()}_ENABLED", "true" if kind in kinds else "false")
    code = main(["check", "--input", str(CORPUS / case["file"]), "--no-checkov", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_corpus_case(case, capsys, monkeypatch):
    code, report = gate(case, capsys, monkeypatch)
    findings = report["findings"]
    judged = {f["resource"] for f in findings}
    for role in case["eks_roles"]:
        assert any(role["resource"] in r["resource"] and r["kind"] == role["kind"] for r in report["roles"]), report["roles"]
    # A role that is no EKS role may be reported (as "other", or a kind no rule judges), never judged.
    assert not any(other in r["resource"] and r["kind"] in JUDGED_KINDS for other in case["non_eks_roles"] for r in report["roles"])
    for other in case["non_eks_roles"]:
        assert not any(other in resource for resource in judged), f"{other} is no EKS role but was judged"
    if not case["eks_roles"]:
        # Nothing to check is a failure of its own (fail closed), and nothing else.
        assert code == 1 and {f["rule"] for f in findings} == {"EKSIAM-INPUT-001"}
        return
    if case["expected"] == "pass":
        assert code == 0 and findings == [], findings
        return
    assert code == 1
    for flaw in case["flaws"]:
        rule, words = FLAW_FINDINGS[flaw]
        assert any(f["rule"] == rule and words in f["message"] for f in findings), (flaw, findings)


def test_corpus_figures():
    passing = [c for c in CASES if c["expected"] == "pass"]
    failing = [c for c in CASES if c["expected"] == "fail"]
    assert len(CASES) >= 15 and len(passing) >= 6 and len(failing) >= 8
    assert {c["shape"] for c in CASES} == {"plan", "snapshot"}


def test_both_engines_agree_on_the_terraform_corpus(capsys):
    """One gate run with OPA and checkov over every plan: each engine fails exactly the flawed
    plans (checkov's custom checks judge the roles OPA identified, and only IAM resources)."""
    plans = [c for c in CASES if c["shape"] == "plan"]
    code = main(["check", "--format", "json", "--no-cache", *(a for c in plans for a in ("--input", str(CORPUS / c["file"])))])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["summary"]["checkov"]["passed"] > 0
    for case in plans:
        # A finding both engines saw is one finding, listing each engine and check (checks, engines).
        by_engine = {engine: [f for f in report["findings"] if engine in f["engines"] and f.get("file", "").endswith(case["file"])]
                     for engine in ("opa", "checkov")}
        if case["expected"] == "pass":
            assert by_engine == {"opa": [], "checkov": []}, (case["file"], by_engine)
            continue
        assert by_engine["opa"], (case["file"], by_engine)
        # Where a rule has checkov checks that mirror it (METADATA aliases), checkov fails too.
        mirrored = {a for f in by_engine["opa"] for c in f["checks"] for a in ALIASES.get(c, ())}
        if mirrored:
            assert {c for f in by_engine["checkov"] for c in f["checks"]} & mirrored, (case["file"], by_engine)
