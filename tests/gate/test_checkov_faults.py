"""How the gate runs checkov and fails closed around it: a checkov that hangs, crashes, prints
no JSON or a traceback, evaluates nothing, or is missing is a tool error (exit 3), never a
pass; a check that raises on one file fails that file, not its run's others; and what checkov
is given (IAM resources only, the run's scope and options)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from eksiam.config import load_config
from eksiam.gate import checkov
from eksiam.gate.checkov import CheckovOptions, options_from_config, run_checkov, scan_file, scan_files
from eksiam.gate.checkov import warm
from eksiam.errors import ToolError

from checkov_fixtures import fake_checkov

# Shares the worker that plans checkov_fixtures' stacks (make test: --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("checkov-fixtures")]


def test_tool_error_when_checkov_times_out(fixture_files, tmp_path):
    options = CheckovOptions(executable=fake_checkov(tmp_path, "sleep 60"), timeout=1)
    started = time.monotonic()
    with pytest.raises(ToolError, match="did not finish .* within 1 s"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)
    assert time.monotonic() - started < 30


def test_tool_error_when_checkov_crashes(fixture_files, tmp_path):
    options = CheckovOptions(executable=fake_checkov(tmp_path, "echo 'checkov: boom' >&2; exit 2"))
    with pytest.raises(ToolError, match=r"exit 2\): checkov: boom"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_tool_error_when_output_is_not_json(fixture_files, tmp_path):
    options = CheckovOptions(executable=fake_checkov(tmp_path, "echo 'this is not json'"))
    with pytest.raises(ToolError, match="not JSON"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_tool_error_when_nothing_was_evaluated(fixture_files, tmp_path):
    summary = json.dumps({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0})
    options = CheckovOptions(executable=fake_checkov(tmp_path, f"echo '{summary}'"))
    with pytest.raises(ToolError, match="evaluated no check"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_tool_error_when_traceback_on_stderr(fixture_files, tmp_path):
    report = json.dumps({"check_type": "terraform_json", "results": {"passed_checks": [], "failed_checks": []}})
    body = f"echo '{report}'; echo 'Traceback (most recent call last):' >&2; echo 'ValueError: bad' >&2"
    with pytest.raises(ToolError, match="internal error.*ValueError: bad"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=fake_checkov(tmp_path, body)))


def test_tool_error_when_checkov_is_missing(fixture_files, tmp_path):
    with pytest.raises(ToolError, match="checkov is not installed"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=str(tmp_path / "nope")))


def test_tool_error_when_a_custom_check_does_not_load(fixture_files, tmp_path):
    checks = tmp_path / "checks"
    shutil.copytree(checkov.EXTERNAL_CHECKS_DIR, checks, ignore=shutil.ignore_patterns("__pycache__"))
    (checks / "broken_check.py").write_text("this is not python(\n")
    with pytest.raises(ToolError, match="Cannot load external check 'broken_check'"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, CheckovOptions(external_checks_dir=checks))


def test_tool_error_when_checkov_cannot_parse_the_input(fixture_files, tmp_path):
    report = json.dumps({"check_type": "terraform_json", "results": {"passed_checks": [], "failed_checks": [], "parsing_errors": ["/0/cdk.tf.json"]}})
    options = CheckovOptions(executable=fake_checkov(tmp_path, f"echo '{report}'"))
    with pytest.raises(ToolError, match="could not parse"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_input_without_iam_resources_is_not_given_to_checkov(tmp_path):
    # In the default scope checkov sees only aws_iam_* resources: with none there is nothing
    # to run (a checkov that would fail is never started); OPA still judges the file.
    bucket = tmp_path / "bucket.json"
    bucket.write_text(json.dumps({"resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}}}))
    options = CheckovOptions(executable=fake_checkov(tmp_path, "exit 2"))
    result = scan_file(bucket, checkov.FRAMEWORK_SYNTH, options)
    assert result.summary.evaluated == 0 and result.findings == ()


def test_any_file_name_and_import_blocks_and_array_forms_are_read(fixture_files, tmp_path):
    stack = json.loads(fixture_files[("synth", "bad")].read_text())
    attachments = stack["resource"].pop("aws_iam_role_policy_attachment")
    stack["resource"]["aws_iam_role_policy_attachment"] = [{name: body} for name, body in attachments.items()]
    stack["import"] = [{"to": "aws_iam_role.node_role", "id": "NodeInstanceRole"}]
    renamed = tmp_path / "node-role.json"
    renamed.write_text(json.dumps(stack))
    original = str(fixture_files[("synth", "bad")])
    results = scan_files([original, renamed], checkov.FRAMEWORK_SYNTH)
    as_is, reshaped = results[original], results[str(renamed)]
    assert {f.rule for f in reshaped.findings} == {f.rule for f in as_is.findings} != set()
    assert all(f.file == str(renamed) for f in reshaped.findings)


def test_builtin_checks_run_on_iam_resources_unless_scope_is_all(tmp_path):
    template = tmp_path / "lt.tf.json"
    template.write_text(json.dumps({"resource": {
        "aws_launch_template": {"nodes": {"name": "nodes", "metadata_options": {"http_tokens": "optional"}}},
        "aws_iam_role": {"r": {"name": "r", "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})}},
    }}))
    iam_only = scan_file(template, checkov.FRAMEWORK_SYNTH)
    assert not any("aws_launch_template" in f.resource for f in iam_only.findings)
    everything = scan_file(template, checkov.FRAMEWORK_SYNTH, CheckovOptions(scope="all"))
    assert any("aws_launch_template" in f.resource for f in everything.findings)


def test_eks_scope_leaves_out_roles_that_are_no_eks_roles(tmp_path):
    """A break-glass administrator role beside the node role is not an EKS gate's business."""
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    admin = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    roles = tmp_path / "roles.tf.json"
    roles.write_text(json.dumps({"resource": {"aws_iam_role": {
        "node_role": {"name": "nodes", "assume_role_policy": trust, "managed_policy_arns": admin},
        "break_glass": {"name": "break-glass", "assume_role_policy": trust, "managed_policy_arns": admin},
    }}}))
    identity = {"roles": {"aws_iam_role.node_role": {"kind": "node", "identified_by": "address"}}, "links": {}}
    judged = {
        scope: {f.resource for f in scan_files([str(roles)], checkov.FRAMEWORK_SYNTH, CheckovOptions(scope=scope), {str(roles): identity})[str(roles)].findings
                if f.rule == "CKV_AWS_274"}
        for scope in ("eks", "iam")
    }
    assert judged == {"eks": {"aws_iam_role.node_role"}, "iam": {"aws_iam_role.node_role", "aws_iam_role.break_glass"}}


