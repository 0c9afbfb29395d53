"""checkov engine: real checkov on synthesized-shape stacks and on real Terraform plans of them.

The fixtures are Terraform JSON in the exact shape the SDK synthesizes (policy documents as
JSON strings, the partition as `${data.aws_partition.X.partition}`); the same documents are
planned by the real terraform binary (offline provider mirror), so every custom check is
exercised on both frameworks from one source.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eksiam.gate import checkov
from eksiam.config import load_config
from eksiam.gate.checkov import CheckovOptions, options_from_config, parse_output, run_checkov, scan_file, scan_files
from eksiam.gate.checkov.runner import FRAMEWORK_BY_KIND
from eksiam.errors import ToolError, UsageError
from eksiam.gate.findings import Severity

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("checkov-fixtures")]

CHECKOV = Path(sys.executable).parent / "checkov"
MIRROR = Path("/opt/tf-plugins")
CUSTOM_IDS = [f"CKV_EKSIAM_{n}" for n in range(1, 8)]


def _partition(prefix: str) -> str:
    return "${data.aws_partition." + prefix + "_partition.partition}"


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(service, action="sts:AssumeRole") -> str:
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": action})


CONNECTOR_POLICY = _doc(
    {
        "Sid": "SsmControlChannel",
        "Effect": "Allow",
        "Action": ["ssmmessages:CreateControlChannel"],
        "Resource": f"arn:{_partition('connector_agent')}:eks:*:*:cluster/*",
    },
    {
        "Sid": "ssmDataplaneOperations",
        "Effect": "Allow",
        "Action": ["ssmmessages:CreateDataChannel", "ssmmessages:OpenDataChannel", "ssmmessages:OpenControlChannel"],
        "Resource": "*",
    },
)


def _role(name: str, kind: str | None, trust: str) -> dict:
    role = {"name": name, "path": "/", "max_session_duration": 3600, "assume_role_policy": trust}
    if kind:
        role["tags"] = {"eksiam:role": kind}
    return role


def _managed(prefix: str, policy: str) -> str:
    return f"arn:{_partition(prefix)}:iam::aws:policy/{policy}"


def _attachment(role: str, policy_arn: str) -> dict:
    return {"role": "${aws_iam_role." + role + ".name}", "policy_arn": policy_arn}


def _stack(resources: dict) -> dict:
    return {
        "//": {"metadata": {"backend": "local", "stackName": "fixture", "version": "0.21.0"}},
        "data": {"aws_partition": {"connector_agent_partition": {}, "node_partition": {}}},
        "provider": {"aws": [{}]},
        "resource": resources,
        "terraform": {
            "backend": {"local": {"path": "terraform.fixture.tfstate"}},
            "required_providers": {"aws": {"source": "aws", "version": "5.100.0"}},
        },
    }


GOOD = _stack(
    {
        "aws_iam_role": {
            "connector_agent_role": _role("AmazonEKSConnectorAgentRole", "connector", _trust(["ssm.amazonaws.com"])),
            "node_role": _role("NodeInstanceRole", "node", _trust("ec2.amazonaws.com")),
        },
        "aws_iam_role_policy": {
            "connector_agent_policy": {
                "name": "AmazonEKSConnectorAgentPolicy",
                "role": "${aws_iam_role.connector_agent_role.id}",
                "policy": CONNECTOR_POLICY,
            }
        },
        "aws_iam_service_linked_role": {
            "connector_agent_service_linked_role": {"aws_service_name": "eks-connector.amazonaws.com"}
        },
        "aws_iam_role_policy_attachment": {
            "node_worker_node_policy": _attachment("node_role", _managed("node", "AmazonEKSWorkerNodePolicy")),
            "node_cni_policy": _attachment("node_role", _managed("node", "AmazonEKS_CNI_Policy")),
            "node_ecr_read_only": _attachment("node_role", _managed("node", "AmazonEC2ContainerRegistryReadOnly")),
            "node_ssm_managed_instance_core": _attachment("node_role", _managed("node", "AmazonSSMManagedInstanceCore")),
        },
    }
)

BAD = _stack(
    {
        "aws_iam_role": {
            "connector_agent_role": _role(
                "AmazonEKSConnectorAgentRole", "connector", _trust(["ssm.amazonaws.com", "ec2.amazonaws.com"])
            ),
            "node_role": _role("NodeInstanceRole", "node", _trust("ec2.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])),
            # Identified as a node role by its tag alone: neither its name nor its address says so.
            "workers": _role("Workers", "node", _trust("lambda.amazonaws.com")),
        },
        "aws_iam_role_policy": {
            "connector_agent_policy": {
                "name": "AmazonEKSConnectorAgentPolicy",
                "role": "${aws_iam_role.connector_agent_role.id}",
                "policy": _doc(
                    {"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "*"},
                    {"Effect": "Allow", "Action": ["ssm:SendCommand"], "Resource": "*"},
                ),
            },
            "node_inline": {
                "name": "extra",
                "role": "${aws_iam_role.node_role.id}",
                "policy": _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}),
            },
        },
        "aws_iam_role_policy_attachment": {
            "node_admin": _attachment("node_role", _managed("node", "AdministratorAccess")),
            "node_s3": _attachment("node_role", _managed("node", "AmazonS3ReadOnlyAccess")),
            "connector_agent_extra": _attachment("connector_agent_role", _managed("connector_agent", "AmazonSSMManagedInstanceCore")),
            "ops_power": _attachment("workers", _managed("node", "PowerUserAccess")),
            # The SDK's optional IPv6 CNI policy: allowed only when the configuration enables it.
            "node_ipv6_cni_policy": _attachment("node_role", "${aws_iam_policy.node_ipv6_cni.arn}"),
        },
        "aws_iam_policy": {
            "node_ipv6_cni": {
                "name": "AmazonEKS_CNI_IPv6_Policy",
                "policy": _doc({"Effect": "Allow", "Action": ["ec2:AssignIpv6Addresses"], "Resource": "*"}),
            }
        },
    }
)

# (check, resource) that must pass on GOOD and fail on BAD, on both frameworks.
ALLOW_CASES = [
    ("CKV_EKSIAM_1", "aws_iam_role.connector_agent_role"),
    ("CKV_EKSIAM_2", "aws_iam_role.node_role"),
    ("CKV_EKSIAM_3", "aws_iam_role_policy.connector_agent_policy"),
    ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_cni_policy"),
    ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_ssm_managed_instance_core"),
    ("CKV_EKSIAM_5", "aws_iam_role.connector_agent_role"),
    ("CKV_EKSIAM_6", "aws_iam_role_policy_attachment.node_worker_node_policy"),
    ("CKV_EKSIAM_7", "aws_iam_role.node_role"),
]
DENY_CASES = [
    ("CKV_EKSIAM_1", "aws_iam_role.connector_agent_role"),
    ("CKV_EKSIAM_2", "aws_iam_role.node_role"),
    ("CKV_EKSIAM_2", "aws_iam_role.workers"),
    ("CKV_EKSIAM_3", "aws_iam_role_policy.connector_agent_policy"),
    ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_admin"),
    ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_s3"),
    ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_ipv6_cni_policy"),
    ("CKV_EKSIAM_5", "aws_iam_role_policy_attachment.connector_agent_extra"),
    ("CKV_EKSIAM_6", "aws_iam_role_policy_attachment.node_admin"),
    ("CKV_EKSIAM_6", "aws_iam_role_policy_attachment.ops_power"),
    ("CKV_EKSIAM_7", "aws_iam_role_policy.node_inline"),
]

_PROVIDER_OVERRIDE = {
    "provider": {
        "aws": [
            {
                "region": "us-east-1",
                "access_key": "fixture",
                "secret_key": "fixture",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
            }
        ]
    }
}


def _terraform_plan(stack: dict, workdir: Path, cli_config: Path) -> Path:
    """`terraform show -json` of a first deploy of ``stack``, with no credentials and no network."""
    workdir.mkdir(parents=True)
    (workdir / "cdk.tf.json").write_text(json.dumps(stack, indent=2))
    (workdir / "fixture_override.tf.json").write_text(json.dumps(_PROVIDER_OVERRIDE))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for command in (
        ["terraform", "init", "-input=false", "-no-color"],
        ["terraform", "plan", "-input=false", "-lock=false", "-refresh=false", "-out=plan.tfplan", "-no-color"],
    ):
        subprocess.run(command, cwd=workdir, env=env, check=True, capture_output=True, timeout=300)
    shown = subprocess.run(
        ["terraform", "show", "-json", "plan.tfplan"], cwd=workdir, env=env, check=True, capture_output=True, timeout=300
    )
    plan = workdir / "plan.json"
    plan.write_bytes(shown.stdout)
    return plan


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """{(framework kind, "good"|"bad"): file}: the synthesized shape and its real plan."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: the plan fixtures need the real binary")
    root = tmp_path_factory.mktemp("checkov")
    cli_config = root / "terraform.rc"
    cli_config.write_text(
        textwrap.dedent(
            f"""\
            provider_installation {{
              filesystem_mirror {{
                path    = "{MIRROR}"
                include = ["registry.terraform.io/hashicorp/aws"]
              }}
              direct {{
                exclude = ["registry.terraform.io/hashicorp/aws"]
              }}
            }}
            """
        )
        if MIRROR.is_dir()
        else ""
    )
    files: dict[tuple[str, str], Path] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        plans = {}
        for label, stack in (("good", GOOD), ("bad", BAD)):
            synth_dir = root / "synth" / label
            synth_dir.mkdir(parents=True)
            synth = synth_dir / "cdk.tf.json"
            synth.write_text(json.dumps(stack, indent=2))
            files[("synth", label)] = synth
            plans[label] = pool.submit(_terraform_plan, stack, root / "plan" / label, cli_config)
        for label, plan in plans.items():
            files[("plan", label)] = plan.result()
    return files


