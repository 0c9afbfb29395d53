"""A directory the gate may not write: exit 2 naming the path, before the work it would waste.

Read-only is made for real: ``chmod a-w`` for an ordinary user, the immutable attribute
(``chattr +i``) for root, whom file modes do not stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


from cli_runs import one_error_line, run_cli

SECURE = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_secure_description.tf.json"


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(directory)], capture_output=True).returncode != 0:
            pytest.skip("root, and this file system cannot make a directory immutable")
        undo = [chattr, "-i", str(directory)]
    else:
        mode = directory.stat().st_mode
        directory.chmod(0o555)
        undo = []
    try:
        probe = directory / ".probe"
        with contextlib.suppress(OSError):
            probe.touch()
            probe.unlink()
            pytest.fail(f"{directory} is still writable")
        yield directory
    finally:
        if undo:
            subprocess.run(undo, check=True)
        else:
            directory.chmod(mode)


def test_synth_in_a_read_only_project(project, capsys):
    with read_only(project):
        code, out, err = run_cli(["synth"], capsys)
    assert code == 2 and out == "" and str(project) in one_error_line(err)
    assert not (project / "cdktf.out").exists()


def test_check_in_a_read_only_project(project, capsys):
    with read_only(project):
        code, out, err = run_cli(["check"], capsys)
    assert code == 2 and out == "" and f"{project}/.eksiam" in one_error_line(err)


def test_check_into_a_read_only_output_stops_before_synth(project, capsys):
    stacks = project / "cdktf.out" / "stacks"
    stacks.mkdir(parents=True)
    with read_only(stacks):
        code, _, err = run_cli(["check"], capsys)
    assert code == 2 and str(stacks) in one_error_line(err)  # one line: no step ran
    assert not any(p.name.startswith(".cdktf.out.") for p in project.iterdir())  # no staging left


def test_synth_out_into_a_read_only_directory(project, capsys, tmp_path_factory):
    locked = tmp_path_factory.mktemp("locked")
    with read_only(locked):
        code, _, err = run_cli(["synth", "--out", str(locked / "out")], capsys)
    assert code == 2 and str(locked) in one_error_line(err)


@pytest.mark.parametrize("option", ["--output", "--report"])
def test_report_into_a_read_only_directory_stops_before_opa(tmp_path, capsys, monkeypatch, option):
    monkeypatch.chdir(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    target = locked / "report.sarif"
    argv = [option, str(target)] if option == "--output" else [option, f"sarif={target}"]
    with read_only(locked):
        code, out, err = run_cli(["check", "--input", str(SECURE), "--no-checkov", *argv], capsys)
    assert code == 2 and out == "" and str(target) in one_error_line(err) and f"{locked} is not writable" in err
    assert "eksiam: opa" not in err


def test_report_into_a_read_only_working_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with read_only(tmp_path):
        code, _, err = run_cli(["check", "--input", str(SECURE), "--no-checkov", "--output", "report.json"], capsys)
    assert code == 2 and "report.json" in one_error_line(err) and str(tmp_path) in err


def test_snapshot_into_a_read_only_directory_stops_before_aws(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would be "unreachable" if asked
    with read_only(tmp_path):
        code, _, err = run_cli(["verify", "--snapshot", "snapshot.json"], capsys)
    assert code == 2 and "snapshot.json" in one_error_line(err) and "unreachable" not in err


def test_report_to_a_pipe_is_written_in_place(tmp_path, capsys):
    """``--output /dev/stdout`` or a pipe: written into, never replaced by a file."""
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run_cli(["check", "--input", str(SECURE), "--no-checkov", "--format", "json", "--output", str(fifo)], capsys)
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["passed"] is True
