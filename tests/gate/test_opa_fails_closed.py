"""The gate fails closed on bad policies and bad decisions: a policy set that does not parse or
compile is named by file and line, and a decision that is undefined, names no rules, evaluates
none or carries a malformed finding is a tool error (exit 3), never a pass."""

from __future__ import annotations

import pytest

from eksiam.errors import ToolError, UsageError
from eksiam.gate.inputs import load_input
from eksiam.gate.opa import run_opa
from eksiam.gate.opa.transport import TOKEN_ENV
from tests.opa_double import OpaServerDouble

from opa_fixtures import COMPLIANT, POLICY, RENAMED, policy_copy


def test_parse_error_names_the_file_and_line(tmp_path):
    policy = policy_copy(tmp_path, {"checks/broken.rego": "package eksiam.rules.broken\n\nx := ]\n"})
    with pytest.raises(ToolError, match=r"policy/checks/broken\.rego:3: rego_parse_error"):
        run_opa([load_input(COMPLIANT)], policy)


def test_compile_error_names_the_file_and_line(tmp_path):
    policy = policy_copy(tmp_path, {"checks/typo.rego": "package eksiam.rules.typo\n\nrule_id := \"T\"\n\ndeny contains x if {\n\tx := upperr(input.a)\n}\n"})
    with pytest.raises(ToolError, match=r"policy/checks/typo\.rego:6: rego_type_error: undefined function upperr"):
        run_opa([load_input(COMPLIANT)], policy)


def test_function_cycle_between_modules_loads_at_start_but_is_named_when_uploaded(tmp_path, monkeypatch):
    # Valid Rego when compiled together, as the embedded engine loads the set at start (and
    # `opa run` its files); over OPA's policy API no module of the cycle can be uploaded first.
    first = "package eksiam.lib.first\n\nimport data.eksiam.lib.second\n\nf(x) := x + 1\n\ng(x) := second.h(x)\n"
    second = "package eksiam.lib.second\n\nimport data.eksiam.lib.first\n\nh(x) := x * 2\n\nk(x) := first.f(x)\n"
    policy = policy_copy(tmp_path, {"lib/first.rego": first, "lib/second.rego": second})
    assert [f.rule for f in run_opa([load_input(RENAMED)], policy).findings] == ["EKSIAM-TEST-001"]
    with OpaServerDouble() as remote:
        monkeypatch.setenv(TOKEN_ENV, remote.token)
        with pytest.raises(ToolError, match=r"policy/lib/first\.rego, .*policy/lib/second\.rego depend on one another's functions"):
            run_opa([load_input(COMPLIANT)], policy, opa_url=remote.url)


def test_v0_rego_is_rejected_not_rewritten(tmp_path):
    # opa-python-client can rewrite v0 syntax and retry; the gate must not depend on that.
    policy = policy_copy(tmp_path, {"checks/old.rego": "package eksiam.rules.old\n\ndeny[msg] {\n\tmsg := \"x\"\n}\n"})
    with pytest.raises(ToolError, match=r"old\.rego:3: rego_parse_error: `(if|contains)` keyword is required"):
        run_opa([load_input(COMPLIANT)], policy)


def test_missing_policy_directory_fails_closed(tmp_path):
    with pytest.raises(ToolError, match="policy directory .* does not exist"):
        run_opa([load_input(COMPLIANT)], tmp_path / "nowhere")


def test_undefined_decision_fails_closed(tmp_path):
    policy = policy_copy(tmp_path, remove=("main.rego",))
    with pytest.raises(ToolError, match=r"no decision for data\.eksiam\.main on .*compliant-node-role\.json"):
        run_opa([load_input(COMPLIANT)], policy)


def test_decision_without_rules_fails_closed(tmp_path):
    main = (POLICY / "main.rego").read_text().replace("rules contains", "rule_ids contains")
    policy = policy_copy(tmp_path, {"main.rego": main})
    with pytest.raises(ToolError, match=r"has no rules"):
        run_opa([load_input(COMPLIANT)], policy)


def test_zero_rules_evaluated_fails_closed(tmp_path):
    policy = policy_copy(tmp_path, remove=("checks/role_name.rego", "checks/role_name_test.rego"))
    with pytest.raises(ToolError, match=r"evaluated no rules"):
        run_opa([load_input(COMPLIANT)], policy)


@pytest.mark.parametrize(
    "finding, problem",
    [
        ('{"id": "EKSIAM-X", "severity": "HIGH", "resource": "r"}', "without msg"),
        ('{"id": "EKSIAM-X", "severity": "HIGH", "msg": "m"}', "without resource"),
        ('{"severity": "HIGH", "resource": "r", "msg": "m"}', "without id"),
        ('{"id": "EKSIAM-X", "severity": "SEVERE", "resource": "r", "msg": "m"}', "unknown severity 'SEVERE'"),
        ('"just a string"', "not an object"),
    ],
)
def test_malformed_finding_fails_closed(tmp_path, finding, problem):
    rule = f'package eksiam.rules.bad\n\nrule_id := "EKSIAM-X"\n\ndeny contains {finding}\n'
    policy = policy_copy(tmp_path, {"checks/bad.rego": rule})
    with pytest.raises(ToolError, match=problem):
        run_opa([load_input(COMPLIANT)], policy)


def test_evaluation_error_fails_closed(tmp_path):
    rule = 'package eksiam.rules.conflict\n\nrule_id := "EKSIAM-C"\nrule_id := "EKSIAM-D" if input.resource\n'
    policy = policy_copy(tmp_path, {"checks/conflict.rego": rule})
    with pytest.raises(ToolError, match=r"failed to evaluate data\.eksiam\.main .*eval_conflict_error"):
        run_opa([load_input(COMPLIANT)], policy)


def test_no_documents_is_a_usage_error():
    with pytest.raises(UsageError, match="nothing to check"):
        run_opa([], POLICY)