# checkov 3.3.30's built-in trust check raises on a dynamic inline_policy block it cannot expand.
RAISES_IN_A_CHECK = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_dynamic_inline_policy.tf.json"


@pytest.fixture
def checkov_starts(monkeypatch) -> list[list[str]]:
    """The command line of every checkov process the runner starts or takes."""
    started: list[list[str]] = []
    start = warm.start

    def recording(command, *rest):
        started.append(list(command))
        return start(command, *rest)

    monkeypatch.setattr(warm, "start", recording)
    return started


def test_a_check_that_raises_fails_its_file_alone_in_one_run(fixture_files, checkov_starts):
    good, bad = str(fixture_files[("synth", "bad")]), str(RAISES_IN_A_CHECK)
    alone = scan_files([good], checkov.FRAMEWORK_SYNTH)[good]
    results = run_checkov([(good, "synth"), (bad, "synth")])
    assert len(checkov_starts) == 2  # the file alone, then both together: no run again to find the fault
    assert [path for path, _ in results.errors] == [bad]
    (why,) = [why for _, why in results.errors]
    assert "CKV_AWS_61" in why and "aws_iam_role.node_role" in why and bad in why, why
    assert not any(f.file == bad for f in results.findings), "no verdict on a file a check could not judge"
    assert {(f.rule, f.resource) for f in results.findings} == {(f.rule, f.resource) for f in alone.findings} != set()


