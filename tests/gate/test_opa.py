"""eksiam.gate.opa: the in-process evaluator, the REST client for --opa-url (against the OPA
double of tests/opa_double: the real OPA library behind real HTTP on 127.0.0.1), and the
gate's fail-closed use of both."""

from __future__ import annotations

import dataclasses
import socket
import threading

import pytest
import requests

from eksiam.errors import ToolError, UsageError
from eksiam.gate.findings import Finding, Severity
from eksiam.gate.inputs import load_input
from eksiam.gate.opa import OpaEndpoint, open_opa, run_opa
from eksiam.gate.opa.transport import TOKEN_ENV
from tests.opa_double import OpaServerDouble

from opa_fixtures import COMPLIANT, POLICY, RENAMED


@pytest.fixture
def server():
    with OpaServerDouble() as running:
        yield running


def api(server: OpaServerDouble, method: str, path: str, token: str | None = "", **kwargs) -> requests.Response:
    """One raw HTTP request to the server, authenticated with its token unless told otherwise."""
    token = server.token if token == "" else token
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.request(method, f"{server.url}{path}", headers=headers, timeout=10, **kwargs)


def free_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- the embedded server ---------------------------------------------------------------


def test_server_listens_on_loopback_on_a_random_port(server):
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port not in (0, 8181)
    response = api(server, "GET", "/health")
    assert response.status_code == 200
    assert response.json() == {}


def test_two_servers_get_different_ports_and_tokens():
    with OpaServerDouble() as first, OpaServerDouble() as second:
        assert first.port != second.port
        assert first.token != second.token
        assert api(first, "GET", "/health", token=second.token).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer "}, {"Authorization": "Basic {token}"},
     {"Authorization": "{token}"}],
    ids=["no-header", "wrong-token", "empty-token", "basic-scheme", "no-scheme"],
)
@pytest.mark.parametrize("method, path", [("GET", "/health"), ("GET", "/v1/policies"), ("POST", "/v1/data/eksiam/main")])
def test_server_rejects_requests_without_its_token(server, headers, method, path):
    headers = {name: value.format(token=server.token) for name, value in headers.items()}
    response = requests.request(method, f"{server.url}{path}", headers=headers, json={"input": {}}, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "request rejected by administrative policy"}


def test_put_policy_then_evaluate_with_input_as_opa_does(server):
    put = api(server, "PUT", "/v1/policies/demo.rego", data="package demo\nallow if input.user == \"alice\"\n")
    assert (put.status_code, put.json()) == (200, {})

    allowed = api(server, "POST", "/v1/data/demo/allow", json={"input": {"user": "alice"}})
    assert allowed.json() == {"result": True}
    # An undefined document has no "result" key at all, exactly as OPA answers.
    undefined = api(server, "POST", "/v1/data/demo/allow", json={"input": {"user": "bob"}})
    assert (undefined.status_code, undefined.json()) == (200, {})

    listed = api(server, "GET", "/v1/policies").json()["result"]
    assert [p["id"] for p in listed] == ["demo.rego"]
    assert [t["value"] for t in listed[0]["ast"]["package"]["path"]] == ["data", "demo"]


def test_put_policy_with_the_same_id_replaces_the_module(server):
    api(server, "PUT", "/v1/policies/a.rego", data="package a\nx := 1\n")
    api(server, "PUT", "/v1/policies/a.rego", data="package a\ny := 2\n")
    assert api(server, "GET", "/v1/data/a").json() == {"result": {"y": 2}}


def test_policy_that_does_not_compile_is_rejected_with_opa_error_shape_and_not_activated(server):
    api(server, "PUT", "/v1/policies/good.rego", data="package good\nx := 1\n")
    response = api(server, "PUT", "/v1/policies/dir/bad.rego", data="package bad\n\nx := undefined_fn(1)\n")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_parameter"
    assert body["message"] == "error(s) occurred while compiling module(s)"
    assert body["errors"][0]["code"] == "rego_type_error"
    assert body["errors"][0]["location"]["file"] == "dir/bad.rego"
    assert body["errors"][0]["location"]["row"] == 3
    assert "undefined function undefined_fn" in body["errors"][0]["message"]
    # The rejected module never took effect: the rest keeps evaluating.
    assert [p["id"] for p in api(server, "GET", "/v1/policies").json()["result"]] == ["good.rego"]
    assert api(server, "GET", "/v1/data/good/x").json() == {"result": 1}


