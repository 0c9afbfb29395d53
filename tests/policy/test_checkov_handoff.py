"""The OPA -> checkov hand-off has one shape (policy/schema/checkov_handoff.json), checked on
what the writer makes of OPA's decision on every input the tests hold; and it maps each name
checkov gives a file back to exactly one input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from eksiam.gate.checkov.handoff import NO_ROLES, SCHEMA_FILE, handoff
from rego_harness import schema_validator
from test_view_schema import inputs

SCHEMA = json.loads(SCHEMA_FILE.read_text())
VALIDATOR = schema_validator(SCHEMA_FILE)


def checkov_identity(engine, document) -> dict:
    return engine.eval_query("x := data.eksiam.main.checkov", document)[0]["x"]


@pytest.mark.parametrize("path", inputs(), ids=lambda p: p.name)
def test_the_handoff_of_every_corpus_input_matches_the_schema(policy_engine, path, tmp_path):
    document = json.loads(path.read_text(encoding="utf-8"))
    identity = checkov_identity(policy_engine, document)
    written = handoff({str(path): tmp_path / "0" / "cdk.tf.json", "other.json": tmp_path / "1" / "plan.json"}, {str(path): identity})
    value = written.to_json()
    VALIDATOR.validate(value)
    assert [entry["identity"] for entry in value["files"]] == [identity, NO_ROLES]


def test_the_synthesized_stacks_identify_their_roles_within_the_schema(policy_engine, synthesized):
    for name, document in synthesized.items():
        identity = checkov_identity(policy_engine, document)
        assert identity["roles"], f"{name} holds an EKS role"
        VALIDATOR.validate(handoff({name: Path("/s/0/cdk.tf.json")}, {name: identity}).to_json())


def test_the_schema_knows_exactly_the_role_kinds_the_rules_judge(policy_engine):
    kinds = policy_engine.eval_query("x := data.eksiam.lib.identity.kinds", {})[0]["x"]
    assert sorted(SCHEMA["$defs"]["role"]["properties"]["kind"]["enum"]) == sorted(kinds)


def test_no_identity_is_null_and_a_malformed_one_is_refused():
    VALIDATOR.validate(handoff({"a.json": Path("/s/0/cdk.tf.json")}, None).to_json())
    bad = handoff({"a.json": Path("/s/0/cdk.tf.json")}, {"a.json": {"roles": {"aws_iam_role.r": {"kind": "admin"}}, "links": {}}})
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(bad.to_json())


def test_every_name_checkov_gives_a_copy_maps_back_to_its_input():
    given = handoff({"synth.json": Path("/s/0/plan.json"), "plan.json": Path("/s/1/plan.json"), "x": Path("/s/10/plan.json")}, None)
    # From its working directory or the files' common directory, in full, or as given.
    assert given.input_of("/1/plan.json") == "plan.json"
    assert given.input_of("/s/10/plan.json") == "x"
    assert given.input_of("/0/plan.json") == "synth.json"
    # A name two copies could have (checkov's root being one file's directory) is no one's.
    assert given.input_of("/plan.json") is None
    assert given.input_of("/2/plan.json") is None
    assert handoff({"only": Path("/s/0/plan.json")}, None).input_of("/plan.json") == "only"