@pytest.fixture(scope="session")
def scans(fixture_files) -> dict[tuple[str, str], checkov.CheckovResult]:
    """Each fixture's result from one checkov run per framework over both files, as the gate runs it."""
    # GOOD attaches AmazonSSMManagedInstanceCore, which the SDK's opt-in allows.
    options = CheckovOptions(settings={"node": {"allow_ssm_managed_instance_core": True}})
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(scan_files, [fixture_files[(kind, "good")], fixture_files[(kind, "bad")]], FRAMEWORK_BY_KIND[kind], options)
            for kind in ("synth", "plan")
        ]
        by_path = {path: result for run in runs for path, result in run.result().items()}
    return {key: by_path[str(path)] for key, path in fixture_files.items()}


def _failed(result: checkov.CheckovResult) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in result.findings}


@pytest.mark.parametrize("kind", ["synth", "plan"])
@pytest.mark.parametrize(("rule", "resource"), ALLOW_CASES)
def test_allow_custom_check_passes_documented_role(scans, kind, rule, resource):
    result = scans[(kind, "good")]
    assert (rule, resource) in result.passed_checks
    assert (rule, resource) not in _failed(result)


@pytest.mark.parametrize("kind", ["synth", "plan"])
@pytest.mark.parametrize(("rule", "resource"), DENY_CASES)
def test_deny_custom_check_fails_tampered_role(scans, fixture_files, kind, rule, resource):
    result = scans[(kind, "bad")]
    finding = next((f for f in result.findings if (f.rule, f.resource) == (rule, resource)), None)
    assert finding is not None, f"{rule} did not fail on {resource}: {sorted(_failed(result))}"
    assert finding.engine == "checkov"
    assert finding.severity >= Severity.HIGH  # custom checks carry their own severity
    assert resource in finding.message
    assert finding.remediation
    assert finding.file == str(fixture_files[(kind, "bad")])


