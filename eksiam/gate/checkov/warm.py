"""checkov started ahead of its inputs, so that its import overlaps the gate's synth and plan.

Importing checkov is most of a checkov run on the gate's few IAM resources (some 2 s of CPU),
and it needs nothing from the inputs. :func:`warm_checkov` starts, for the length of a gate
run, a process per framework that is the checkov the gate would run (the interpreter of its
script, in a process group of its own), with the environment the run gives checkov; each
imports checkov and waits for one job on stdin: the arguments, working directory and
environment of a checkov run. The runner hands a job to a waiting process whose start
matches it (:func:`take`) and otherwise starts checkov cold, as before. A process left
without a job is killed when the run ends.

checkov reads settings from its environment as it imports, so a process serves only a job
whose environment equals the one it started with, but for ``HOME`` and the identity file,
which are read when the checks run, and ``TMPDIR`` (see :data:`_NOT_SETTINGS`).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from eksiam.gate.checkov.environment import IDENTITY_ENV, CheckovOptions, checkov_environment
from eksiam.gate.processes import kill_group

# Run by the checkov script's own interpreter: the script's body, after one job from stdin.
_WORKER = r"""
import json, os, sys, warnings
warnings.simplefilter("ignore", category=SyntaxWarning)
from checkov.main import Checkov
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
job = json.loads(line)
os.chdir(job["cwd"])
os.environ.clear()
os.environ.update(job["env"])
sys.argv = ["checkov", *job["args"]]
sys.exit(Checkov(argv=job["args"]).run())  # its default argv is bound when checkov is imported
"""
# What may differ between a waiting process's environment and its job's: read when the checks
# run, or (TMPDIR) where its scratch files go, which for a waiting process is a directory of
# its own, removed with it: one killed while it imports leaves nothing in the user's.
_NOT_SETTINGS = ("HOME", "TMPDIR", IDENTITY_ENV)

_lock = threading.Lock()
_waiting: list[tuple[Path, dict[str, str], subprocess.Popen[str]]] = []


@contextlib.contextmanager
def warm_checkov(executable: Path, options: CheckovOptions, count: int) -> Iterator[None]:
    """Up to ``count`` checkov processes waiting for a job during the block; none left after it."""
    interpreter = _interpreter(executable)
    if interpreter is None or count <= 0:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="eksiam-checkov-home-") as home:
        env = {**checkov_environment(options, Path(home)), "TMPDIR": home}
        started: list[subprocess.Popen[str]] = []
        try:
            for _ in range(count):
                try:
                    process = subprocess.Popen(
                        [str(interpreter), "-c", _WORKER], env=env, cwd=home, text=True, start_new_session=True,
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    )
                except OSError:
                    break  # checkov then starts cold, and says why if it cannot
                started.append(process)
                with _lock:
                    _waiting.append((executable, _comparable(env), process))
            yield
        finally:
            with _lock:
                _waiting[:] = [entry for entry in _waiting if entry[2] not in started]
            for process in started:
                if process.poll() is None:  # waiting still, or a job cut short by an error
                    kill_group(process)


def take(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str] | None:
    """A waiting checkov for ``command`` (whose first word is the checkov script), and the job
    to write to its stdin (``communicate(input=job)``); None when no waiting one matches."""
    wanted = _comparable(env)
    with _lock:
        for index, (executable, started_env, process) in enumerate(_waiting):
            if str(executable) == command[0] and started_env == wanted and process.poll() is None:
                del _waiting[index]
                break
        else:
            return None
    return process, json.dumps({"args": list(command[1:]), "cwd": str(cwd), "env": dict(env)}) + "\n"


def _comparable(env: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key not in _NOT_SETTINGS}


def _interpreter(script: Path) -> Path | None:
    """The Python of a console script (its ``#!`` line), when it names one plainly."""
    try:
        with open(script, "rb") as stream:
            first = stream.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if len(words) != 1:  # `/usr/bin/env python3` and the like: leave it to checkov's own start
        return None
    interpreter = Path(words[0])
    return interpreter if interpreter.is_absolute() and os.access(interpreter, os.X_OK) else None
