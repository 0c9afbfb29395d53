"""checkov servers (eksiam.gate.checkov.warm): a run served by a server's child gives the verdict
of a fresh checkov; one server serves every run whose environment differs only where checkov's
import did not look; a timed-out run ends alone; nothing of a server outlives its program."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from eksiam.errors import ToolError
from eksiam.gate.checkov import CheckovOptions, find_checkov, scan_file, scan_files, scan_mixed
from eksiam.gate.checkov import warm
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

MARKER = "EKSIAM_TEST_WARM"
ADVERSARIAL = PROJECT_ROOT / "tests" / "fixtures" / "adversarial"


@pytest.fixture
def served(monkeypatch) -> list[str]:
    """The checkov command lines an idle server took on."""
    taken: list[str] = []
    take = warm.take

    def recording(executable, env):
        server = take(executable, env)
        if server is not None:
            taken.append(executable)
        return server

    monkeypatch.setattr(warm, "take", recording)
    return taken


@pytest.fixture
def marker(monkeypatch) -> str:
    """A value of MARKER in this process's environment, so in that of every process started
    from now on (a process's /proc environ is the one it started with)."""
    value = uuid.uuid4().hex
    monkeypatch.setenv(MARKER, value)
    return value


@pytest.fixture
def node(synth_dir) -> str:
    """The synthesized node stack (written by the session's synth)."""
    from stacks import NODE_STACK  # here: importing stacks starts jsii, which --fast runs must not

    return str(synth_dir / "stacks" / NODE_STACK / "cdk.tf.json")


def marked(value: str) -> list[int]:
    needle = f"{MARKER}={value}".encode()
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if needle in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                pids.append(int(entry))
        except OSError:
            continue
    return pids


def gone_soon(value: str, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while marked(value) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not marked(value)


def servers() -> set[int]:
    """The live checkov servers of this process: its children running the server program."""
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and len(command) > 2 and command[1] == b"-c" and command[2].startswith(b'"""checkov as the gate'):
            found.add(int(entry))
    return found


def fresh(tmp_path: Path, options: CheckovOptions) -> CheckovOptions:
    """``options`` with checkov started as it is, through a wrapper: no server."""
    wrapper = tmp_path / "checkov"
    wrapper.write_text(f'#!/bin/sh\nexec "{find_checkov()}" "$@"\n')
    wrapper.chmod(0o755)
    return CheckovOptions(executable=str(wrapper), settings=options.settings)


S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def inputs(node: str, tmp_path: Path) -> dict[str, str]:
    """The synthesized node stack, the same with S3 read access for the nodes, and an
    adversarial plan: both frameworks, passes and failures."""
    stack = json.loads(Path(node).read_text())
    stack["resource"]["aws_iam_role_policy_attachment"]["node_s3"] = {"role": "${aws_iam_role.node_role.name}", "policy_arn": S3_READ_ONLY}
    with_s3 = tmp_path / "with_s3.tf.json"
    with_s3.write_text(json.dumps(stack))
    return {node: "terraform_json", str(with_s3): "terraform_json", str(ADVERSARIAL / "node_count_admin.plan.json"): "terraform_plan"}


def test_a_served_run_gives_the_verdict_of_a_fresh_checkov_whatever_its_settings(node, tmp_path, served):
    files = inputs(node, tmp_path)
    other = CheckovOptions(settings={"node": {"role_name": "NodeInstanceRole", "additional_policy_arns": [S3_READ_ONLY]}})
    warm.start_ahead(find_checkov(), CheckovOptions())
    served.clear()
    first = scan_mixed(files)
    # Served by the server started with the default settings: the checks read theirs as they run.
    second = scan_mixed(files, other)
    assert served == [str(find_checkov())] * 2
    assert second == scan_mixed(files, fresh(tmp_path, other))
    assert any(r.findings for r in first.values()) and any(not r.findings for r in first.values())
    assert first != second  # the settings changed the verdict


def test_one_server_serves_runs_whose_environment_differs_only_where_the_import_did_not_look(node, monkeypatch, served):
    scan_files([node], "terraform_json")
    (server,) = servers()
    monkeypatch.setenv(MARKER, uuid.uuid4().hex)  # nothing in checkov reads it
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "another test")
    scan_files([node], "terraform_json")
    assert served[-1:] == [str(find_checkov())] and servers() == {server}
    taken = len(served)
    monkeypatch.setenv("NO_COLOR", "1")  # read as checkov imports: another server
    scan_files([node], "terraform_json")
    assert len(served) == taken
    assert len(servers()) == 1 and servers() != {server}  # one idle server is kept: the latest


def test_a_run_that_times_out_ends_alone_and_the_server_serves_the_next(node, served):
    scan_files([node], "terraform_json")  # a server has imported checkov
    (server,) = servers()
    with pytest.raises(ToolError, match="did not finish"):
        scan_file(node, "terraform_json", CheckovOptions(timeout=0.01))
    assert servers() == {server}
    assert scan_files([node], "terraform_json")[node].summary.evaluated > 0
    assert served[-2:] == [str(find_checkov())] * 2 and servers() == {server}


def test_a_run_that_times_out_while_checkov_imports_ends_its_server(node, monkeypatch, marker):
    monkeypatch.setenv("NO_COLOR", "a value no server started with")  # so a server starts now
    with pytest.raises(ToolError, match="did not finish"):
        scan_file(node, "terraform_json", CheckovOptions(timeout=0.01))
    assert gone_soon(marker, within=1.0)


def test_a_server_without_checkov_fails_the_run_with_its_reason(node, tmp_path, marker):
    # checkov's own script, whose interpreter has no checkov: the server dies importing it.
    script = tmp_path / "checkov"
    script.write_text(f"#!{Path(sys.base_prefix) / 'bin' / 'python3'}\nfrom checkov.main import Checkov\n")
    script.chmod(0o755)
    with pytest.raises(ToolError, match=r"checkov failed on .*\(exit 1\): ModuleNotFoundError: No module named 'checkov'"):
        scan_file(node, "terraform_json", CheckovOptions(executable=str(script)))
    assert gone_soon(marker, within=1.0)


def evaluated_in_a_fork(node: str, served: list[str], queue) -> None:
    """What the forked copy evaluated, and which of its runs an idle server took on."""
    queue.put((scan_files([node], "terraform_json")[node].summary.evaluated, served))


def test_a_forked_copy_of_the_program_starts_its_own_server_and_leaves_the_programs_alone(node, served):
    scan_files([node], "terraform_json")
    (server,) = servers()
    taken = len(served)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=evaluated_in_a_fork, args=(node, served, queue))
    child.start()
    evaluated, served_in_the_copy = queue.get(timeout=120)
    child.join()
    assert evaluated > 0 and len(served_in_the_copy) == taken  # the program's idle server was not the copy's
    assert scan_files([node], "terraform_json")[node].summary.evaluated > 0
    assert len(served) == taken + 1 and servers() == {server}


