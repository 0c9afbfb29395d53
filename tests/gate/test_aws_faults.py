"""`eksiam verify` against an IAM endpoint that fails: every AWS error is exit 3 with its own words.

The endpoint is a loopback HTTP server written here that answers as IAM's query API does
(``ErrorResponse`` XML with a ``Code``), so botocore parses, classifies and retries exactly as
it would against AWS. A throttled caller must not be told to fix its permissions, nor a
denied one to retry later.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


from cli_runs import run_cli

_ERROR = """<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>
  <RequestId>4d1f7d7e-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>"""
_EMPTY_ACCOUNT = """<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetAccountAuthorizationDetailsResult>
    <IsTruncated>false</IsTruncated>
    <UserDetailList/><GroupDetailList/><RoleDetailList/><Policies/>
  </GetAccountAuthorizationDetailsResult>
  <ResponseMetadata><RequestId>4d1f7d7e-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</GetAccountAuthorizationDetailsResponse>"""


@dataclass
class FakeIam:
    """What the server answers, and what it was asked."""

    status: int = 200
    body: str = _EMPTY_ACCOUNT
    content_type: str = "text/xml"
    requests: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def iam(monkeypatch, tmp_path) -> Iterator[FakeIam]:
    fake = FakeIam()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            fake.requests.append(self.rfile.read(length).decode())
            payload = fake.body.encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", fake.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.chdir(tmp_path)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("eksiam: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    "status, kind, code, message, expected, not_expected",
    [
        (500, "Receiver", "InternalFailure", "We encountered an internal error. Please try again.",
         r"failed with HTTP 500 \(InternalFailure: .*retry later", "grant"),
        (503, "Receiver", "ServiceUnavailable", "Service is unable to handle request.",
         r"failed with HTTP 503 \(ServiceUnavailable: .*retry later", "grant"),
        (400, "Sender", "Throttling", "Rate exceeded",
         r"throttled GetAccountAuthorizationDetails \(Throttling: Rate exceeded\).*AWS_MAX_ATTEMPTS", "grant"),
        (403, "Sender", "AccessDenied",
         "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:GetAccountAuthorizationDetails",
         r"denied GetAccountAuthorizationDetails \(AccessDenied: User: .*grant iam:GetAccountAuthorizationDetails", "retry"),
        (403, "Sender", "InvalidClientTokenId", "The security token included in the request is invalid.",
         r"rejected the credentials \(InvalidClientTokenId: ", "grant"),
    ],
    ids=["http-500", "http-503", "throttling", "access-denied", "bad-credentials"],
)
def test_every_iam_error_exits_3_with_its_own_code_and_advice(
    iam, capsys, monkeypatch, status, kind, code, message, expected, not_expected
):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # the retry test below covers retries
    iam.status, iam.body = status, _ERROR.format(kind=kind, code=code, message=message)
    exit_code, out, err = run_cli(["verify"], capsys)
    line = error_line(err)
    assert exit_code == 3 and out == ""
    assert code in line
    assert re.search(expected, line), line
    assert not_expected not in line.lower()
    assert iam.requests and "Action=GetAccountAuthorizationDetails" in iam.requests[0]


def test_a_500_that_is_not_an_aws_answer_exits_3(iam, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    iam.status, iam.body, iam.content_type = 500, "<html><body>Bad gateway of a proxy</body></html>", "text/html"
    exit_code, out, err = run_cli(["verify"], capsys)
    line = error_line(err)
    assert exit_code == 3 and out == ""
    assert "HTTP 500" in line and "grant" not in line


def test_retries_on_a_failing_iam_are_bounded(iam, capsys):
    iam.status, iam.body = 500, _ERROR.format(kind="Receiver", code="InternalFailure", message="internal error")
    exit_code, _, err = run_cli(["verify"], capsys)
    line = error_line(err)
    assert exit_code == 3
    assert len(iam.requests) == 3 and "after 3 attempts" in line


def test_the_users_retry_setting_wins(iam, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    iam.status, iam.body = 400, _ERROR.format(kind="Sender", code="Throttling", message="Rate exceeded")
    exit_code, _, err = run_cli(["verify"], capsys)
    assert exit_code == 3 and len(iam.requests) == 2 and "throttled" in error_line(err)


def test_verify_checks_the_snapshot_it_read_and_saves_none_unless_asked(iam, capsys, tmp_path):
    # An account without any EKS role: the snapshot is read, checked, and fails closed
    # (EKSIAM-INPUT-001: no role the rules could judge).
    exit_code, out, _ = run_cli(["verify", "--format", "json"], capsys)
    report = json.loads(out)
    assert exit_code == 1
    assert "EKSIAM-INPUT-001" in {f["rule"] for f in report["findings"]}
    assert report["findings"][0]["file"] == "aws-account"
    assert not (tmp_path / ".eksiam").exists()  # no shared snapshot file another run could rewrite

    saved = tmp_path / "snapshots" / "account.json"
    exit_code, out, _ = run_cli(["verify", "--format", "json", "--snapshot", str(saved)], capsys)
    assert exit_code == 1
    assert json.loads(saved.read_text()) == {"Policies": [], "RoleDetailList": []}
    assert json.loads(out)["findings"][0]["file"] == str(saved)
