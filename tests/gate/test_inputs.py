"""eksiam.gate.inputs: --input files are read strictly and recognised by content, never by name."""

from __future__ import annotations

import dataclasses
import json
import shlex
import sys
from pathlib import Path

import pytest

from opa_bindings import OpaEngine

from eksiam.errors import UsageError
from eksiam.gate import POLICY_DIR
from eksiam.gate.inputs import InputDocument, InputKind, detect_kind, load_input, load_inputs

PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.11.0",
    "planned_values": {"root_module": {"resources": []}},
    "resource_changes": [],
    "configuration": {"root_module": {"resources": []}},
}
SYNTH = {
    "//": {"metadata": {"stackName": "eksiam-node"}},
    "terraform": {"required_providers": {"aws": {"source": "aws", "version": "5.100.0"}}},
    "resource": {"aws_iam_role": {"node_role": {"name": "NodeInstanceRole"}}},
}
HCP = {"plan": PLAN, "run": {"id": "run-1"}, "workspace": {"name": "eks"}}
SNAPSHOT = {"RoleDetailList": [{"RoleName": "NodeInstanceRole", "Path": "/"}]}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    "misleading_name, data, kind",
    [
        ("plan.json", SYNTH, InputKind.SYNTH),
        ("cdk.tf.json", PLAN, InputKind.PLAN),
        ("snapshot.json", HCP, InputKind.HCP),
        ("cdk.tf.json", SNAPSHOT, InputKind.SNAPSHOT),
    ],
)
def test_kind_comes_from_content_not_the_file_name(tmp_path, misleading_name, data, kind):
    path = write(tmp_path, misleading_name, json.dumps(data))
    document = load_input(path)
    assert document == InputDocument(path=str(path), kind=kind, data=data)
    assert document.kind == kind.value  # a plain string for the report and the CLI


def test_synthesized_stacks_are_recognised(synth_dir):
    for stack in sorted((synth_dir / "stacks").iterdir()):
        assert load_input(stack / "cdk.tf.json").kind is InputKind.SYNTH


def test_synth_with_only_terraform_block_is_synth():
    assert detect_kind({"terraform": {}}) is InputKind.SYNTH
    assert detect_kind({"//": {}}) is InputKind.SYNTH


def test_plan_without_resource_changes_is_still_a_plan():
    plan = {key: PLAN[key] for key in ("format_version", "terraform_version", "planned_values")}
    assert detect_kind(plan) is InputKind.PLAN


def test_terraform_state_json_is_not_a_plan(tmp_path):
    state = {"format_version": "1.0", "terraform_version": "1.11.0", "values": {"root_module": {}}}
    path = write(tmp_path, "plan.json", json.dumps(state))
    with pytest.raises(UsageError, match=r"plan\.json is not a cdk\.tf\.json, terraform plan JSON, HCP policy input or IAM snapshot"):
        load_input(path)


def test_hcp_wrapper_needs_a_plan_inside(tmp_path):
    path = write(tmp_path, "hcp.json", json.dumps({"plan": {"not": "a plan"}}))
    with pytest.raises(UsageError, match=r"hcp\.json is not a cdk\.tf\.json.*top-level keys are plan"):
        load_input(path)


def test_snapshot_needs_a_list_of_roles():
    assert detect_kind({"RoleDetailList": {}}) is None


def test_unknown_object_is_rejected_naming_its_keys(tmp_path):
    path = write(tmp_path, "input.json", json.dumps({"Roles": [], "Marker": None}))
    with pytest.raises(UsageError, match=r"input\.json is not a cdk\.tf\.json.*Marker, Roles"):
        load_input(path)


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"resource": ', r"is not valid JSON \(line 1, column 14"),
        ("", "is empty"),
        ("  \n\t", "is empty"),
        ("[]", "holds a JSON array, not an object"),
        ('"text"', "holds a JSON string, not an object"),
        ("null", "holds a JSON null, not an object"),
        ('{"resource": NaN}', "is not valid JSON .*NaN"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
    ],
    ids=["malformed", "empty", "blank", "array", "string", "null", "nan", "binary"],
)
def test_unusable_files_are_usage_errors_naming_the_file(tmp_path, content, problem):
    path = write(tmp_path, "cdk.tf.json", content)
    with pytest.raises(UsageError, match=problem) as caught:
        load_input(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"input file .*missing\.json does not exist: check the --input path"):
        load_input(tmp_path / "missing.json")


def test_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"is a directory"):
        load_input(tmp_path)


