"""A run that ends early (exit 2 or 3) still writes every report it was asked for, saying why;
a failing app is shown by its own exception at its own line."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET

from eksiam.cli import main


def test_every_requested_report_says_why_the_run_ended(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--input", "missing.json", "--format", "sarif", "--output", "out.sarif",
                 "--report", "junit=out.xml", "--report", "codequality=quality.json", "--report", "json=out.json"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    message = err.strip().removeprefix("eksiam: error: ")
    invocation = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["invocations"][0]
    assert invocation == {
        "executionSuccessful": False,
        "toolExecutionNotifications": [{"level": "error", "message": {"text": message}, "descriptor": {"id": "EKSIAM-ERROR"}}],
    }
    error = ET.parse(tmp_path / "out.xml").getroot().find("./testsuite/testcase/error")
    assert error is not None and error.get("message") == message
    assert json.loads((tmp_path / "out.json").read_text()) == {"passed": False, "error": message, "exit_code": 2, "findings": []}
    (entry,) = json.loads((tmp_path / "quality.json").read_text())
    assert entry["severity"] == "blocker" and message in entry["description"]


def test_a_bad_command_line_still_writes_the_report_it_names(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--no-such-flag", "--report", "sarif=gate.sarif"])
    assert code == 2 and "--no-such-flag" in capsys.readouterr().err
    invocation = json.loads((tmp_path / "gate.sarif").read_text())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and "--no-such-flag" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_a_failing_app_shows_its_traceback_and_its_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text("import sys\n\n\ndef build():\n    raise ValueError('no region ' + 'given')\n\n\nbuild()\n")
    code = main(["synth", "--app", f"{sys.executable} main.py"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err[-1].endswith("failed: ValueError: no region given (main.py:5)")
    assert "  | Traceback (most recent call last):" in err and "  |     raise ValueError('no region ' + 'given')" in err


def test_debug_shows_all_of_a_long_app_output(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text("import sys\nfor n in range(40):\n    print(f'line {n}', file=sys.stderr)\nsys.exit(1)\n")
    assert main(["synth", "--app", f"{sys.executable} main.py"]) == 2
    short = capsys.readouterr().err
    assert "line 39" in short and "line 0\n" not in short and "all with --debug" in short
    assert main(["synth", "--debug", "--app", f"{sys.executable} main.py"]) == 2
    assert "  | line 0\n" in capsys.readouterr().err
