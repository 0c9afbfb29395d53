"""`eksiam check` end to end when something is wrong: bad input and options exit 2 with one
line before any work; a dead OPA, a failing terraform or checkov exit 3 and pass nothing; a
file checkov cannot read fails alone."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from stacks import NODE_STACK

from cli_runs import run_cli

# `stacks` imports cdktf: with the integration tests.
pytestmark = pytest.mark.integration


@pytest.mark.parametrize("content, expected", [
    (None, "does not exist"),
    ("{not json", "JSON"),
    ('{"hello": "world"}', "is not a cdk.tf.json"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli(["check", "--input", str(path)], capsys)
    assert code == 2 and out == ""
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_unknown_format_exits_2(capsys):
    code, _, err = run_cli(["check", "--format", "yaml"], capsys)
    assert code == 2 and "invalid choice: 'yaml'" in err


def test_dead_opa_fails_closed(synth_dir, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stack = synth_dir / "stacks" / NODE_STACK / "cdk.tf.json"
    code, out, err = run_cli(["check", "--input", str(stack), "--opa-url", f"http://127.0.0.1:{port}"], capsys)
    assert code == 3 and out == "" and err.count("\n") == 1


def fake_tool(directory: Path, name: str, exit_code: int) -> Path:
    tool = directory / name
    tool.write_text(f"#!/bin/sh\necho 'simulated {name} failure' >&2\nexit {exit_code}\n")
    tool.chmod(0o755)
    return tool


def test_failing_terraform_fails_closed(project, monkeypatch, capsys):
    bin_dir = project / "bin"
    bin_dir.mkdir()
    fake_tool(bin_dir, "terraform", 1)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = run_cli(["check"], capsys)
    assert code == 3 and out == ""
    assert "terraform" in err.splitlines()[-1] and "Traceback" not in err


def test_failing_checkov_fails_closed(synth_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EKSIAM_CHECKOV", str(fake_tool(tmp_path, "checkov", 2)))
    stack = synth_dir / "stacks" / NODE_STACK / "cdk.tf.json"
    code, out, err = run_cli(["check", "--input", str(stack), "--format", "json", "--no-cache"], capsys)
    assert code == 3 and "checkov could not evaluate" in err.splitlines()[-1]
    # The report still shows what OPA found; it passes nothing.
    report = json.loads(out)
    assert report["passed"] is False and report["summary"]["opa"]["evaluated"] > 0
    assert [e["engine"] for e in report["errors"]] == ["checkov"]


def test_a_file_checkov_cannot_read_fails_alone_and_the_others_keep_their_verdict(synthesized, tmp_path, capsys):
    # checkov 3.3.30's built-in trust check raises on a dynamic inline_policy block it cannot expand.
    unreadable = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_dynamic_inline_policy.tf.json"
    bad = tmp_path / "bad.tf.json"
    bad.write_text(unreadable.read_text())
    good = tmp_path / "good.tf.json"
    good.write_text(json.dumps(synthesized[NODE_STACK]))
    code, out, err = run_cli(["check", "--input", str(good), "--input", str(bad), "--format", "json", "--no-cache"], capsys)
    report = json.loads(out)
    assert code == 3 and {e["file"] for e in report["errors"]} == {str(bad)} and "checkov could not evaluate" in err
    assert any(f["file"] == str(bad) and f["engine"] == "opa" for f in report["findings"]), "OPA's findings are in the report"
    assert not any(f["file"] == str(good) for f in report["findings"]), "the readable file keeps its own (clean) verdict"
    assert report["summary"]["checkov"]["passed"] > 0


def test_bad_checkov_scope_is_refused_before_any_work(synth_dir, monkeypatch, capsys):
    monkeypatch.setenv("EKSIAM_CHECKOV_SCOPE", "everything")
    code, out, err = run_cli(["check", "--input", str(synth_dir / "stacks" / NODE_STACK / "cdk.tf.json")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "EKSIAM_CHECKOV_SCOPE" in err and "opa" not in err