PROGRAM = textwrap.dedent("""
    import os, sys
    from eksiam.gate.checkov import CheckovOptions, find_checkov, scan_files, warm
    if sys.argv[1] == "ahead":
        warm.start_ahead(find_checkov(), CheckovOptions())
        print("started", flush=True)
        sys.stdin.read()
    else:
        print(scan_files([sys.argv[2]], "terraform_json")[sys.argv[2]].summary.evaluated, flush=True)
""")


def test_no_server_outlives_its_program(node, monkeypatch, marker):
    done = subprocess.run([sys.executable, "-c", PROGRAM, "scan", node], capture_output=True, text=True, timeout=120)
    assert int(done.stdout) > 0, done.stderr
    assert marked(marker) == []
    # A program killed outright: its server ends when it finds its stdin closed.
    program = subprocess.Popen([sys.executable, "-c", PROGRAM, "ahead"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert program.stdout is not None and program.stdout.readline() == "started\n"
    deadline = time.monotonic() + 10
    while len(marked(marker)) < 2 and time.monotonic() < deadline:  # the program and its server
        time.sleep(0.05)
    assert len(marked(marker)) == 2
    program.send_signal(signal.SIGKILL)
    program.wait()
    assert gone_soon(marker)


@pytest.mark.parametrize("text", [
    "#!/usr/bin/env python3\nfrom checkov.main import Checkov\n",
    "#!python3\nfrom checkov.main import Checkov\n",
    "#!/bin/sh\n# checkov.main\nexec checkov \"$@\"\n",
    f"#!{sys.executable}\nprint('a wrapper')\n",
    "no interpreter line\nfrom checkov.main import Checkov\n",
], ids=["env", "relative", "shell", "not-checkov", "no-line"])
def test_only_checkovs_own_script_with_a_plain_python_is_served(tmp_path, text, marker):
    script = tmp_path / "checkov"
    script.write_text(text)
    script.chmod(0o755)
    assert warm.interpreter_of(script) is None
    warm.start_ahead(script, CheckovOptions())
    assert warm.take(str(script), dict(os.environ)) is None
    assert marked(marker) == []


def test_the_interpreter_of_the_installed_script_is_this_python():
    assert warm.interpreter_of(find_checkov()) == Path(sys.executable)