def test_a_check_that_raises_on_the_only_file_is_a_tool_error():
    with pytest.raises(ToolError, match="CKV_AWS_61 raised on aws_iam_role.node_role"):
        scan_file(RAISES_IN_A_CHECK, checkov.FRAMEWORK_SYNTH)


CRASHING_CHECKOV = """#!{python}
# A checkov that crashes without a word about which file when any file it is given holds the
# marker, and otherwise fails one check on each: the runner can find such a file only by
# running fewer files.
import json, sys
with open({log!r}, "a") as log:
    log.write("run\\n")
files = [sys.argv[i + 1] for i, argument in enumerate(sys.argv) if argument == "--file"]
if any({marker!r} in open(f).read() for f in files):
    print("Segmentation fault", file=sys.stderr)
    sys.exit(2)
failed = [{{"check_id": "CKV_AWS_274", "check_name": "administrator access", "file_path": f,
            "resource": "aws_iam_role.node_role", "file_line_range": [1, 1]}} for f in files]
print(json.dumps({{"check_type": "terraform_json", "results": {{"passed_checks": [], "failed_checks": failed}}}}))
"""


def test_a_crash_that_names_no_file_is_narrowed_down_by_halving(fixture_files, tmp_path):
    good = json.loads(fixture_files[("synth", "bad")].read_text())
    files = []
    crashing = (5, 20)
    for index in range(32):
        stack = {**good, "//": {"copy": index, **({"note": "crash-here"} if index in crashing else {})}}
        files.append(tmp_path / f"stack{index}.tf.json")
        files[-1].write_text(json.dumps(stack))
    script = tmp_path / "checkov"
    script.write_text(CRASHING_CHECKOV.format(python=sys.executable, log=str(tmp_path / "runs.log"), marker="crash-here"))
    script.chmod(0o755)
    result = run_checkov([(str(f), "synth") for f in files], options=CheckovOptions(executable=str(script)))
    assert sorted(path for path, _ in result.errors) == sorted(str(files[i]) for i in crashing)
    assert all("exit 2" in why and "Segmentation fault" in why for _, why in result.errors)
    judged = {f.file for f in result.findings}
    assert judged == {str(f) for i, f in enumerate(files) if i not in crashing}
    runs = (tmp_path / "runs.log").read_text().count("run")
    assert runs < len(files), f"{runs} checkov runs for {len(files)} files: no fewer than one per file"


@pytest.mark.parametrize(("record", "expected"), [
    ("not json", "cannot read which checks checkov could not run"),
    ('{"file": "/elsewhere/cdk.tf.json", "check": "CKV_AWS_61", "resource": "aws_iam_role.r", "error": "KeyError"}',
     "CKV_AWS_61 raised on /elsewhere/cdk.tf.json, which it was not given"),
], ids=["unreadable", "another-file"])
def test_a_fault_record_the_gate_cannot_place_fails_the_run(fixture_files, tmp_path, record, expected):
    report = json.dumps({"check_type": "terraform_json", "results": {"passed_checks": [], "failed_checks": []}})
    options = CheckovOptions(executable=fake_checkov(tmp_path, f"echo '{record}' >> \"$EKSIAM_CHECKOV_FAULTS\"; echo '{report}'"))
    with pytest.raises(ToolError, match=expected):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_snapshots_are_not_for_checkov(tmp_path):
    result = run_checkov([(tmp_path / "snapshot.json", "snapshot")])
    assert result.summary.evaluated == 0 and result.findings == ()


def test_options_from_config():
    config = load_config(None, environ={"EKSIAM_NODE_ROLE_NAME": "Nodes", "EKSIAM_GATE_CHECKOV_SCOPE": "iam"})
    options = options_from_config(config)
    assert options.scope == "iam"
    assert options.settings == config.to_policy_data() and options.settings["node"]["role_name"] == "Nodes"
    assert options_from_config(load_config(None, environ={})).scope == "eks"


def test_timeout_from_environment(monkeypatch):
    monkeypatch.setenv(checkov.TIMEOUT_ENV, "42")
    assert CheckovOptions().timeout == 42
    monkeypatch.delenv(checkov.TIMEOUT_ENV)
    assert CheckovOptions().timeout == checkov.DEFAULT_TIMEOUT