def test_parse_error_carries_row_and_column(server):
    response = api(server, "PUT", "/v1/policies/p.rego", data="package p\n\nx := ]\ny := 1\n")
    error = response.json()["errors"][0]
    assert (response.status_code, error["code"]) == (400, "rego_parse_error")
    assert error["location"]["file"] == "p.rego"
    assert error["location"]["row"] == 3
    assert error["location"]["col"] == 6


def test_data_put_is_204_and_replaces_the_document(server):
    assert api(server, "PUT", "/v1/data/eksiam/config", json={"a": 1, "b": 2}).status_code == 204
    assert api(server, "PUT", "/v1/data/eksiam/config", json={"a": 3}).status_code == 204
    assert api(server, "GET", "/v1/data/eksiam/config").json() == {"result": {"a": 3}}
    assert api(server, "DELETE", "/v1/data/eksiam/config").status_code == 204
    assert api(server, "GET", "/v1/data/eksiam/config").json() == {}
    assert api(server, "DELETE", "/v1/data/eksiam/config").status_code == 404


def test_ad_hoc_query_returns_bindings_or_nothing(server):
    api(server, "PUT", "/v1/policies/q.rego", data="package q\nnames := {\"a\", \"b\"}\n")
    found = api(server, "POST", "/v1/query", json={"query": "data.q.names[x]; x != input.skip", "input": {"skip": "a"}})
    assert found.json() == {"result": [{"x": "b"}]}
    assert api(server, "POST", "/v1/query", json={"query": "data.q.names[\"c\"]"}).json() == {}
    bad = api(server, "POST", "/v1/query", json={"query": "x := "})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_parameter")


def test_server_started_with_a_policy_set_holds_it_as_opa_run_does():
    policies = {"lib/names.rego": "package lib\nname := \"alice\"\n", "demo.rego": "package demo\nimport data.lib\nallow if input.user == lib.name\n"}
    with OpaServerDouble(policies) as server:
        assert server.policies == policies
        listed = api(server, "GET", "/v1/policies").json()["result"]
        assert {p["id"]: p["raw"] for p in listed} == policies
        assert api(server, "POST", "/v1/data/demo/allow", json={"input": {"user": "alice"}}).json() == {"result": True}


def test_server_started_with_a_set_that_does_not_compile_holds_nothing():
    with OpaServerDouble({"bad.rego": "package bad\nx := undefined_function(1)\n"}) as server:
        assert server.policies == {}
        assert api(server, "GET", "/v1/policies").json() == {"result": []}


def test_evaluation_error_is_a_500_with_the_location(server):
    api(server, "PUT", "/v1/policies/c.rego", data="package c\nv := 1 if input.a\nv := 2 if input.a\n")
    response = api(server, "POST", "/v1/data/c/v", json={"input": {"a": True}})
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "eval_conflict_error"


def test_server_stops_and_closes_its_port_on_exit():
    with OpaServerDouble() as server:
        port = server.port
        assert port_is_open(port)
    assert not port_is_open(port)


def test_server_stops_even_when_the_block_raises():
    with pytest.raises(RuntimeError, match="boom"):
        with OpaServerDouble() as server:
            port = server.port
            raise RuntimeError("boom")
    assert not port_is_open(port)


# -- the gate: findings ------------------------------------------------------------------


def test_gate_turns_the_decision_into_findings():
    outcome = run_opa([load_input(RENAMED), load_input(COMPLIANT)], POLICY)
    assert outcome.findings == (
        Finding(
            rule="EKSIAM-TEST-001",
            severity=Severity.HIGH,
            engine="opa",
            resource="aws_iam_role.node_role",
            message='aws_iam_role.node_role is named "RenamedNodeRole", not "NodeInstanceRole".',
            remediation="Rename the role to the configured node role name.",
            file=str(RENAMED),
            title="Node role keeps its configured name",
        ),
    )
    # One rule on each of two inputs; it failed on one of them.
    assert dataclasses.astuple(outcome.summary) == (2, 1, 1, 0)  # evaluated, failed, passed, cached


def test_gate_skips_test_files(tmp_path):
    outcome = run_opa([load_input(COMPLIANT)], POLICY)
    assert [d.rules for d in outcome.decisions] == [("EKSIAM-TEST-001",)]
    assert outcome.findings == ()


def test_gate_uploads_the_config_as_data_eksiam_config():
    config = {"node": {"role_name": "RenamedNodeRole"}}
    outcome = run_opa([load_input(RENAMED), load_input(COMPLIANT)], POLICY, policy_config=config)
    assert [(f.file, f.rule) for f in outcome.findings] == [(str(COMPLIANT), "EKSIAM-TEST-001")]


