"""The free-tier bundler (eksiam.gate.rego_bundle) on small modules: what it rewrites keeps
the modules' meaning, and what it cannot rewrite safely it refuses by name."""

from __future__ import annotations

import pytest

from opa_bindings import OpaEngine

from eksiam.errors import UsageError
from eksiam.gate.rego_bundle import bundle, parse_module


HELPER = """package eksiam.lib.names

import rego.v1

prefix := "eks-"

named(name) := concat("", [prefix, name])
"""
RULE = """# METADATA
# title: t
# custom:
#   id: EKSIAM-TEST-001
#   severity: LOW
package eksiam.rules.test_001

import rego.v1

import data.eksiam.lib.names

row := "rule value"

# `row` is an argument here: it shadows the rule of the same name.
label(row) := names.named(row)

deny contains finding if {
	some role in input.roles
	finding := {"id": rego.metadata.chain()[0].annotations.custom.id, "msg": label(role), "row": row, "kind": data.eksiam.lib.names.prefix}
}
"""


def bundled(*sources: str, annotations=None) -> OpaEngine:
    modules = [parse_module(f"m{i}.rego", s, annotations if "rules" in s else None) for i, s in enumerate(sources)]
    engine = OpaEngine()
    engine.add_policy("bundle.rego", bundle(modules, "eksiam.bundled", ["test"]))
    return engine


def test_bundle_keeps_the_meaning_of_the_modules():
    engine = bundled(HELPER, RULE, annotations={"custom": {"id": "EKSIAM-TEST-001", "severity": "LOW"}})
    found = engine.eval_query("x := data.eksiam.bundled.test_001__deny", {"roles": ["node"]})[0]["x"]
    assert found == [{"id": "EKSIAM-TEST-001", "msg": "eks-node", "row": "rule value", "kind": "eks-"}]


@pytest.mark.parametrize("source, problem", [
    ("package eksiam.rules.x\n\nimport rego.v1\n\nimport data.eksiam.lib.names\n\nall := names\n", "used as a whole package"),
    ("package eksiam.rules.x\n\nimport rego.v1\n\nv := data.eksiam.lib.elsewhere.value\n", "cannot bundle the reference"),
    ("package eksiam.rules.x\n\nimport rego.v1\n\nimport data.eksiam.lib.names\n\nv := names.missing\n", "does not define"),
    ("package eksiam.rules.x\n\nimport rego.v1\n\nv := rego.metadata.rule()\n", "only rego.metadata.chain()"),
    ("package eksiam.rules.x\n\nimport rego.v1\n\nimport data.eksiam.lib.names\n\nf(names) := names.x\n",
     "shadows the import names"),
])
def test_bundle_refuses_what_it_cannot_rewrite(source, problem):
    with pytest.raises(UsageError, match=problem):
        bundled(HELPER, source)


def test_bundle_refuses_a_variable_named_like_its_own_rules():
    source = "package eksiam.rules.x\n\nimport rego.v1\n\nv := [messages | some messages in input.m]\n"
    with pytest.raises(UsageError, match="uses the name 'messages'"):
        bundle([parse_module("x.rego", source)], "eksiam.bundled", [], extra_rules=["messages := []"])


def test_bundle_reads_import_aliases():
    module = parse_module("x.rego", "package eksiam.rules.x\n\nimport rego.v1\n\nimport data.eksiam.lib.base\n"
                                    "import data.eksiam.lib.testing as t\n\nv := base.value\n")
    assert module.aliases == {"base": "eksiam.lib.base", "t": "eksiam.lib.testing"}
    assert module.rule_names == {"v"}