@pytest.mark.parametrize("kind", ["synth", "plan"])
def test_documented_roles_fail_nothing(scans, kind):
    result = scans[(kind, "good")]
    assert result.findings == ()
    assert result.summary.failed == 0
    assert result.summary.passed == result.summary.evaluated > len(ALLOW_CASES)
    assert {rule for rule, _ in result.passed_checks} >= set(CUSTOM_IDS)


def test_deny_plan_administrator_access_fires_ckv_aws_274(scans):
    failed = _failed(scans[("plan", "bad")])
    assert ("CKV_AWS_274", "aws_iam_role_policy_attachment.node_admin") in failed


def test_deny_explanations_name_the_problem(scans):
    by_key = {(f.rule, f.resource): f for f in scans[("synth", "bad")].findings}
    assert "ec2.amazonaws.com" in by_key[("CKV_EKSIAM_1", "aws_iam_role.connector_agent_role")].message
    assert "sts:TagSession" in by_key[("CKV_EKSIAM_2", "aws_iam_role.node_role")].message
    assert "ssm:SendCommand" in by_key[("CKV_EKSIAM_3", "aws_iam_role_policy.connector_agent_policy")].message
    assert "AdministratorAccess" in by_key[("CKV_EKSIAM_6", "aws_iam_role_policy_attachment.node_admin")].message


