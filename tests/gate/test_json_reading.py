"""Every JSON file the gate reads is read as Terraform reads it, or refused with one line (exit 2).

Uses the adversarial corpus (tests/fixtures/adversarial): its ``fault`` cases and every case
whose file repeats a key. Python's json keeps the last of two equal keys where Terraform plans
both, so a repeated key could hide an AdministratorAccess attachment; the gate refuses such
a file and names the key and its line.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import pytest

from eksiam.gate.jsonfile import nesting_exceeds
from eksiam.gate.limits import MAX_JSON_DEPTH

from cli_runs import one_error_line, run_cli

ADVERSARIAL = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial"
MANIFEST = json.loads((ADVERSARIAL / "manifest.json").read_text())
FAULTS = [case for case in MANIFEST if case["kind"] == "fault"]
# Synthesized files that repeat a key somewhere; their plans (written by terraform) do not.
DUPLICATE_KEY_CASES = [case for case in MANIFEST if "dupkey" in case["case"]]


@pytest.mark.parametrize("case", FAULTS, ids=[c["case"] for c in FAULTS])
@pytest.mark.parametrize("engines", [["--no-checkov"], []], ids=["opa-alone", "both-engines"])
def test_fault_corpus_is_refused_with_one_line(capsys, case, engines):
    path = ADVERSARIAL / case["synth"]
    code, out, err = run_cli(["check", "--input", str(path), *engines], capsys)
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert str(path) in line


def test_each_fault_gets_its_own_reason(capsys):
    expected = {
        "fault_deep_nesting_array": f"more than {MAX_JSON_DEPTH} deep",
        "fault_deep_nesting_object": f"more than {MAX_JSON_DEPTH} deep",
        "fault_invalid_utf8": "not UTF-8 text (byte 0xff at line 57)",
        "fault_empty": "is empty",
        "fault_top_level_list": "holds a JSON array, not an object",
        "fault_nan_infinity": "NaN is not a JSON value",
        "fault_utf8_bom": "byte order mark",
        "fault_truncated": "is not valid JSON (line 59",
        "fault_plan_with_clean_inner_plan": "has the shape of more than one input kind (hcp, plan)",
    }
    assert set(expected) == {case["case"] for case in FAULTS}
    for case in FAULTS:
        _, _, err = run_cli(["check", "--input", str(ADVERSARIAL / case["synth"]), "--no-checkov"], capsys)
        name, reason = case["case"], expected[case["case"]]
        assert reason in one_error_line(err), name


@pytest.mark.parametrize("case", DUPLICATE_KEY_CASES, ids=[c["case"] for c in DUPLICATE_KEY_CASES])
def test_a_repeated_key_is_refused_naming_the_key_and_its_line(capsys, case):
    path = ADVERSARIAL / case["synth"]
    code, out, err = run_cli(["check", "--input", str(path), "--no-checkov"], capsys)
    line = one_error_line(err)
    assert code == 2 and out == ""
    found = re.search(r"repeats the key '([^']+)' in one object \(line (\d+), column (\d+)\)", line)
    assert found, line
    key, line_number = found.group(1), int(found.group(2))
    # The named line really holds the second copy of that key (escapes like \u0065 decoded).
    text_line = path.read_text().splitlines()[line_number - 1]
    written = re.match(r'\s*"((?:[^"\\]|\\.)*)"\s*:', text_line)
    assert written and json.loads(f'"{written.group(1)}"') == key, text_line
    first = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if _key_of(l) == key)
    assert first < line_number


def _key_of(text_line: str) -> str | None:
    written = re.match(r'\s*"((?:[^"\\]|\\.)*)"\s*:', text_line)
    return json.loads(f'"{written.group(1)}"') if written else None


def test_a_repeated_key_deep_in_a_plan_is_refused_too(tmp_path, capsys):
    plan = (ADVERSARIAL / "node_dupkey_top_resource.plan.json").read_text()
    # Repeat "role" in the first attachment's planned values (the second copy wins in Python).
    doctored = plan.replace('"role":', '"role":"NodeInstanceRole","role":', 1)
    path = tmp_path / "plan.json"
    path.write_text(doctored)
    code, _, err = run_cli(["check", "--input", str(path), "--no-checkov"], capsys)
    assert code == 2 and "repeats the key 'role'" in one_error_line(err) and "line 1," in err


def test_a_repeated_key_in_cdktf_json_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cdktf.json").write_text('{"app": "python3 evil.py",\n "app": "python3 main.py"}\n')
    code, _, err = run_cli(["check"], capsys)
    assert code == 2 and "repeats the key 'app'" in one_error_line(err) and "line 2" in err
    assert not (tmp_path / "cdktf.out").exists()


# -- size -------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    path = tmp_path / "huge.tf.json"
    with open(path, "wb") as stream:  # sparse: 2 MB on paper, nothing to read
        stream.truncate(2 * 1024 * 1024)
    monkeypatch.setenv("EKSIAM_MAX_INPUT_MB", "1")
    code, _, err = run_cli(["check", "--input", str(path), "--no-checkov"], capsys)
    line = one_error_line(err)
    assert code == 2 and "is 2.0 MB, over the 1 MB limit" in line and "EKSIAM_MAX_INPUT_MB" in line


def test_an_endless_device_is_read_only_up_to_the_limit(capsys, monkeypatch):
    monkeypatch.setenv("EKSIAM_MAX_INPUT_MB", "1")
    code, _, err = run_cli(["check", "--input", "/dev/zero", "--no-checkov"], capsys)
    assert code == 2 and "holds more than the 1 MB limit" in one_error_line(err)


def test_a_pipe_that_never_ends_is_read_only_up_to_the_limit(tmp_path, capsys, monkeypatch):
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    stop = threading.Event()

    def endless_writer() -> None:
        try:
            with open(fifo, "wb") as stream:
                while not stop.is_set():
                    stream.write(b"[" * 65536)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=endless_writer, daemon=True)
    writer.start()
    monkeypatch.setenv("EKSIAM_MAX_INPUT_MB", "2")
    try:
        code, _, err = run_cli(["check", "--input", str(fifo), "--no-checkov"], capsys)
    finally:
        stop.set()
    writer.join(timeout=10)
    assert code == 2 and "holds more than the 2 MB limit" in one_error_line(err)
    assert not writer.is_alive()


def test_a_waivers_file_is_bounded_too(capsys, monkeypatch):
    monkeypatch.setenv("EKSIAM_MAX_INPUT_MB", "1")
    secure = ADVERSARIAL / "node_secure_description.tf.json"
    code, _, err = run_cli(["check", "--input", str(secure), "--no-checkov", "--waivers", "/dev/zero"], capsys)
    assert code == 2 and "waivers file /dev/zero holds more than the 1 MB limit" in one_error_line(err)


def test_a_file_within_the_limit_is_read(capsys, monkeypatch):
    path = ADVERSARIAL / "node_secure_description.tf.json"
    monkeypatch.setenv("EKSIAM_MAX_INPUT_MB", f"{path.stat().st_size / (1024 * 1024) * 1.01:.6f}")
    code, out, _ = run_cli(["check", "--input", str(path), "--no-checkov", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["passed"] is True


# -- nesting ------------------------------------------------------------------------------


def test_nesting_is_measured_without_recursion():
    assert not nesting_exceeds("[" * 256 + "]" * 256, 256)
    assert nesting_exceeds("[" * 257 + "]" * 257, 256)
    assert nesting_exceeds('{"a": ' * 300 + "1" + "}" * 300, 256)
    # Brackets inside strings are text, not nesting.
    assert not nesting_exceeds(json.dumps({"s": "[" * 10_000}), 256)
    assert not nesting_exceeds('{"s": "\\"[[[[[[[[[["}', 5)
    # Opened deeper is too deep, closed or not (the parser would recurse into each first);
    # shallower malformed bracketing is the parser's to report.
    assert nesting_exceeds("[" * 1000, 256)
    assert nesting_exceeds('{"a": ' * 300 + "1" + "]" * 300, 256)
    assert not nesting_exceeds("[" * 10 + "}" + "[" * 1000, 256)
    assert not nesting_exceeds("[[[", 256)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 3000 + "1" + "]" * 3000], ids=["unclosed", "mismatched"])
def test_a_deep_malformed_document_is_refused_with_one_line(tmp_path, capsys, text):
    path = tmp_path / "deep.json"
    path.write_text(text)
    code, out, err = run_cli(["check", "--input", str(path), "--no-checkov"], capsys)
    assert code == 2 and out == ""
    assert f"more than {MAX_JSON_DEPTH} deep" in one_error_line(err)


def test_json_at_the_depth_limit_is_read_and_one_deeper_is_refused(tmp_path, capsys):
    base = json.loads((ADVERSARIAL / "node_secure_description.tf.json").read_text())
    for depth, code_expected in ((MAX_JSON_DEPTH, 0), (MAX_JSON_DEPTH + 1, 2)):
        # The top-level object is level 1; "//" holds the rest.
        nested = "[" * (depth - 1) + "]" * (depth - 1)
        text = json.dumps(base)[:-1] + f', "//x": {nested}' + "}"
        path = tmp_path / f"depth-{depth}.tf.json"
        path.write_text(text)
        code, _, err = run_cli(["check", "--input", str(path), "--no-checkov"], capsys)
        assert code == code_expected, err
