"""The free-tier bundle (eksiam.gate.rego_bundle) reads Rego by tokens, assuming a layout: every
rule head starts a line, one package line, data imports on lines of their own. This holds it
to OPA's own parse of every module it bundles, so a change of Rego syntax or layout that the
tokenizer would misread fails here instead of silently changing the generated policies."""

from __future__ import annotations

from typing import Any

import pytest

from eksiam.gate.rego_bundle import head_name
from eksiam.gate.rules_doc import POLICY_DIR, bundle_modules

MODULES = bundle_modules(POLICY_DIR)


def opa_parse(engine, module) -> dict[str, Any]:
    source = (POLICY_DIR / module.path).read_text(encoding="utf-8")
    return engine.eval_query("ast := rego.parse_module(input.id, input.raw)", {"id": module.path, "raw": source})[0]["ast"]


def _terms(ref: list[dict[str, Any]]) -> list[str]:
    return [str(term["value"]) for term in ref]


def test_the_bundle_holds_the_rules_and_libraries():
    packages = {module.package for module in MODULES}
    assert "eksiam.hcp" in packages and any(p.startswith("eksiam.rules.") for p in packages)
    assert any(p.startswith("eksiam.lib.") for p in packages)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.path)
def test_the_tokenizer_reads_each_module_as_opa_parses_it(policy_engine, module):
    ast = opa_parse(policy_engine, module)
    assert module.package == ".".join(_terms(ast["package"]["path"])[1:])
    # Every rule, in order, with its name: OPA nests `else` branches in their rule, as the
    # tokenizer keeps them in the rule's span.
    opa_rules = [rule["head"].get("name") or _terms(rule["head"]["ref"])[0] for rule in ast["rules"]]
    assert [head_name(rule) for rule in module.rules] == opa_rules
    imported = {
        str(entry.get("alias") or _terms(entry["path"]["value"])[-1]): ".".join(_terms(entry["path"]["value"])[1:])
        for entry in ast.get("imports", [])
        if _terms(entry["path"]["value"])[0] == "data"
    }
    assert module.aliases == imported