def test_custom_severities_and_builtin_default(scans):
    findings = scans[("plan", "bad")].findings
    severity = {f.rule: f.severity for f in findings}
    assert severity["CKV_EKSIAM_1"] is Severity.CRITICAL
    assert severity["CKV_EKSIAM_4"] is Severity.HIGH
    assert severity["CKV_AWS_274"] is checkov.BUILTIN_SEVERITY is Severity.HIGH
    assert scans[("plan", "bad")].rules["CKV_EKSIAM_2"].help_uri.startswith("https://docs.aws.amazon.com/eks/")


@pytest.fixture(scope="session")
def configured_scans(fixture_files) -> dict[str, checkov.CheckovResult]:
    """The tampered stack checked with extra policy ARNs and the IPv6 CNI policy allowed."""
    policy_config = {
        "connector": {"role_name": "AmazonEKSConnectorAgentRole"},
        "node": {
            "role_name": "NodeInstanceRole",
            "additional_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"],
            "allow_ipv6_cni": True,
        },
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            kind: pool.submit(run_checkov, [(fixture_files[(kind, "bad")], kind)], policy_config=policy_config)
            for kind in ("synth", "plan")
        }
        return {kind: future.result() for kind, future in futures.items()}


@pytest.mark.parametrize("kind", ["synth", "plan"])
@pytest.mark.parametrize("attachment", ["node_s3", "node_ipv6_cni_policy"])
def test_allow_configured_extra_policies(configured_scans, kind, attachment):
    result = configured_scans[kind]
    key = ("CKV_EKSIAM_4", f"aws_iam_role_policy_attachment.{attachment}")
    assert key in result.passed_checks and key not in _failed(result)


@pytest.mark.parametrize("kind", ["synth", "plan"])
def test_deny_administrator_access_even_when_configured_as_extra(configured_scans, kind):
    assert ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_admin") in _failed(configured_scans[kind])


def test_synthesized_stacks_pass_every_check(synth_dir):
    files = sorted(synth_dir.glob("stacks/*/cdk.tf.json"))
    assert len(files) == 2
    result = run_checkov([(path, "synth") for path in files])
    assert result.findings == ()
    assert {rule for rule, _ in result.passed_checks} >= {"CKV_EKSIAM_1", "CKV_EKSIAM_2", "CKV_EKSIAM_3", "CKV_EKSIAM_4"}


