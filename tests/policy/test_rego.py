"""Runs every ``test_*`` rule of every ``*_test.rego`` under policy/ as its own pytest item,
through the embedded OPA engine, with ``opa test``'s meaning: a test passes when the rule
evaluates to true; false, undefined or an evaluation error fails it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from opa_bindings import OpaEngine, OpaError

from eksiam.gate.policy_set import policy_files
from rego_harness import POLICY_DIR, load_engine

PACKAGE = re.compile(r"^package\s+([\w.]+)\s*$", re.MULTILINE)
# A test rule starts a line: `test_x if {`, `test_x := …`, `test_x contains …` is not a test.
TEST_RULE = re.compile(r"^(test_\w+)\b(?!\s+contains)", re.MULTILINE)


@dataclass(frozen=True)
class RegoTest:
    file: str
    package: str
    name: str

    @property
    def query(self) -> str:
        return f"data.{self.package}.{self.name}"


def collect(policy_dir: Path = POLICY_DIR) -> list[RegoTest]:
    tests: list[RegoTest] = []
    for path in sorted(policy_dir.rglob("*_test.rego")):
        text = path.read_text(encoding="utf-8")
        package = PACKAGE.search(text)
        assert package, f"{path} has no package line"
        names = dict.fromkeys(TEST_RULE.findall(text))  # a test may have several bodies
        rel = str(path.relative_to(policy_dir.parent))
        tests.extend(RegoTest(rel, package.group(1), name) for name in names)
    return tests


_PACKAGE_RESULTS: dict[tuple[int, str], dict | None] = {}


def run(engine: OpaEngine, test: RegoTest, packages: tuple[str, ...] = ()) -> str | None:
    """None when the test passes, else why it failed.

    Preparing a query costs the engine about as much as evaluating every test, so all the
    ``packages`` (test's own included) are evaluated in one query, once; when that errors,
    each package alone, and a package whose evaluation errors falls back to one query per
    test so the error is pinned on the test that raises it.
    """
    key = (id(engine), test.package)
    if key not in _PACKAGE_RESULTS:
        _evaluate_packages(engine, tuple(dict.fromkeys((test.package, *packages))))
    results = _PACKAGE_RESULTS[key]
    if results is not None:
        if test.name not in results:
            return f"{test.query} is undefined (some expression in its body did not hold)"
        if results[test.name] is not True:
            return f"{test.query} evaluated to {results[test.name]!r}, not true"
        return None
    return run_alone(engine, test)


def _evaluate_packages(engine: OpaEngine, packages: tuple[str, ...]) -> None:
    try:
        found = engine.eval_query("; ".join(f"x{index} := data.{package}" for index, package in enumerate(packages)))
        for index, package in enumerate(packages):
            _PACKAGE_RESULTS[(id(engine), package)] = found[0][f"x{index}"] if found else {}
        return
    except OpaError:
        if len(packages) > 1:
            for package in packages:
                _evaluate_packages(engine, (package,))
            return
    _PACKAGE_RESULTS[(id(engine), packages[0])] = None


def run_alone(engine: OpaEngine, test: RegoTest) -> str | None:
    try:
        bindings = engine.eval_query(f"x := {test.query}")
    except OpaError as error:
        return f"{test.query} raised {error}"
    if not bindings:
        return f"{test.query} is undefined (some expression in its body did not hold)"
    value = bindings[0]["x"]
    if value is not True:
        return f"{test.query} evaluated to {value!r}, not true"
    return None


TESTS = collect()


def test_every_rule_file_has_tests():
    rule_files = {
        p for p in policy_files(POLICY_DIR)
        if "lib" not in p.parts
        and p.name not in {"main.rego", "hcp.rego"}
    }
    for rule in rule_files:
        test_file = rule.with_name(rule.stem + "_test.rego")
        assert test_file.exists(), f"{rule} has no {test_file.name} beside it"
        names = [t.name for t in TESTS if t.file.endswith(test_file.name) and str(test_file).endswith(t.file)]
        assert any(n.startswith("test_deny_") for n in names), f"{test_file} has no test_deny_*"
        assert any(n.startswith("test_allow_") for n in names), f"{test_file} has no test_allow_*"


def test_collects_the_suite():
    # Guards against a collector regression that would make the suite vacuous.
    assert len(TESTS) >= 100
    assert len({t.package for t in TESTS}) >= 14


PACKAGES = tuple(dict.fromkeys(t.package for t in TESTS))


# The tests share one evaluation (run), so they run on one xdist worker.
@pytest.mark.parametrize("test", TESTS, ids=[f"{t.file}::{t.name}" for t in TESTS])
@pytest.mark.xdist_group("rego")
def test_rego(policy_engine, test):
    failure = run(policy_engine, test, PACKAGES)
    assert failure is None, failure


BROKEN = """package eksiam.broken_test

import rego.v1

test_false if false

test_undefined if input.nothing == 1

test_true if true

test_error if 1 / 0 == 1
"""


def test_runner_detects_failing_tests(tmp_path):
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "broken_test.rego").write_text(BROKEN)
    found = collect(tmp_path / "policy")
    assert [t.name for t in found] == ["test_false", "test_undefined", "test_true", "test_error"]
    engine = load_engine(tmp_path / "policy")
    results = {t.name: run(engine, t) for t in found}
    assert results["test_true"] is None
    assert "not true" in results["test_false"] or "undefined" in results["test_false"]
    assert "undefined" in results["test_undefined"]
    assert results["test_error"] is not None


OVERRIDES = """package eksiam.overrides

import rego.v1

node := {"allow_ssm_managed_instance_core": true}
"""


def test_overrides_package_sets_a_default_for_the_whole_policy_set(policy_engine):
    # How an HCP Terraform policy set, which takes no JSON data, changes a setting; the
    # suite's own tests must still compile beside such a package (no `with` on it).
    node = policy_engine.eval_document("eksiam.lib.testing.node_documented")
    node["resource"]["aws_iam_role_policy_attachment"]["ssm"] = {
        "role": "${aws_iam_role.node_role.name}",
        "policy_arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    assert [f["id"] for f in policy_engine.eval_document("eksiam.main.findings", node)] == ["EKSIAM-NODE-005"]
    engine = load_engine(extra={"overrides.rego": OVERRIDES})
    try:
        assert engine.eval_document("eksiam.main.findings", node) == []
        assert engine.eval_query("x := data.eksiam.rules.node_003_test.test_allow_ssm_when_opted_in")[0]["x"] is True
    finally:
        engine.close()
