"""checkov engine: real checkov on synthesized-shape stacks and on real Terraform plans of them
(tests/gate/checkov_fixtures.py), so every custom check is exercised on both frameworks from one
source. How the gate fails closed around checkov: test_checkov_faults.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eksiam.gate import checkov
from eksiam.gate.checkov import CheckovOptions, run_checkov, scan_file, scan_files, scan_mixed, warm
from eksiam.gate.checkov.runner import FRAMEWORK_BY_KIND
from eksiam.errors import ToolError
from eksiam.gate.findings import Severity

from checkov_fixtures import failed_checks, fake_checkov

# One worker computes this module's fixtures once (make test runs pytest-xdist with --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("checkov-fixtures")]

CUSTOM_IDS = [f"CKV_EKSIAM_{n}" for n in range(1, 8)]


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

# GOOD attaches AmazonSSMManagedInstanceCore, which the SDK's opt-in allows.
SSM_ALLOWED = CheckovOptions(settings={"node": {"allow_ssm_managed_instance_core": True}})


@pytest.fixture(scope="session")
def scans(fixture_files) -> dict[tuple[str, str], checkov.CheckovResult]:
    """Each fixture's result from one checkov run over all four files, each read by its
    framework, as the gate runs it."""
    by_path = scan_mixed({str(path): FRAMEWORK_BY_KIND[kind] for (kind, _), path in fixture_files.items()}, SSM_ALLOWED)
    return {key: by_path[str(path)] for key, path in fixture_files.items()}


def test_one_run_of_both_frameworks_gives_each_file_the_verdict_of_its_framework_alone(fixture_files, scans, monkeypatch):
    """One checkov process reads the synthesized stacks and the plans, and each file's verdict is
    the one a run of its framework alone gives it."""
    for kind in ("synth", "plan"):
        alone = scan_files([fixture_files[(kind, "good")], fixture_files[(kind, "bad")]], FRAMEWORK_BY_KIND[kind], SSM_ALLOWED)
        for label in ("good", "bad"):
            assert scans[(kind, label)] == alone[str(fixture_files[(kind, label)])], (kind, label)
    started = []
    start = warm.start
    monkeypatch.setattr(warm, "start", lambda command, *rest: started.append(command) or start(command, *rest))
    inputs = [(fixture_files[(kind, "bad")], kind) for kind in ("synth", "plan")]
    result = run_checkov(inputs, options=SSM_ALLOWED, cache=None)
    (command,) = started
    assert command[command.index("--framework") + 1:][:2] == sorted(FRAMEWORK_BY_KIND[kind] for kind in ("synth", "plan"))
    assert result.summary.failed == scans[("synth", "bad")].summary.failed + scans[("plan", "bad")].summary.failed > 0


@pytest.mark.parametrize("kind", ["synth", "plan"])
@pytest.mark.parametrize(("rule", "resource"), ALLOW_CASES)
def test_allow_custom_check_passes_documented_role(scans, kind, rule, resource):
    result = scans[(kind, "good")]
    assert (rule, resource) in result.passed_checks
    assert (rule, resource) not in failed_checks(result)


@pytest.mark.parametrize("kind", ["synth", "plan"])
@pytest.mark.parametrize(("rule", "resource"), DENY_CASES)
def test_deny_custom_check_fails_tampered_role(scans, fixture_files, kind, rule, resource):
    result = scans[(kind, "bad")]
    finding = next((f for f in result.findings if (f.rule, f.resource) == (rule, resource)), None)
    assert finding is not None, f"{rule} did not fail on {resource}: {sorted(failed_checks(result))}"
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
    failed = failed_checks(scans[("plan", "bad")])
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
    assert key in result.passed_checks and key not in failed_checks(result)


@pytest.mark.parametrize("kind", ["synth", "plan"])
def test_deny_administrator_access_even_when_configured_as_extra(configured_scans, kind):
    assert ("CKV_EKSIAM_4", "aws_iam_role_policy_attachment.node_admin") in failed_checks(configured_scans[kind])


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
    assert ("CKV_AWS_274", "aws_iam_role_policy_attachment.node_admin") in failed_checks(result)
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


def test_allow_ssm_core_without_the_opt_in(fixture_files):
    # eksctl's and Karpenter's default: within the node role's permissions for CKV_EKSIAM_4;
    # OPA's EKSIAM-NODE-005 reports it, LOW, where it is not declared.
    result = run_checkov([(fixture_files[("synth", "good")], "synth")], options=CheckovOptions())
    assert not {rule for rule, _ in failed_checks(result)} & {"CKV_EKSIAM_4"}
    assert result.summary.passed > 0


def test_cached_verdict_is_the_same_evaluation_and_is_not_run_again(fixture_files, tmp_path):
    from eksiam.gate.cache import Cache

    cache = Cache(tmp_path / "cache")
    bad = str(fixture_files[("synth", "bad")])
    first = checkov.scan_files([bad], checkov.FRAMEWORK_SYNTH, cache=cache)[bad]
    assert first.findings and not first.cached
    # A checkov that would fail is never started: the verdict comes from the cache.
    stored = checkov.scan_files([bad], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=fake_checkov(tmp_path, "exit 2")), cache=cache)[bad]
    assert stored.cached and stored.findings == first.findings and stored.summary.evaluated == first.summary.evaluated
    # Another scope is another evaluation.
    with pytest.raises(ToolError):
        checkov.scan_files([bad], checkov.FRAMEWORK_SYNTH, CheckovOptions(executable=fake_checkov(tmp_path, "exit 2"), scope="all"), cache=cache)
