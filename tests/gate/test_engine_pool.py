"""The in-process evaluator's compiled engines, kept for the next run in the process: a run
is judged by exactly its own policy set and settings, whatever ran before it or beside it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eksiam.errors import ToolError
from eksiam.gate.inputs import load_input
from eksiam.gate.opa import run_opa

from opa_fixtures import COMPLIANT, POLICY, RENAMED, policy_copy


def failing_inputs(policy: Path, role_name: str | None) -> list[str]:
    """Which of the two inputs fail when the node role must be named ``role_name``."""
    config = {"node": {"role_name": role_name}} if role_name else None
    outcome = run_opa([load_input(RENAMED), load_input(COMPLIANT)], policy, policy_config=config)
    return sorted(Path(f.file).name for f in outcome.findings)


def test_each_run_is_judged_by_its_own_settings_whatever_ran_before():
    # More settings than engines kept: every run after the first reuses or evicts one.
    expected = {
        None: ["renamed-node-role.json"],
        "RenamedNodeRole": ["compliant-node-role.json"],
        "NodeInstanceRole": ["renamed-node-role.json"],
        "ThirdName": ["compliant-node-role.json", "renamed-node-role.json"],
    }
    for role_name in [None, "RenamedNodeRole", None, "ThirdName", "NodeInstanceRole", "RenamedNodeRole", None]:
        assert failing_inputs(POLICY, role_name) == expected[role_name], role_name


def test_a_policy_set_changed_between_runs_is_compiled_anew(tmp_path):
    policy = policy_copy(tmp_path)
    assert failing_inputs(policy, None) == ["renamed-node-role.json"]
    rule = policy / "checks" / "role_name.rego"
    rule.write_text(rule.read_text().replace('default expected := "NodeInstanceRole"', 'default expected := "RenamedNodeRole"'))
    assert failing_inputs(policy, None) == ["compliant-node-role.json"]
    rule.write_text(rule.read_text() + "\nbroken := ]\n")
    with pytest.raises(ToolError, match="OPA rejected the policy set"):
        failing_inputs(policy, None)


def test_concurrent_runs_never_share_an_engine():
    names = [None, "RenamedNodeRole"] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda name: failing_inputs(POLICY, name), names))
    assert results == [
        ["renamed-node-role.json"] if name is None else ["compliant-node-role.json"] for name in names
    ]
