"""The adversarial corpus (tests/fixtures/adversarial/README.md): inputs built to give an EKS
role more than AWS documents and still pass. Each insecure case fails (its synthesized file and,
where Terraform could plan it offline, its real plan), each control passes, each fault input is
rejected with one line and exit 2, and a role nothing identifies as an EKS role is not judged."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from eksiam.cli import main
from eksiam.errors import UsageError
from eksiam.gate.inputs import load_input
from rego_harness import load_engine

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("adversarial-corpus")

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "adversarial"
CASES = json.loads((CORPUS / "manifest.json").read_text())


def files_of(case: dict) -> list[str]:
    return [case[key] for key in ("synth", "plan", "hcp") if case.get(key)]


def readable_input(path: Path) -> bool:
    try:
        load_input(path)
    except UsageError:
        return False
    return True


def toml_of(config: dict) -> str:
    lines = []
    for section, values in config.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, list[dict]]:
    """OPA alone on every non-fault file, one gate run per configuration: findings by file."""
    groups: dict[str, list[str]] = defaultdict(list)
    for case in CASES:
        if case["kind"] != "fault":
            groups[json.dumps(case.get("config") or {}, sort_keys=True)] += files_of(case)
    found: dict[str, list[dict]] = {}
    for config, files in groups.items():
        config_file = tmp_path_factory.mktemp("config") / "eksiam.toml"
        config_file.write_text(toml_of(json.loads(config)))
        output = config_file.with_name("report.json")
        argv = ["check", "--no-checkov", "--format", "json", "--output", str(output), "--config", str(config_file)]
        # A file the reader rejects (duplicate keys: exit 2) would stop the run: set apart.
        readable = [f for f in files if readable_input(CORPUS / f)]
        rejected = set(files) - set(readable)
        main([*argv, "--input", *(str(CORPUS / f) for f in readable)])
        report = json.loads(output.read_text())
        for f in readable:
            found[f] = [x for x in report["findings"] if Path(x.get("file", "")).name == f]
        for f in rejected:
            found[f] = [{"rule": "rejected"}]
    return found


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "insecure"], ids=lambda c: c["case"])
def test_insecure_case_fails_on_opa_alone(case, verdicts):
    for f in files_of(case):
        assert verdicts[f], f"{f} passed: {case['what']}"


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "secure"], ids=lambda c: c["case"])
def test_control_case_passes(case, verdicts):
    for f in files_of(case):
        assert verdicts[f] == [], verdicts[f]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "not_eks"], ids=lambda c: c["case"])
def test_role_no_eks_role_is_not_judged(case, verdicts):
    for f in files_of(case):
        assert verdicts[f] == [], verdicts[f]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "fault"], ids=lambda c: c["case"])
def test_fault_input_is_rejected_with_one_line(case, capsys):
    code = main(["check", "--no-checkov", "--input", str(CORPUS / case["synth"])])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err


def test_corpus_figures():
    kinds = defaultdict(int)
    for case in CASES:
        kinds[case["kind"]] += 1
    assert kinds["insecure"] >= 40 and kinds["secure"] >= 5 and kinds["fault"] >= 5


@pytest.mark.integration  # runs checkov
def test_both_engines_fail_every_insecure_case_and_pass_the_controls(capsys):
    """One gate run with OPA and checkov over the corpus. A file checkov cannot evaluate is an
    error for that file (exit 3), with OPA's findings for it still in the report."""
    cases = [c for c in CASES if c["kind"] in ("insecure", "secure") and not c.get("config") and all(readable_input(CORPUS / f) for f in files_of(c))]
    files = [str(CORPUS / f) for c in cases for f in files_of(c)]
    code = main(["check", "--format", "json", "--no-cache", *(a for f in files for a in ("--input", f))])
    report = json.loads(capsys.readouterr().out)
    errors = {Path(e["file"]).name for e in report["errors"]}
    assert code == (3 if errors else 1) and report["summary"]["checkov"]["passed"] > 0
    for case in cases:
        for f in files_of(case):
            found = [x for x in report["findings"] if Path(x.get("file", "")).name == f]
            if case["kind"] == "insecure":
                assert any(x["engine"] == "opa" for x in found), f"{f}: {case['what']}"
            else:
                assert found == [] and f not in errors, (f, found)


def test_every_adapter_reads_repeated_data_sources_and_modules():
    """Data sources with for_each, a module called with count and again by another name, and
    outputs whose values hold a "resources" list: the Terraform JSON, the plan and its HCP form
    go through every adapter, the gate's query and the HCP policy set's, and the node role
    comes out judged as documented."""
    case = "node_secure_repeated_data_modules"
    plan = json.loads((CORPUS / f"{case}.plan.json").read_text())
    synth = json.loads((CORPUS / f"{case}.tf.json").read_text())
    hcp = {"plan": plan, "run": {"id": "run-adversarial", "is_destroy": False}}
    engine = load_engine()
    static = engine.eval_query(
        "rows := [a | some r in data.eksiam.lib.plan.resources; a := data.eksiam.lib.terraform.static_address(r.address)]", plan,
    )[0]["rows"]
    assert len(static) > len(set(static)), "the plan must repeat static addresses for this test to mean anything"
    for document in (synth, plan, hcp):
        result = engine.eval_query("main := data.eksiam.main; hcp := data.eksiam.hcp.messages", document)[0]
        assert [r["resource"] for r in result["main"]["roles"] if r["kind"] == "node"] == ["aws_iam_role.node_role"]
        assert result["main"]["findings"] == [], result["main"]["findings"]
        assert all(messages == [] for messages in result["hcp"].values()), result["hcp"]


# Known gap of the HCP policy set, which reports EKSIAM-INPUT-002 only for a role that could be
# an EKS role (policy/hcp.rego): a literal role name in another case is taken for another
# workspace's role.
HCP_GAPS = {("node_role_literal_name_other_case", "plan")}


def test_hcp_policy_set_fails_every_insecure_plan_and_passes_the_controls():
    """Each plan and HCP case as HCP Terraform evaluates the per-rule policy set (one engine,
    every query of data.eksiam.hcp.messages): an insecure case has a message, a control none."""
    engine = load_engine()
    wrong = set()
    for case in CASES:
        if case["kind"] not in ("insecure", "secure") or case.get("config"):
            continue
        for key in ("plan", "hcp"):
            if not case.get(key):
                continue
            document = json.loads((CORPUS / case[key]).read_text())
            hcp = document if key == "hcp" else {"plan": document, "run": {"id": "run-adversarial", "is_destroy": False}}
            messages = engine.eval_query("m := data.eksiam.hcp.messages", hcp)[0]["m"]
            if (case["kind"] == "insecure") != any(messages.values()):
                wrong.add((case["case"], key))
    assert wrong == HCP_GAPS
