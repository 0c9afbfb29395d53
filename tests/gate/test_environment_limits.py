"""Limits from the environment: every value checked before any work, each one obeyed.

"Before any work" is observable: the gate prints one line per step it ran, so a refused
value leaves stderr with the error line alone, and a project's output directory unwritten.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from eksiam.errors import UsageError
from eksiam.gate.limits import Limits, read_limits

from cli_runs import run_cli

SECURE = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_secure_description.tf.json"
VARIABLES = ("EKSIAM_MAX_INPUT_MB", "EKSIAM_OPA_TIMEOUT", "EKSIAM_CHECKOV_TIMEOUT")


@pytest.mark.parametrize("variable", VARIABLES)
@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf"])
def test_a_bad_limit_stops_an_input_check_before_opa_runs(capsys, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    code, out, err = run_cli(["check", "--input", str(SECURE)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{variable}={value!r} is not a positive number" in err
    assert "eksiam: opa" not in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["abc", "0", "nan", "inf"])
def test_checkovs_own_options_refuse_what_the_gate_refuses(monkeypatch, value):
    # One parser per limit: the options a checkov run is given cannot accept what read_limits refused.
    from eksiam.gate.checkov import CheckovOptions

    monkeypatch.setenv("EKSIAM_CHECKOV_TIMEOUT", value)
    with pytest.raises(UsageError, match=f"EKSIAM_CHECKOV_TIMEOUT={value!r} is not a positive number"):
        read_limits()
    with pytest.raises(UsageError, match=f"EKSIAM_CHECKOV_TIMEOUT={value!r} is not a positive number"):
        CheckovOptions()


@pytest.mark.parametrize("variable", VARIABLES)
def test_a_bad_limit_stops_an_app_check_before_synth(project, capsys, monkeypatch, variable):
    monkeypatch.setenv(variable, "ten")
    code, out, err = run_cli(["check"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and variable in err
    assert not (project / "cdktf.out").exists() and not (project / ".eksiam").exists()


def test_a_bad_limit_stops_verify_before_aws_is_asked(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("EKSIAM_OPA_TIMEOUT", "soon")
    code, _, err = run_cli(["verify"], capsys)
    assert code == 2 and err.count("\n") == 1 and "EKSIAM_OPA_TIMEOUT" in err and "unreachable" not in err


def test_a_bad_provider_mirror_stops_an_app_check_before_synth(project, capsys, monkeypatch):
    monkeypatch.setenv("EKSIAM_PROVIDER_MIRROR", str(project / "no-such-mirror"))
    code, _, err = run_cli(["check"], capsys)
    assert code == 2 and err.count("\n") == 1 and "EKSIAM_PROVIDER_MIRROR" in err
    assert not (project / "cdktf.out").exists()


def test_a_missing_checkov_stops_the_check_before_opa_runs(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("EKSIAM_CHECKOV", str(tmp_path / "no-checkov-here"))
    code, _, err = run_cli(["check", "--input", str(SECURE)], capsys)
    assert code == 3 and err.count("\n") == 1 and "checkov is not installed" in err
    assert "eksiam: opa" not in err


def test_limits_are_read_with_their_defaults_and_units():
    assert read_limits({}) == Limits()
    limits = read_limits({"EKSIAM_MAX_INPUT_MB": "0.5", "EKSIAM_OPA_TIMEOUT": "2.5", "EKSIAM_CHECKOV_TIMEOUT": " 60 "})
    assert limits == Limits(max_input_bytes=512 * 1024, opa_timeout=2.5, checkov_timeout=60.0)
    assert Limits().max_input_mb == 64
    with pytest.raises(UsageError, match=r"EKSIAM_MAX_INPUT_MB='1e999' is not a positive number of megabytes"):
        read_limits({"EKSIAM_MAX_INPUT_MB": "1e999"})


def test_opa_timeout_is_obeyed_and_named_when_it_expires(capsys, monkeypatch):
    # A listening socket nobody accepts from: the connection opens, no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setenv("EKSIAM_OPA_TIMEOUT", "0.3")
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        code, out, err = run_cli(["check", "--input", str(SECURE), "--opa-url", url, "--no-checkov"], capsys)
    assert code == 3 and out == "" and err.count("\n") == 1
    assert "did not answer within 0.3s" in err and "raise EKSIAM_OPA_TIMEOUT" in err