def test_load_inputs_keeps_order_and_the_paths_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "b.json", json.dumps(PLAN))
    write(tmp_path, "a.json", json.dumps(SNAPSHOT))
    documents = load_inputs(["b.json", Path("a.json")])
    assert [(d.path, d.kind) for d in documents] == [("b.json", InputKind.PLAN), ("a.json", InputKind.SNAPSHOT)]


def test_input_document_is_frozen(tmp_path):
    document = load_input(write(tmp_path, "x.json", json.dumps(SNAPSHOT)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        document.kind = InputKind.PLAN


@pytest.mark.parametrize(
    "crafted, shapes",
    [
        ({**PLAN, "plan": PLAN}, "hcp, plan"),  # a clean inner plan beside a plan of its own
        ({**SNAPSHOT, "resource": SYNTH["resource"]}, "snapshot, synth"),
        ({**HCP, "resource": SYNTH["resource"]}, "hcp, synth"),
    ],
)
def test_input_of_two_shapes_is_refused_with_one_line(tmp_path, crafted, shapes):
    path = write(tmp_path, "crafted.json", json.dumps(crafted))
    with pytest.raises(UsageError) as refused:
        load_input(path)
    message = str(refused.value)
    assert f"more than one input kind ({shapes})" in message and str(path) in message and "\n" not in message
    assert detect_kind(crafted) is None


def test_terraform_json_with_a_resource_array_and_no_terraform_block_is_synth(tmp_path):
    body = {"resource": [{"aws_iam_role": {"node_role": {"name": "NodeInstanceRole"}}}, {"aws_iam_role_policy_attachment": {}}]}
    assert load_input(write(tmp_path, "main.tf.json", json.dumps(body))).kind is InputKind.SYNTH


def test_python_and_rego_share_the_classification():
    """The gate's kind is what data.eksiam.lib.view.kind says for the whole document (not only
    the skeleton the gate evaluates): the same Rego, on every shape and on crafted mixtures."""
    policy_engine = OpaEngine()
    for module in sorted(POLICY_DIR.rglob("*.rego")):
        policy_engine.add_policy(str(module.relative_to(POLICY_DIR)), module.read_text(encoding="utf-8"))
    documents = [PLAN, SYNTH, HCP, SNAPSHOT, {**PLAN, "plan": PLAN}, {"resource": [SYNTH["resource"]]}, {"format_version": "1", "values": {}}]
    for document in documents:
        rego_kind = policy_engine.eval_query("k := data.eksiam.lib.view.kind", document)[0]["k"]
        python_kind = detect_kind(document)
        assert (python_kind.value if python_kind else None) == (rego_kind if rego_kind in {k.value for k in InputKind} else None), document


# An app that writes the node stack and, beside it, one more file Terraform reads with it.
STRAY_APP = """
import os, shutil, sys
from pathlib import Path
stack = Path(os.environ["CDKTF_OUTDIR"]) / "stacks" / "eksiam-node"
stack.mkdir(parents=True)
shutil.copy(sys.argv[1], stack / "cdk.tf.json")
Path(stack / sys.argv[2]).write_text(sys.argv[3])
"""
BREAK_GLASS = json.dumps({"resource": {"aws_iam_role_policy_attachment": {"break_glass": {
    "role": "NodeInstanceRole", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
}}}})


@pytest.mark.integration
@pytest.mark.parametrize("stray, content, code", [("zz_break_glass.tf.json", BREAK_GLASS, 1), ("break_glass.tf", 'resource "x" "y" {}', 2)])
def test_app_mode_judges_every_terraform_file_of_a_stack(synth_dir, tmp_path, monkeypatch, capsys, stray, content, code):
    """A file the app writes beside cdk.tf.json is judged (Terraform reads it in the published
    stack directory), and an HCL file the gate cannot read is refused, never published unjudged."""
    from eksiam.cli import main

    app = tmp_path / "app.py"
    app.write_text(STRAY_APP)
    command = " ".join([sys.executable, str(app), str(synth_dir / "stacks" / "eksiam-node" / "cdk.tf.json"), stray, shlex.quote(content)])
    (tmp_path / "cdktf.json").write_text(json.dumps({"language": "python", "app": command, "output": "cdktf.out"}))
    monkeypatch.chdir(tmp_path)
    result = main(["check", "--no-checkov", "--no-cache", "--format", "json"])
    out, err = capsys.readouterr()
    assert result == code, err
    published = tmp_path / "cdktf.out" / "stacks" / "eksiam-node" / stray
    if code == 1:
        findings = [f for f in json.loads(out)["findings"] if f.get("file", "").endswith(stray)]
        assert findings and published.is_file()
    else:
        error = [line for line in err.splitlines() if line.startswith("eksiam: error:")]
        assert len(error) == 1 and stray in error[0] and "Traceback" not in err and not published.exists()
