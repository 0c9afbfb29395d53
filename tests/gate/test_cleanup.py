"""Nothing outlives the gate: tools end with it, SIGTERM included, and its temporary directories go.

Processes of one run are recognised by a marker in their environment, which terraform passes
on to its provider plugins and jsii to Node; a zombie (already dead) shows an empty one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from eksiam.gate import processes
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

EKSIAM = Path(sys.executable).parent / "eksiam"
MARKER = "EKSIAM_TEST_RUN"


def processes_marked(marker: str) -> list[tuple[int, str]]:
    """(pid, command name) of every live process whose environment carries ``marker``."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            name = Path(f"/proc/{entry}/comm").read_text().strip()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append((int(entry), name))
    return found


def none_left(marker: str, within: float = 10.0) -> bool:
    """Whether every marked process is gone (a signalled process takes a moment to die)."""
    deadline = time.monotonic() + within
    while processes_marked(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start_gate(project: Path, command: str, tmp: Path) -> tuple[subprocess.Popen[str], str]:
    marker = uuid.uuid4().hex
    env = dict(os.environ, TMPDIR=str(tmp), **{MARKER: marker})
    gate = subprocess.Popen(
        [str(EKSIAM), command], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return gate, marker


def wait_for(gate: subprocess.Popen[str], marker: str, names: tuple[str, ...], timeout: float = 600) -> None:
    """Wait until a process of the run is running under each of ``names`` (as /proc/<pid>/comm
    gives them: cut to 15 characters)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(names) <= {name for pid, name in processes_marked(marker) if pid != gate.pid}:
            return
        if gate.poll() is not None:
            pytest.fail(f"the gate ended (exit {gate.returncode}) before {names} ran: {gate.stderr.read() if gate.stderr else ''}")
        time.sleep(0.05)
    gate.kill()
    pytest.fail(f"{names} did not start within {timeout} s")


def terminate(gate: subprocess.Popen[str]) -> tuple[int, str]:
    gate.send_signal(signal.SIGTERM)
    _, err = gate.communicate(timeout=120)
    return gate.returncode, err


def leftovers(project: Path) -> list[str]:
    """Staging and plan directories of a run left in the project."""
    staged = [p.name for p in project.iterdir() if p.name.startswith(".cdktf.out.")]
    runs = [p.name for p in (project / ".eksiam").glob("run-*")] if (project / ".eksiam").is_dir() else []
    return staged + runs


def test_sigterm_while_terraform_plans_ends_terraform_and_its_providers(project, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tmpdir")
    gate, marker = start_gate(project, "check", tmp)
    # The gate starts the provider terraform's plan attaches to (eksiam.gate.shared_provider).
    wait_for(gate, marker, ("terraform-provi", "terraform"))
    code, err = terminate(gate)
    assert code == 128 + signal.SIGTERM and err.splitlines()[-1] == "eksiam: terminated" and "Traceback" not in err
    assert none_left(marker), processes_marked(marker)
    assert leftovers(project) == []
    assert list(tmp.iterdir()) == []  # nor anything in the run's temporary directory


# This repository's app, which goes on running (jsii's Node with it) once it has synthesized:
# the gate is still in its synth whenever it is stopped.
LINGERING_APP = f"""
import runpy, sys, time
sys.path.insert(0, {str(PROJECT_ROOT)!r})
runpy.run_path({str(PROJECT_ROOT / "main.py")!r}, run_name="__main__")
time.sleep(600)
"""


def test_sigterm_during_synth_ends_the_app_and_leaves_no_jsii_directory(project, tmp_path_factory):
    (project / "lingering_app.py").write_text(LINGERING_APP)
    (project / "cdktf.json").write_text(json.dumps({"language": "python", "app": f"{sys.executable} lingering_app.py"}))
    tmp = tmp_path_factory.mktemp("tmpdir")
    gate, marker = start_gate(project, "synth", tmp)
    wait_for(gate, marker, ("node",))
    deadline = time.monotonic() + 600  # until the app has written its stacks: jsii has unpacked all it needs
    while not any(project.glob(".cdktf.out.*/manifest.json")) and time.monotonic() < deadline and gate.poll() is None:
        time.sleep(0.05)
    assert gate.poll() is None, gate.stderr.read() if gate.stderr else ""
    code, err = terminate(gate)
    assert code == 128 + signal.SIGTERM and "Traceback" not in err
    assert none_left(marker), processes_marked(marker)
    assert leftovers(project) == [] and not (project / "cdktf.out").exists()
    assert list(tmp.iterdir()) == []


def test_a_timed_out_tool_takes_its_whole_group_with_it(tmp_path):
    marker = uuid.uuid4().hex
    env = dict(os.environ, **{MARKER: marker})
    # A tool that leaves a child behind, as terraform leaves provider plugins.
    with pytest.raises(subprocess.TimeoutExpired):
        processes.run(["sh", "-c", "sleep 300 & sleep 300"], cwd=tmp_path, env=env, timeout=0.5)
    assert none_left(marker), processes_marked(marker)


def test_a_finished_tool_leaves_nothing_in_its_group(tmp_path):
    marker = uuid.uuid4().hex
    env = dict(os.environ, **{MARKER: marker})
    done = processes.run(["sh", "-c", "sleep 300 >/dev/null 2>&1 & echo started"], cwd=tmp_path, env=env, timeout=30)
    assert done.returncode == 0 and done.stdout == "started\n"
    assert none_left(marker), processes_marked(marker)


def test_no_tool_starts_once_the_gate_is_stopping(tmp_path):
    processes.terminate_all()
    try:
        with pytest.raises(processes.Stopping):
            processes.run(["true"], cwd=tmp_path, env=os.environ, timeout=10)
    finally:
        processes.reset()
    assert processes.run(["true"], cwd=tmp_path, env=os.environ, timeout=10).returncode == 0


def test_the_watcher_of_an_earlier_shutdown_leaves_the_next_run_alone(tmp_path):
    # The watcher wakes every 0.1 s; tools started right after reset() give it many chances.
    for _ in range(5):
        processes.terminate_all()
        processes.reset()
        results = [processes.run(["sleep", "0.05"], cwd=tmp_path, env=os.environ, timeout=10) for _ in range(6)]
        assert [r.returncode for r in results] == [0] * 6
