"""The normalized role view every adapter produces has one shape (policy/schema/role_view.json),
checked on every input the tests hold: synthesized stacks, real plans, HCP inputs, snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rego_harness import POLICY_DIR, schema_validator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VALIDATOR = schema_validator(POLICY_DIR / "schema" / "role_view.json")


def inputs() -> list[Path]:
    """Every corpus input but the fault ones (which no reader accepts) and those with
    duplicate keys (which the gate's reader rejects before any adapter sees them)."""
    realworld = [p for p in sorted((FIXTURES / "realworld").glob("*.json")) if p.name != "manifest.json"]
    adversarial = FIXTURES / "adversarial"
    cases = json.loads((adversarial / "manifest.json").read_text())
    return realworld + [
        adversarial / case[key]
        for case in cases
        if case["kind"] != "fault" and "dupkey" not in case["case"]
        for key in ("synth", "plan")
        if case.get(key)
    ]


def roles(engine, document) -> list:
    return engine.eval_query("x := data.eksiam.lib.view.roles", document)[0]["x"]


@pytest.mark.parametrize("path", inputs(), ids=lambda p: p.name)
def test_every_adapter_output_matches_the_schema(policy_engine, path):
    document = json.loads(path.read_text(encoding="utf-8"))
    view = roles(policy_engine, document)
    VALIDATOR.validate(view)
    if isinstance(document, dict) and "resource_changes" in document:
        VALIDATOR.validate(roles(policy_engine, {"plan": document, "run": {"id": "run-x"}}))


def test_synthesized_stacks_match_the_schema(policy_engine, synthesized):
    for document in synthesized.values():
        view = roles(policy_engine, document)
        assert view, "the synthesized stack holds a role"
        VALIDATOR.validate(view)


def test_schema_rejects_a_view_missing_what_rules_read():
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate([{"resource": "aws_iam_role.x", "kind": "node"}])