def test_hcp_policy_input_is_read_through_its_plan(fixture_files, tmp_path):
    wrapped = tmp_path / "hcp.json"
    wrapped.write_text(json.dumps({"plan": json.loads(fixture_files[("plan", "bad")].read_text()), "run": {"id": "run-1"}}))
    result = scan_file(wrapped, checkov.FRAMEWORK_PLAN)
    assert ("CKV_AWS_274", "aws_iam_role_policy_attachment.node_admin") in _failed(result)
    assert all(f.file == str(wrapped) for f in result.findings)


# --- offline ------------------------------------------------------------------------------


def _network_namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0


def test_runs_without_network_and_prints_nothing_on_stderr(fixture_files, tmp_path):
    """No route, and dead proxies: any network call would log an error or a traceback."""
    executable = checkov.find_checkov()
    command = checkov.checkov_command(
        executable, [fixture_files[("plan", "good")]], checkov.FRAMEWORK_PLAN, tmp_path / "out", CheckovOptions()
    )
    if _network_namespaces_work():
        command = [shutil.which("unshare"), "-n", *command]
    home = tmp_path / "home"
    home.mkdir()
    env = checkov.checkov_environment(CheckovOptions(), home)
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == ""
    report = json.loads((tmp_path / "out" / "results_json.json").read_text())
    assert report["summary"]["passed"] > 0
    assert not list(home.iterdir())  # nothing written to the (scratch) home


def test_environment_drops_platform_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("BC_API_KEY", "secret-key")
    monkeypatch.setenv("PRISMA_API_URL", "https://api.prismacloud.io")
    monkeypatch.setenv("CKV_FRAMEWORK", "all")
    settings = {"node": {"allow_ipv6_cni": True, "additional_policy_arns": ["arn:aws:iam::1:policy/x"]}}
    monkeypatch.setenv("EKSIAM_CHECKOV_SETTINGS", '{"node": {"allow_ipv6_cni": false}}')
    env = checkov.checkov_environment(CheckovOptions(settings=settings), tmp_path)
    assert "BC_API_KEY" not in env and "PRISMA_API_URL" not in env and "CKV_FRAMEWORK" not in env
    assert env["BC_SKIP_MAPPING"] == "TRUE"
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert env["HOME"] == str(tmp_path)
    assert json.loads(env["EKSIAM_CHECKOV_SETTINGS"]) == settings  # this run's, never an inherited one
    command = checkov.checkov_command(Path("checkov"), [Path("0/x.json"), Path("1/y.json")], "terraform_plan", tmp_path, CheckovOptions())
    assert "--skip-download" in command and "--soft-fail" in command
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--file"] == ["0/x.json", "1/y.json"]
    assert command[command.index("--external-checks-dir") + 1] == str(checkov.EXTERNAL_CHECKS_DIR)


# --- failing closed -----------------------------------------------------------------------


def _fake_checkov(tmp_path: Path, body: str) -> str:
    script = tmp_path / "checkov"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_tool_error_when_checkov_times_out(fixture_files, tmp_path):
    options = CheckovOptions(executable=_fake_checkov(tmp_path, "sleep 60"), timeout=1)
    started = time.monotonic()
    with pytest.raises(ToolError, match="did not finish .* within 1 s"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)
    assert time.monotonic() - started < 30


