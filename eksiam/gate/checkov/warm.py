"""The checkov processes of a gate run: each a worker (``worker_script.py``) run by the
interpreter of the checkov script, which imports checkov and then runs one job from stdin (the
arguments, working directory and environment of a checkov run) and records which file a check
raised on (eksiam.gate.checkov.runner reads that record).

Importing checkov is most of a checkov run on the gate's few IAM resources (some 2 s of CPU),
and it needs nothing from the inputs. :func:`warm_checkov` starts workers ahead, for the length
of a gate run (one reads all of a run's inputs, whatever their frameworks), with the
environment the run gives checkov, so that the import overlaps the gate's terraform plan.
:func:`start` hands a job to a waiting worker whose start matches it, else starts a worker for
it then; a script that is not checkov's own (a wrapper), or whose interpreter is not named
plainly, runs as it is. A worker left without a job is killed when the run ends.

checkov reads settings from its environment as it imports, so a worker serves only a job
whose environment equals the one it started with, but for ``HOME``, the hand-off and the faults
file, which are read when the checks run, and ``TMPDIR`` (see :data:`_NOT_SETTINGS`).
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
from eksiam.gate.checkov.worker_script import FAULTS_ENV
from eksiam.gate.processes import kill_group

# The program each process runs (see that file): checkov, then one job from stdin.
_WORKER = (Path(__file__).with_name("worker_script.py")).read_text(encoding="utf-8")
# What may differ between a waiting process's environment and its job's: read when the checks
# run, or (TMPDIR) where its scratch files go, which for a waiting process is a directory of
# its own, removed with it: one killed while it imports leaves nothing in the user's.
_NOT_SETTINGS = ("HOME", "TMPDIR", IDENTITY_ENV, FAULTS_ENV)

_lock = threading.Lock()
_waiting: list[tuple[Path, dict[str, str], subprocess.Popen[str]]] = []


@contextlib.contextmanager
def warm_checkov(executable: Path, options: CheckovOptions, count: int) -> Iterator[None]:
    """Up to ``count`` checkov processes waiting for a job during the block; none left after it."""
    interpreter = interpreter_of(executable)
    if interpreter is None or count <= 0:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="eksiam-checkov-home-") as home:
        env = {**checkov_environment(options, Path(home)), "TMPDIR": home}
        started: list[subprocess.Popen[str]] = []
        try:
            for _ in range(count):
                try:
                    process = _start_worker(interpreter, env, Path(home))
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


def start(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str | None]:
    """A process for the checkov run ``command`` (whose first word is the checkov script), and
    what to write to its stdin (``communicate(input=...)``): a waiting one whose start matches,
    else a worker started now, else (a script that is not checkov's own, or whose interpreter
    is not named plainly: :func:`interpreter_of`) the script itself.
    Raises OSError when nothing can be started."""
    job = json.dumps({"args": list(command[1:]), "cwd": str(cwd), "env": dict(env)}) + "\n"
    waiting = take(command[0], env)
    if waiting is not None:
        return waiting, job
    interpreter = interpreter_of(Path(command[0]))
    if interpreter is not None:
        return _start_worker(interpreter, env, cwd), job
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    return process, None


def _start_worker(interpreter: Path, env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(interpreter), "-c", _WORKER], env=env, cwd=cwd, text=True, start_new_session=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def take(executable: str, env: Mapping[str, str]) -> subprocess.Popen[str] | None:
    """A worker waiting for a run of ``executable`` with ``env``, taken off the waiting list; None
    when none matches."""
    wanted = _comparable(env)
    with _lock:
        for index, (started_for, started_env, process) in enumerate(_waiting):
            if str(started_for) == executable and started_env == wanted and process.poll() is None:
                del _waiting[index]
                return process
    return None


def _comparable(env: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key not in _NOT_SETTINGS}


def interpreter_of(script: Path) -> Path | None:
    """The Python of checkov's own script: its ``#!`` line names one plainly, and it runs
    ``checkov.main``. None for anything else (a wrapper of the user's), which runs as it is."""
    try:
        with open(script, "rb") as stream:
            text = stream.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    first = text.partition("\n")[0].strip()
    if not first.startswith("#!") or "checkov.main" not in text:
        return None
    words = first[2:].split()
    if len(words) != 1:  # `/usr/bin/env python3` and the like: leave it to checkov's own start
        return None
    interpreter = Path(words[0])
    if not interpreter.name.startswith("python"):
        return None
    return interpreter if interpreter.is_absolute() and os.access(interpreter, os.X_OK) else None
