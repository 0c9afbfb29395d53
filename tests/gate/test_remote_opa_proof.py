"""`--opa-url`: a server that did not run the gate's rules fails the gate closed (exit 3).

The fake OPA here is a loopback HTTP server speaking just enough of OPA's REST API for the
gate's client: it accepts policy and data uploads and answers the decision with whatever the
test tells it. The real rule ids come from the policy METADATA, as the gate reads them; the
control at the end runs a real OPA engine behind REST (tests/opa_double) by URL.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest

from eksiam.gate import POLICY_DIR
from tests.opa_double import OpaServerDouble
from eksiam.gate.report.rules import load_rule_metadata

from cli_runs import one_error_line, run_cli

SECURE = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_secure_description.tf.json"
RULE_IDS = sorted(load_rule_metadata(POLICY_DIR))


@dataclass
class FakeOpa:
    rules: list[str] = field(default_factory=lambda: list(RULE_IDS))
    findings: list[dict[str, str]] = field(default_factory=list)
    stores_policies: bool = True
    policies: dict[str, str] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    decisions: int = 0
    url: str = ""


@pytest.fixture
def fake_opa() -> Iterator[FakeOpa]:
    fake = FakeOpa()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _answer(self, status: int, payload: object | None = None) -> None:
            body = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/v1/policies":
                listed = [{"id": i, "raw": raw, "ast": {}} for i, raw in fake.policies.items()]
                return self._answer(200, {"result": listed})
            policy_id = unquote(self.path.removeprefix("/v1/policies/"))
            if policy_id in fake.policies:
                return self._answer(200, {"result": {"id": policy_id, "raw": fake.policies[policy_id]}})
            return self._answer(404, {"code": "resource_not_found", "message": f"storage_not_found_error: {policy_id}"})

        def do_PUT(self) -> None:  # noqa: N802
            body = self._body()
            if self.path.startswith("/v1/policies/"):
                fake.uploads.append(unquote(self.path.removeprefix("/v1/policies/")))
                if fake.stores_policies:
                    fake.policies[unquote(self.path.removeprefix("/v1/policies/"))] = body.decode()
                return self._answer(200, {})
            return self._answer(204)

        def do_POST(self) -> None:  # noqa: N802
            self._body()
            fake.decisions += 1
            return self._answer(200, {"result": {"findings": fake.findings, "rules": fake.rules}})

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def check(capsys, url: str, *extra: str) -> tuple[int, str, str]:
    return run_cli(["check", "--input", str(SECURE), "--opa-url", url, "--no-checkov", "--format", "json", *extra], capsys)


def test_the_policy_set_declares_rule_ids():
    assert len(RULE_IDS) >= 10 and all(rule.startswith("EKSIAM-") for rule in RULE_IDS)


def test_a_made_up_rule_id_fails_closed(fake_opa, capsys):
    fake_opa.rules = ["bogus"]
    code, out, err = check(capsys, fake_opa.url)
    assert code == 3 and out == ""
    line = one_error_line(err)
    assert f"did not evaluate {len(RULE_IDS)} of the gate's {len(RULE_IDS)} rules" in line
    assert fake_opa.decisions == 1  # it answered; the answer was refused


def test_one_rule_missing_fails_closed_naming_it(fake_opa, capsys):
    fake_opa.rules = [rule for rule in RULE_IDS if rule != "EKSIAM-NODE-003"]
    code, out, err = check(capsys, fake_opa.url)
    assert code == 3 and out == "" and "(EKSIAM-NODE-003)" in one_error_line(err)


def test_a_rule_the_gate_does_not_know_fails_closed(fake_opa, capsys):
    fake_opa.rules = [*RULE_IDS, "EKSIAM-NODE-999"]
    code, out, err = check(capsys, fake_opa.url)
    assert code == 3 and out == ""
    assert "reported rules the gate does not know" in one_error_line(err) and "EKSIAM-NODE-999" in err


def test_a_server_that_does_not_keep_the_uploaded_policies_fails_closed(fake_opa, capsys):
    fake_opa.stores_policies = False  # answers every id, evaluates nothing of ours
    code, out, err = check(capsys, fake_opa.url)
    assert code == 3 and out == ""
    assert "does not hold the policy" in one_error_line(err)
    assert fake_opa.decisions == 0  # refused before any input was sent


def test_a_server_holding_the_policy_set_gets_no_upload_and_a_changed_module_is_replaced(fake_opa, capsys):
    assert check(capsys, fake_opa.url)[0] == 0
    uploaded = sorted(fake_opa.uploads)
    assert uploaded and sorted(fake_opa.policies) == uploaded
    fake_opa.uploads.clear()
    assert check(capsys, fake_opa.url)[0] == 0
    assert fake_opa.uploads == [] and fake_opa.decisions == 2  # not re-uploaded, still asked
    changed = uploaded[0]
    fake_opa.policies[changed] += "\n# edited by another client\n"
    assert check(capsys, fake_opa.url)[0] == 0
    assert fake_opa.uploads == [changed]


def test_a_real_opa_by_url_passes_and_fails_as_the_embedded_one(capsys, monkeypatch):
    with OpaServerDouble() as server:
        monkeypatch.setenv("EKSIAM_OPA_TOKEN", server.token)
        code, out, err = check(capsys, server.url)
        assert code == 0 and json.loads(out)["passed"] is True, err
        admin = SECURE.parent / "node_power_user_access.tf.json"
        code, out, _ = run_cli(["check", "--input", str(admin), "--opa-url", server.url, "--no-checkov", "--format", "json"], capsys)
        report = json.loads(out)
    assert code == 1 and report["findings"]