def test_tool_error_when_checkov_crashes(fixture_files, tmp_path):
    options = CheckovOptions(executable=_fake_checkov(tmp_path, "echo 'checkov: boom' >&2; exit 2"))
    with pytest.raises(ToolError, match=r"exit 2\): checkov: boom"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_tool_error_when_output_is_not_json(fixture_files, tmp_path):
    options = CheckovOptions(executable=_fake_checkov(tmp_path, "echo 'this is not json'"))
    with pytest.raises(ToolError, match="not JSON"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_tool_error_when_nothing_was_evaluated(fixture_files, tmp_path):
    summary = json.dumps({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0})
    options = CheckovOptions(executable=_fake_checkov(tmp_path, f"echo '{summary}'"))
    with pytest.raises(ToolError, match="evaluated no check"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_tool_error_when_traceback_on_stderr(fixture_files, tmp_path):
    report = json.dumps({"check_type": "terraform_json", "results": {"passed_checks": [], "failed_checks": []}})
    body = f"echo '{report}'; echo 'Traceback (most recent call last):' >&2; echo 'ValueError: bad' >&2"
    with pytest.raises(ToolError, match="internal error.*ValueError: bad"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=_fake_checkov(tmp_path, body)))


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
    options = CheckovOptions(executable=_fake_checkov(tmp_path, f"echo '{report}'"))
    with pytest.raises(ToolError, match="could not parse"):
        scan_file(fixture_files[("synth", "good")], checkov.FRAMEWORK_SYNTH, options)


def test_input_without_iam_resources_is_not_given_to_checkov(tmp_path):
    # In the default scope checkov sees only aws_iam_* resources: with none there is nothing
    # to run (a checkov that would fail is never started); OPA still judges the file.
    bucket = tmp_path / "bucket.json"
    bucket.write_text(json.dumps({"resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}}}))
    options = CheckovOptions(executable=_fake_checkov(tmp_path, "exit 2"))
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


# --- parsing checkov's JSON ---------------------------------------------------------------


def _record(check_id: str, resource: str, **extra) -> dict:
    return {"check_id": check_id, "check_name": f"name of {check_id}", "resource": resource, "file_line_range": [3, 9], **extra}


def test_parse_list_output_keeps_the_framework_and_resolves_synth_addresses():
    source = json.dumps({"resource": {"aws_iam_role": {"node_role": {"name": "x"}}}}, indent=2)
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if '"node_role"' in text)
    data = [
        {
            "check_type": "terraform_json",
            "results": {
                "passed_checks": [_record("CKV_AWS_60", "resource.node_role", file_line_range=[line, line + 2])],
                "failed_checks": [_record("CKV_X_1", "resource.node_role", severity="MODERATE", details=["why"])],
                "skipped_checks": [],
                "parsing_errors": [],
            },
        },
        {"check_type": "secrets", "results": {"failed_checks": [_record("CKV_SECRET_2", "x")]}},
    ]
    result = parse_output(data, "terraform_json", "stack.json", source)
    assert result.passed_checks == (("CKV_AWS_60", "aws_iam_role.node_role"),)
    (finding,) = result.findings
    assert (finding.rule, finding.resource, finding.severity) == ("CKV_X_1", "aws_iam_role.node_role", Severity.MEDIUM)
    assert finding.message == "aws_iam_role.node_role: name of CKV_X_1 (why)"
    assert finding.file == "stack.json"
    assert result.summary.evaluated == 2 and result.summary.failed == 1 and result.summary.passed == 1


def test_parse_bare_summary_means_nothing_evaluated():
    result = parse_output({"passed": 0, "failed": 0, "skipped": 0}, "terraform_plan", "plan.json")
    assert result.summary.evaluated == 0 and result.findings == ()


def test_parse_skipped_check_counts_as_failed():
    data = {
        "check_type": "terraform_plan",
        "results": {
            "passed_checks": [],
            "failed_checks": [],
            "skipped_checks": [_record("CKV_AWS_274", "aws_iam_role.r", check_result={"result": "SKIPPED", "suppress_comment": "trust me"})],
        },
    }
    (finding,) = parse_output(data, "terraform_plan", "plan.json").findings
    assert "use a waiver instead" in finding.message and "trust me" in finding.message


def test_parse_rejects_foreign_output():
    with pytest.raises(ToolError, match="not a checkov JSON report"):
        parse_output({"hello": "world"}, "terraform_plan", "plan.json")


# --- the custom checks' edge cases, in-process -----------------------------------------------


@pytest.fixture(scope="module")
def custom_checks():
    """The CKV_EKSIAM check objects, imported the way checkov imports them (top-level modules)."""
    sys.path.insert(0, str(checkov.EXTERNAL_CHECKS_DIR))
    try:
        import eksiam_connector_inline_policy
        import eksiam_connector_trust
        import eksiam_forbidden_managed_policies
        import eksiam_node_managed_policies
        import eksiam_node_trust
    finally:
        sys.path.remove(str(checkov.EXTERNAL_CHECKS_DIR))
    return {
        "connector_trust": eksiam_connector_trust.check,
        "node_trust": eksiam_node_trust.check,
        "connector_policy": eksiam_connector_inline_policy.check,
        "node_policies": eksiam_node_managed_policies.check,
        "forbidden": eksiam_forbidden_managed_policies.check,
    }


def _verdict(check, entity_type: str, name: str, conf: dict) -> str:
    from checkov.common.models.enums import CheckResult

    result = check.run("cdk.tf.json", conf, name, entity_type, None)["result"]
    return {CheckResult.PASSED: "passed", CheckResult.FAILED: "failed", CheckResult.UNKNOWN: "n/a"}[result]


def _connector_role(trust) -> dict:
    return {"assume_role_policy": [trust], "tags": [{"eksiam:role": "connector"}], "name": ["AmazonEKSConnectorAgentRole"]}


@pytest.mark.parametrize(
    ("trust", "verdict"),
    [
        (_trust("ssm.amazonaws.com", "sts:assumerole"), "passed"),  # IAM actions are case-insensitive
        (_trust(["ssm.amazonaws.com", "ssm.amazonaws.com"]), "passed"),
        (
            _doc(
                {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
                {"Effect": "Deny", "Principal": "*", "Action": "*"},
            ),
            "passed",
        ),
        ("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ssm.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D", "passed"),
        (_doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}), "failed"),
        (_doc({"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com", "AWS": "*"}, "Action": "sts:AssumeRole"}), "failed"),
        (_doc({"Effect": "Allow", "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}), "failed"),
        (_trust("ssm.amazonaws.com", "sts:*"), "failed"),
        (_doc({"Effect": "Deny", "Principal": "*", "Action": "*"}), "failed"),  # allows nothing
        ("${jsonencode(local.trust)}", "failed"),  # cannot be read, so cannot be proven
    ],
)
def test_connector_trust_edge_cases(custom_checks, trust, verdict):
    assert _verdict(custom_checks["connector_trust"], "aws_iam_role", "connector_agent_role", _connector_role(trust)) == verdict


def test_role_identity_tag_wins_over_name(custom_checks):
    node_tagged = {"assume_role_policy": [_trust("ec2.amazonaws.com")], "tags": [{"eksiam:role": "node"}]}
    assert _verdict(custom_checks["connector_trust"], "aws_iam_role", "connector_agent_role", node_tagged) == "n/a"
    assert _verdict(custom_checks["node_trust"], "aws_iam_role", "connector_agent_role", node_tagged) == "passed"
    untagged = {"assume_role_policy": [_trust("ec2.amazonaws.com")], "name": ["Unrelated"]}
    assert _verdict(custom_checks["node_trust"], "aws_iam_role", "builder", untagged) == "n/a"


@pytest.mark.parametrize(
    ("statement", "verdict"),
    [
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "arn:aws:eks:eu-west-1:111122223333:cluster/prod"}, "passed"),
        ({"Effect": "Allow", "Action": "ssmmessages:createcontrolchannel", "Resource": "arn:aws-cn:eks:*:*:cluster/*"}, "passed"),
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "arn:data.aws_partition.p.partition:eks:*:*:cluster/*"}, "passed"),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, "passed"),
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "arn:aws:eks:*:*:*"}, "failed"),
        ({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "*"}, "failed"),
        ({"Effect": "Allow", "Action": "ssmmessages:Open*", "Resource": "*"}, "failed"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "failed"),
        ({"Effect": "Allow", "Action": "ssmmessages:OpenDataChannel", "NotResource": "arn:aws:s3:::x"}, "failed"),
    ],
)
def test_connector_policy_edge_cases(custom_checks, statement, verdict):
    conf = {"role": ["${aws_iam_role.connector_agent_role.id}"], "policy": [_doc(statement)]}
    assert _verdict(custom_checks["connector_policy"], "aws_iam_role_policy", "connector_agent_policy", conf) == verdict