def test_without_a_config_the_rules_get_no_data_and_with_one_exactly_it(server):
    # The caller passes the data (the SDK's Config, through the pipeline); without it the rules
    # apply their own defaults, as in an HCP Terraform policy set.
    config = {"node": {"role_name": "RenamedNodeRole"}}
    with open_opa(POLICY, opa_url=server.url, token=server.token) as gate:
        gate.evaluate(load_input(COMPLIANT))
    assert "result" not in api(server, "GET", "/v1/data/eksiam/config").json()
    with open_opa(POLICY, opa_url=server.url, token=server.token, policy_config=config) as gate:
        gate.evaluate(load_input(COMPLIANT))
    assert api(server, "GET", "/v1/data/eksiam/config").json()["result"] == config


# -- the gate: OPA given by URL, as if external --------------------------------------------


def test_gate_drives_an_opa_server_given_by_url_over_http(server):
    with open_opa(POLICY, opa_url=server.url, environ={TOKEN_ENV: server.token}) as gate:
        decision = gate.evaluate(load_input(RENAMED))
    assert [f.rule for f in decision.findings] == ["EKSIAM-TEST-001"]
    # What the client uploaded is on the server, read back over plain HTTP.
    listed = sorted(p["id"] for p in api(server, "GET", "/v1/policies").json()["result"])
    assert listed == ["checks/role_name.rego", "lib/result.rego", "main.rego"]


def test_gate_removes_stale_eksiam_modules_and_leaves_others_alone(server):
    always = 'package eksiam.rules.removed\nrule_id := "EKSIAM-GONE"\ndeny contains {"id": "EKSIAM-GONE", "severity": "HIGH", "resource": "r", "msg": "m"}\n'
    api(server, "PUT", "/v1/policies/checks/removed.rego", data=always)
    api(server, "PUT", "/v1/policies/theirs.rego", data="package theirs\nx := 1\n")
    with open_opa(POLICY, opa_url=server.url, token=server.token) as gate:
        decision = gate.evaluate(load_input(COMPLIANT))
    assert decision.rules == ("EKSIAM-TEST-001",)
    listed = {p["id"] for p in api(server, "GET", "/v1/policies").json()["result"]}
    assert "checks/removed.rego" not in listed
    assert "theirs.rego" in listed


@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
def test_gate_rejected_by_a_servers_token_check_fails_closed(server, token):
    with pytest.raises(ToolError, match=rf"unauthorized \(HTTP 401\).*{TOKEN_ENV}"):
        with open_opa(POLICY, opa_url=server.url, token=token, environ={}):
            pass


def test_dead_url_fails_closed(tmp_path):
    port = free_port()
    with pytest.raises(ToolError, match=rf"cannot reach OPA at http://127.0.0.1:{port}"):
        run_opa([load_input(COMPLIANT)], POLICY, opa_url=f"http://127.0.0.1:{port}", timeout=2)


def test_server_that_never_answers_times_out():
    # A listening socket nobody accepts from: the connection opens, no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ToolError, match=r"did not answer within 0.2s"):
            run_opa([load_input(COMPLIANT)], POLICY, opa_url=url, timeout=0.2)


@pytest.mark.parametrize(
    "url",
    ["localhost:8181", "ftp://opa:8181", "http://opa:8181/v1", "http://user:pw@opa:8181", "http://opa:notaport"],
)
def test_unusable_opa_url_is_a_usage_error(url):
    with pytest.raises(UsageError, match="--opa-url"):
        open_opa(POLICY, opa_url=url)


def test_opa_url_defaults_ports_by_scheme():
    assert OpaEndpoint.parse("https://opa.example.com").port == 443
    assert OpaEndpoint.parse("http://opa.example.com/").url == "http://opa.example.com:80"
    assert OpaEndpoint.parse("http://[::1]:8181").host == "[::1]"


def test_the_default_engine_opens_no_port_and_needs_no_proxy(monkeypatch):
    # In-process: a CI runner's dead proxy, or anything else on the machine, cannot come between.
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead_proxy)
    before = set(threading.enumerate())
    with open_opa(POLICY) as gate:
        assert [f.rule for f in gate.evaluate(load_input(RENAMED)).findings] == ["EKSIAM-TEST-001"]
        assert set(threading.enumerate()) == before, "no server thread"
    assert not gate.url.startswith("http")
