"""One flaw, one finding: merging what several checks of either engine saw of one flaw.

The mirrors of each rule come from the policies' own METADATA (``custom.aliases``), as in a run.
"""

from __future__ import annotations

import pytest

from eksiam.gate import POLICY_DIR
from eksiam.gate.findings import Finding, Severity
from eksiam.gate.flaws import merge_flaws, onto_synth_files
from eksiam.gate.report import load_rule_metadata

FILE = "cdktf.out/stacks/eksiam-node/cdk.tf.json"
ROLE = "aws_iam_role.node_role"
ADMIN = "aws_iam_role_policy_attachment.node_admin"
POWER = "aws_iam_role_policy_attachment.node_power"


@pytest.fixture(scope="module")
def rules():
    return load_rule_metadata(POLICY_DIR)


def opa(rule: str, severity: Severity, carrier: str = "", message: str = "", resource: str = ROLE, file: str = FILE) -> Finding:
    return Finding(rule, severity, "opa", resource, message or f"{rule} on {carrier or resource}", file=file, carrier=carrier)


def checkov(rule: str, resource: str, severity: Severity = Severity.HIGH, file: str = FILE) -> Finding:
    return Finding(rule, severity, "checkov", resource, f"{resource}: {rule}", file=file)


def admin_attachment_findings(rules, carrier: str = ADMIN) -> list[Finding]:
    """What both engines report for one administrator-level attachment on the node role."""
    role_003, node_003 = rules["EKSIAM-ROLE-003"], rules["EKSIAM-NODE-003"]
    return [
        opa(role_003.id, role_003.severity, carrier),
        opa(node_003.id, node_003.severity, carrier),
        *(checkov(alias, carrier) for alias in role_003.aliases[:2]),
        checkov(node_003.aliases[0], ROLE),  # the node check judges the role's attachments
    ]


def test_one_attachment_seen_by_five_checks_is_one_finding(rules):
    seen = admin_attachment_findings(rules)
    (merged,) = merge_flaws(seen, rules)
    assert merged.rule == "EKSIAM-ROLE-003" and merged.engine == "opa"  # the primary: the most severe OPA rule
    assert merged.severity == max(f.severity for f in seen)
    assert merged.resource == ROLE and merged.carrier == ADMIN and merged.file == FILE
    assert set(merged.checks) == {f.rule for f in seen} and merged.checks[0] == merged.rule
    assert merged.checks[1] == "EKSIAM-NODE-003"  # the other OPA rule before the checkov checks
    assert merged.engines == ("opa", "checkov")
    assert merged.message == seen[0].message  # the primary rule's sentence


def test_two_attachments_are_two_findings(rules):
    merged = merge_flaws([*admin_attachment_findings(rules, ADMIN), *admin_attachment_findings(rules, POWER)], rules)
    assert sorted(f.carrier for f in merged) == [ADMIN, POWER]
    # A check that judged the role (not an attachment) saw both flaws: each lists it.
    node_check = rules["EKSIAM-NODE-003"].aliases[0]
    assert all(node_check in f.checks for f in merged)


def test_findings_without_a_carrier_stay_apart(rules):
    missing = [opa("EKSIAM-NODE-002", Severity.HIGH, message=f"Node role lacks {name}.") for name in ("A", "B", "C")]
    merged = merge_flaws(missing, rules)
    assert sorted(f.message for f in merged) == sorted(f.message for f in missing)
    assert all(f.checks == ("EKSIAM-NODE-002",) and f.engines == ("opa",) for f in merged)


def test_a_mirror_joins_the_rule_it_mirrors_on_the_role(rules):
    trust = rules["EKSIAM-NODE-001"]
    (merged,) = merge_flaws([opa(trust.id, trust.severity), checkov(trust.aliases[0], ROLE)], rules)
    assert merged.checks == (trust.id, trust.aliases[0])


def test_an_unrelated_check_on_the_role_stays_apart(rules):
    trust = rules["EKSIAM-NODE-001"]
    merged = merge_flaws([opa(trust.id, trust.severity), checkov("CKV_AWS_61", ROLE)], rules)
    assert sorted(f.rule for f in merged) == sorted([trust.id, "CKV_AWS_61"])


def test_any_check_failing_on_the_carrier_is_about_its_flaw(rules):
    extra = rules["EKSIAM-NODE-003"]
    (merged,) = merge_flaws([opa(extra.id, extra.severity, ADMIN), checkov("CKV_AWS_999", ADMIN, Severity.CRITICAL)], rules)
    assert merged.rule == extra.id  # the OPA rule stays primary…
    assert merged.severity is Severity.CRITICAL  # …with the highest severity of what saw it
    assert merged.checks == (extra.id, "CKV_AWS_999")


def test_other_files_do_not_merge(rules):
    role_003 = rules["EKSIAM-ROLE-003"]
    merged = merge_flaws([opa(role_003.id, role_003.severity, ADMIN), checkov(role_003.aliases[0], ADMIN, file="other.tf.json")], rules)
    assert len(merged) == 2


def test_checkov_mirrors_of_one_rule_merge_without_the_rule(rules):
    role_003 = rules["EKSIAM-ROLE-003"]
    alone = [checkov(alias, ADMIN) for alias in role_003.aliases[:2]]
    merged = merge_flaws([*alone, checkov("CKV_AWS_61", ROLE)], rules)
    assert sorted(sorted(f.checks) for f in merged) == sorted([["CKV_AWS_61"], sorted(f.rule for f in alone)])
    assert all(f.engines == ("checkov",) for f in merged)


def test_several_sentences_of_the_primary_rule_are_kept(rules):
    role_003 = rules["EKSIAM-ROLE-003"]
    both = [opa(role_003.id, role_003.severity, ADMIN, "Allows *."), opa(role_003.id, role_003.severity, ADMIN, "Allows iam:*.")]
    (merged,) = merge_flaws(both, rules)
    assert "Allows *." in merged.message and "Allows iam:*." in merged.message


def test_merging_twice_changes_nothing(rules):
    once = merge_flaws(admin_attachment_findings(rules), rules)
    assert merge_flaws(once, rules) == once


def test_a_merged_finding_survives_a_json_round_trip(rules):
    (merged,) = merge_flaws(admin_attachment_findings(rules), rules)
    data = merged.to_json()
    assert data["checks"] == list(merged.checks) and data["engines"] == ["opa", "checkov"] and data["carrier"] == ADMIN
    again = Finding(**{**data, "severity": Severity[data["severity"]]})
    assert again == merged and hash(again) == hash(merged)


def test_a_flaw_only_the_plan_shows_is_kept_beside_the_synth_files(rules):
    """A plan's findings move onto the synthesized file: one the synthesized file already has
    is dropped, one about another carrier of the same role stays."""
    plan = "run/plan/eksiam-node/plan.json"
    role_003 = rules["EKSIAM-ROLE-003"]
    in_synth = opa(role_003.id, role_003.severity, ADMIN, "Synth: admin.")
    again_in_plan = opa(role_003.id, role_003.severity, ADMIN, "Plan: admin, resolved.", file=plan)
    only_in_plan = opa(role_003.id, role_003.severity, POWER, "Plan: power user.", file=plan)
    shown = merge_flaws(onto_synth_files([in_synth, again_in_plan, only_in_plan], {plan: FILE}), rules)
    assert sorted((f.carrier, f.message, f.file) for f in shown) == [(ADMIN, "Synth: admin.", FILE), (POWER, "Plan: power user.", FILE)]