def test_node_attachment_identity_and_extras(custom_checks, monkeypatch):
    check = custom_checks["node_policies"]
    s3 = "arn:${data.aws_partition.node_partition.partition}:iam::aws:policy/AmazonS3ReadOnlyAccess"
    by_reference = {"role": ["${aws_iam_role.node_role.name}"], "policy_arn": [s3]}
    by_name_prefix = {"role": ["SomeRole"], "policy_arn": [s3]}
    by_plan_reference = {"role": ["Renamed"], "policy_arn": [s3.replace("${data.aws_partition.node_partition.partition}", "aws")],
                         "references_": [["aws_iam_role.node_role.name", "aws_iam_role.node_role"]]}
    by_role_name = {"role": ["NodeInstanceRole"], "policy_arn": [s3]}
    unrelated = {"role": ["Builder"], "policy_arn": [s3]}
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_reference) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "node_extra", by_name_prefix) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_plan_reference) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_role_name) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", unrelated) == "n/a"
    # A configured extra matches whatever partition (or partition look-up) either side uses.
    extras = ["arn:aws-us-gov:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::1:policy/x"]
    monkeypatch.setenv("EKSIAM_CHECKOV_SETTINGS", json.dumps({"node": {"additional_policy_arns": extras}}))
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_reference) == "passed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "extra", by_plan_reference) == "passed"


