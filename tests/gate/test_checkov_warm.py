"""checkov started ahead of its inputs (eksiam.gate.checkov.warm): the same verdicts as a cold
start, used only when its environment matches the run's, and nothing of it outlives the run."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from eksiam.gate.checkov import CheckovOptions, find_checkov, scan_files
from eksiam.gate.checkov import warm
from eksiam.gate.checkov.warm import warm_checkov
from stacks import NODE_STACK

pytestmark = pytest.mark.integration

MARKER = "EKSIAM_TEST_WARM"


@pytest.fixture
def served(monkeypatch) -> list[str]:
    """The checkov command lines a waiting process took on."""
    taken: list[str] = []
    take = warm.take

    def recording(executable, env):
        waiting = take(executable, env)
        if waiting is not None:
            taken.append(executable)
        return waiting

    monkeypatch.setattr(warm, "take", recording)
    return taken


def marked(marker: str) -> list[int]:
    needle = f"{MARKER}={marker}".encode()
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if needle in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                pids.append(int(entry))
        except OSError:
            continue
    return pids


def test_a_waiting_checkov_gives_the_verdict_of_a_cold_one(synth_dir, served):
    node = str(synth_dir / "stacks" / NODE_STACK / "cdk.tf.json")
    cold = scan_files([node], "terraform_json")
    assert served == []
    with warm_checkov(find_checkov(), CheckovOptions(), 1):
        warmed = scan_files([node], "terraform_json")
    assert served == [str(find_checkov())]
    assert warmed == cold and warmed[node].summary.evaluated > 0


def test_a_run_with_other_settings_starts_checkov_cold(synth_dir, served):
    node = str(synth_dir / "stacks" / NODE_STACK / "cdk.tf.json")
    with warm_checkov(find_checkov(), CheckovOptions(), 1):
        # checkov reads its settings as it imports: a process started with others cannot serve.
        other = scan_files([node], "terraform_json", CheckovOptions(settings={"node": {"role_name": "other-name"}}))
    assert served == [] and other[node].summary.evaluated > 0


def marked_soon(marker: str, count: int, within: float = 10.0) -> list[int]:
    """marked(), once ``count`` processes show the marker or ``within`` seconds have passed: a
    process's /proc environ reads empty for a moment while it execs, even after Popen returned."""
    deadline = time.monotonic() + within
    while len(found := marked(marker)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_no_waiting_checkov_outlives_the_run(monkeypatch):
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER, marker)
    with warm_checkov(find_checkov(), CheckovOptions(), 2):
        assert len(marked_soon(marker, 2)) == 2
    assert marked(marker) == []


@pytest.mark.parametrize("text", [
    "#!/usr/bin/env python3\nfrom checkov.main import Checkov\n",
    "#!python3\nfrom checkov.main import Checkov\n",
    "#!/bin/sh\n# checkov.main\nexec checkov \"$@\"\n",
    f"#!{sys.executable}\nprint('a wrapper')\n",
    "no interpreter line\nfrom checkov.main import Checkov\n",
], ids=["env", "relative", "shell", "not-checkov", "no-line"])
def test_only_checkovs_own_script_with_a_plain_python_is_started_ahead(tmp_path, text, served):
    script = tmp_path / "checkov"
    script.write_text(text)
    script.chmod(0o755)
    assert warm.interpreter_of(script) is None
    with warm_checkov(script, CheckovOptions(), 1):
        assert warm.take(str(script), dict(os.environ)) is None


def test_the_interpreter_of_the_installed_script_is_this_python():
    assert warm.interpreter_of(find_checkov()) == Path(sys.executable)
