"""Runs that share a working directory each get their own verdict.

CI jobs sharing a checkout, a pre-commit hook beside an editor: two `eksiam` processes start
in one directory at once, one of them with AdministratorAccess on the node role. The one
with it must fail and the other pass, however their steps interleave.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.integration

EKSIAM = Path(sys.executable).parent / "eksiam"
ADVERSARIAL = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def start(cwd: Path, *argv: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(EKSIAM), *argv], cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(run: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = run.communicate(timeout=1200)
    return run.returncode, out, err


def test_two_app_checks_in_one_directory_each_judge_their_own_config(project):
    admin = start(project, "check", "--no-checkov", "--format", "json",
                  EKSIAM_NODE_ADDITIONAL_POLICY_ARNS=json.dumps([ADMIN_ARN]))
    clean = start(project, "check", "--no-checkov", "--format", "json")
    (admin_code, admin_out, admin_err), (clean_code, clean_out, clean_err) = finish(admin), finish(clean)

    assert admin_code == 1, admin_err
    admin_report = json.loads(admin_out)
    assert any("AdministratorAccess" in f["resource"] or "AdministratorAccess" in f["message"] for f in admin_report["findings"])
    assert clean_code == 0, clean_err
    assert json.loads(clean_out)["findings"] == []
    # Both published whole stacks; nothing of either run is left behind.
    node = json.loads((project / "cdktf.out" / "stacks" / "eksiam-node" / "cdk.tf.json").read_text())
    assert "aws_iam_role" in node["resource"]
    assert not [p for p in project.iterdir() if p.name.startswith(".cdktf.out.")]
    assert not list((project / ".eksiam").glob("run-*"))
    assert not list((project / "cdktf.out" / "stacks").glob(".*"))


def test_input_checks_racing_for_one_report_file_each_keep_their_verdict(tmp_path):
    insecure = ADVERSARIAL / "node_power_user_access.tf.json"
    secure = ADVERSARIAL / "node_secure_description.tf.json"
    for _ in range(3):
        runs = [
            start(tmp_path, "check", "--input", str(path), "--no-checkov", "--format", "json",
                  "--output", "report.json", "--report", "junit=report.xml")
            for path in (insecure, secure, insecure, secure)
        ]
        codes = [finish(run)[0] for run in runs]
        assert codes == [1, 0, 1, 0]
        # The report file is one run's whole report, never a mix or a torn write.
        assert json.loads((tmp_path / "report.json").read_text())["passed"] in (True, False)
        assert not list(tmp_path.glob(".report.*"))


# -- verify: two accounts, one directory ----------------------------------------------------

_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


def _account(policies: tuple[str, ...]) -> str:
    """IAM's GetAccountAuthorizationDetails answer for an account holding just the node role."""
    attached = "".join(
        f"<member><PolicyName>{name}</PolicyName><PolicyArn>arn:aws:iam::aws:policy/{name}</PolicyArn></member>"
        for name in policies
    )
    role = (
        "<member><Path>/</Path><RoleName>NodeInstanceRole</RoleName><RoleId>AROAEXAMPLE000000001</RoleId>"
        "<Arn>arn:aws:iam::123456789012:role/NodeInstanceRole</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
        f"<AssumeRolePolicyDocument>{quote(json.dumps(_TRUST))}</AssumeRolePolicyDocument>"
        f"<InstanceProfileList/><RolePolicyList/><AttachedManagedPolicies>{attached}</AttachedManagedPolicies>"
        "<Tags/></member>"
    )
    return (
        '<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated><UserDetailList/><GroupDetailList/>"
        f"<RoleDetailList>{role}</RoleDetailList><Policies/></GetAccountAuthorizationDetailsResult>"
        "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>"
    )


@pytest.fixture
def accounts() -> Iterator[dict[str, str]]:
    """Two IAM endpoints on 127.0.0.1: a documented node role, and the same with AdministratorAccess."""
    servers = {}
    for name, policies in (("clean", _NODE_POLICIES), ("admin", (*_NODE_POLICIES, "AdministratorAccess"))):
        body = _account(policies).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            answer = body

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(self.answer)))
                self.end_headers()
                self.wfile.write(self.answer)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers[name] = server
    try:
        yield {name: f"http://127.0.0.1:{server.server_address[1]}" for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


def test_two_verifies_in_one_directory_each_judge_their_own_account(tmp_path, accounts):
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "EKSIAM_CONNECTOR_ENABLED": "false"}
    for _ in range(2):
        runs = [
            start(tmp_path, "verify", "--format", "json", AWS_ENDPOINT_URL=accounts[name], **aws)
            for name in ("admin", "clean", "admin", "clean")
        ]
        results = [finish(run) for run in runs]
        assert [code for code, _, _ in results] == [1, 0, 1, 0], [err for _, _, err in results]
        admin_findings = json.loads(results[0][1])["findings"]
        assert any("AdministratorAccess" in f["message"] for f in admin_findings)
    assert not (tmp_path / ".eksiam").exists()