def test_forbidden_policies_by_any_route(custom_checks):
    check = custom_checks["forbidden"]
    assert _verdict(check, "aws_iam_role_policy_attachment", "x", {"role": ["R"], "policy_arn": ["arn:aws:iam::aws:policy/IAMFullAccess"]}) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "x", {"role": ["R"], "policy_arn": ["${data.aws_iam_policy.admin.arn}"]}) == "failed"
    assert _verdict(check, "aws_iam_role_policy_attachment", "x", {"role": ["R"], "policy_arn": ["${aws_iam_policy.mine.arn}"]}) == "passed"
    role = {"name": ["R"], "managed_policy_arns": [["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]]}
    assert _verdict(check, "aws_iam_role", "r", role) == "failed"


def test_allow_ssm_core_without_the_opt_in(fixture_files):
    # eksctl's and Karpenter's default: within the node role's permissions for CKV_EKSIAM_4;
    # OPA's EKSIAM-NODE-005 reports it, LOW, where it is not declared.
    result = run_checkov([(fixture_files[("synth", "good")], "synth")], options=CheckovOptions())
    assert not {rule for rule, _ in _failed(result)} & {"CKV_EKSIAM_4"}
    assert result.summary.passed > 0


def test_cached_verdict_is_the_same_evaluation_and_is_not_run_again(fixture_files, tmp_path):
    from eksiam.gate.cache import Cache

    cache = Cache(tmp_path / "cache")
    bad = str(fixture_files[("synth", "bad")])
    first = checkov.scan_files([bad], checkov.FRAMEWORK_SYNTH, cache=cache)[bad]
    assert first.findings and not first.cached
    # A checkov that would fail is never started: the verdict comes from the cache.
    stored = checkov.scan_files([bad], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=_fake_checkov(tmp_path, "exit 2")), cache=cache)[bad]
    assert stored.cached and stored.findings == first.findings and stored.summary.evaluated == first.summary.evaluated
    # Another scope is another evaluation.
    with pytest.raises(ToolError):
        checkov.scan_files([bad], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=_fake_checkov(tmp_path, "exit 2"), scope="all"), cache=cache)
