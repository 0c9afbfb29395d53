"""The checkov processes of the gate: servers (``worker_script.py`` run by the interpreter of
the checkov script) that import checkov once and run each checkov run in a child forked for
it, so that a run costs its checks, not checkov's import (some 2 s of CPU, most of a run on
the gate's few IAM resources, and it needs nothing from the inputs).

:func:`start_ahead` starts a server as a gate run begins, with the environment that run gives
checkov, so that the import overlaps the run's terraform plan. :func:`start` hands a checkov run
to an idle server that serves its environment, else to a server started for it; a script that
is not checkov's own (a wrapper), or whose interpreter is not named plainly, runs as it is.

A server is kept for the life of the Python process (a program that checks many times, a test
session, imports checkov once); at most :data:`KEPT_IDLE` wait at a time, each ends after
``worker_script.IDLE_SECONDS`` without a job, and all are ended when the process exits
(:func:`stop_all`) or, failing that, when their stdin closes. ``eksiam.gate.processes`` ends them
on SIGTERM like any tool; a run's child ends with its server.

checkov reads some of its environment as it imports. A server serves a run whose environment
agrees with the server's on every variable the import read (the server reports them), but for
``HOME``, the server's own empty directory, and ``TMPDIR``, where the import keeps its caches
(see :data:`_NOT_SETTINGS`). The run's own environment is in place when its checks run.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eksiam.gate.checkov.environment import IDENTITY_ENV, CheckovOptions, checkov_environment
from eksiam.gate.checkov.worker_script import FAULTS_ENV, HOME_PREFIX
from eksiam.gate.processes import GRACE_SECONDS, kill_group

# The program each server runs (see that file).
_SERVER = (Path(__file__).with_name("worker_script.py")).read_text(encoding="utf-8")
# What may differ between a server's environment and its run's: read when the checks run;
# HOME, a directory of the server's own (no ~/.checkov.yaml changes what it does); TMPDIR,
# where the import keeps its caches (see start()), read again by each run.
_NOT_SETTINGS = ("HOME", "TMPDIR", IDENTITY_ENV, FAULTS_ENV)
# Idle servers kept at a time (at least one): one per environment a program checks with is plenty.
KEPT_IDLE = 1

_lock = threading.Lock()
_servers: list[_Server] = []


class _Server:
    """One server process and what it said of itself."""

    def __init__(self, executable: str, interpreter: Path, env: Mapping[str, str], import_cache: Path | None) -> None:
        self.executable = executable
        self.home = Path(tempfile.mkdtemp(prefix=HOME_PREFIX))
        self.env = {**env, "HOME": str(self.home), "TMPDIR": str(import_cache or self.home)}
        self.reads: dict[str, Any] | None = None  # the first answer, once read
        self.busy = False
        self._pending = b""
        # Read when the server ends early (it cannot import checkov); a file without a name,
        # gone with the last process that holds it.
        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                [str(interpreter), "-c", _SERVER, str(self.home)], env=self.env, cwd=self.home, start_new_session=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            )
        except OSError:
            self.stderr.close()
            shutil.rmtree(self.home, ignore_errors=True)
            raise

    def errors(self) -> str:
        """What the server wrote on stderr (a traceback, when it could not import checkov)."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def answer(self, deadline: float | None) -> dict[str, Any] | None:
        """The server's next answer; None once it has ended. Raises TimeoutError at ``deadline``."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def imported(self, deadline: float | None = None) -> bool:
        """Whether checkov is imported (waiting for it); False if the server ended before."""
        if self.reads is None:
            self.reads = self.answer(deadline)
        return self.reads is not None

    def serves(self, executable: str, env: Mapping[str, str]) -> bool:
        """Whether a run of ``executable`` with ``env`` gets here what a fresh checkov gives it."""
        if executable != self.executable or self.process.poll() is not None:
            return False
        if _comparable(env) == _comparable(self.env):
            return True
        if not self.imported():
            return False
        read = self.reads and self.reads.get("read")
        if read is None:  # the import scanned the whole environment
            return False
        patterns = [re.compile(p) for p in self.reads.get("patterns", [])]  # type: ignore[union-attr]
        scanned = {name for name in {*env, *self.env} if any(p.fullmatch(name) for p in patterns)}
        return all(env.get(name) == self.env.get(name) for name in {*read, *scanned} if name not in _NOT_SETTINGS)

    def run(self, args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ServedRun:
        output = Path(tempfile.mkdtemp(prefix="eksiam-checkov-run-"))
        job = {"args": list(args), "cwd": str(cwd), "env": dict(env),
               "stdout": str(output / "stdout"), "stderr": str(output / "stderr")}
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except OSError:
            pass  # the server has ended: the run reads as much (ServedRun.communicate)
        return ServedRun(self, output)

    def stop(self) -> None:
        kill_group(self.process)
        self.stderr.close()
        shutil.rmtree(self.home, ignore_errors=True)


class ServedRun:
    """A checkov run in a server's child, as the gate runs a process: ``pid`` leads its group
    (the server's while the run has not started), ``communicate`` waits for it to end."""

    def __init__(self, server: _Server, output: Path) -> None:
        self.server = server
        self.output = output
        self.returncode: int | None = None
        self._child: int | None = None

    @property
    def pid(self) -> int:
        return self._child if self._child is not None else self.server.process.pid

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def poll(self) -> int | None:
        return self.returncode

    def communicate(self, input: str | None = None, timeout: float | None = None) -> tuple[str, str]:  # noqa: A002 - Popen's name
        """stdout and stderr once the run has ended. Raises subprocess.TimeoutExpired after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self.returncode is None:
                if not self.server.imported(deadline):
                    self._ended_with_server()
                    break
                message = self.server.answer(deadline)
                if message is None:
                    self._ended_with_server()
                elif "pid" in message:
                    self._child = int(message["pid"])
                elif "exit" in message:
                    self.returncode = int(message["exit"])
        except TimeoutError:
            if self._child is None and self.server.reads is not None:
                self._learn_child()  # the server forks as it reads the job: it says so at once
            raise subprocess.TimeoutExpired("checkov", timeout or 0.0) from None
        stdout, stderr = (_read(self.output / name) for name in ("stdout", "stderr"))
        shutil.rmtree(self.output, ignore_errors=True)
        if self.server.process.poll() is not None:
            stderr += self.server.errors()
            _forget(self.server)
        else:
            _release(self.server)
        return stdout, stderr

    def _learn_child(self) -> None:
        with contextlib.suppress(TimeoutError):
            message = self.server.answer(time.monotonic() + GRACE_SECONDS)
            if message is not None and "pid" in message:
                self._child = int(message["pid"])

    def _ended_with_server(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.server.process.wait(timeout=GRACE_SECONDS)
        code = self.server.process.returncode
        self.returncode = code if code else -signal.SIGKILL


def start_ahead(executable: Path, options: CheckovOptions, import_cache: Path | None = None) -> None:
    """A server for runs with ``options``, started now unless one is waiting already
    (``import_cache``: see :func:`start`)."""
    interpreter = interpreter_of(executable)
    if interpreter is None:
        return
    env = checkov_environment(options, Path(tempfile.gettempdir()))
    waiting = take(str(executable), env)
    if waiting is not None:
        _release(waiting)
        return
    with contextlib.suppress(OSError):  # checkov then starts with its run, and says why if it cannot
        server = _Server(str(executable), interpreter, env, import_cache)
        with _lock:
            _servers.append(server)
    _trim()


def start(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], import_cache: Path | None = None
) -> ServedRun | subprocess.Popen[str]:
    """The checkov run ``command`` (whose first word is the checkov script), started: on an idle
    server that serves it, else on a server started now, else (a script that is not checkov's
    own, or whose interpreter is not named plainly: :func:`interpreter_of`) the script itself.
    A server started now imports checkov with ``import_cache`` as its TMPDIR, where checkov's
    HCL parser (lark) keeps its grammar tables (building them costs about 1 s of CPU); without
    one, in a directory of its own, removed with it. Raises OSError when nothing can be started."""
    interpreter = interpreter_of(Path(command[0]))
    if interpreter is None:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )
    server = take(command[0], env)
    if server is None:
        server = _Server(command[0], interpreter, env, import_cache)
        server.busy = True
        with _lock:
            _servers.append(server)
    return server.run(command[1:], cwd, env)


def take(executable: str, env: Mapping[str, str]) -> _Server | None:
    """An idle server that serves a run of ``executable`` with ``env``, marked busy; None when none does."""
    with _lock:
        idle = [s for s in reversed(_servers) if not s.busy]
        for server in idle:
            server.busy = True
    chosen = None
    for server in idle:
        if chosen is None and server.serves(executable, env):
            chosen = server
        else:
            _release(server)
    return chosen


def stop_all() -> None:
    """End every server (at exit, and wherever a program wants checkov's memory back)."""
    with _lock:
        servers = list(_servers)
        _servers.clear()
    for server in servers:
        server.stop()


atexit.register(stop_all)


def _forget_after_fork() -> None:
    """A forked copy of the program (multiprocessing) shares the servers' pipes but not their
    jobs: it starts its own, and leaves the program's alone."""
    global _lock
    _lock = threading.Lock()  # another thread of the program may have held it
    _servers.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def _release(server: _Server) -> None:
    with _lock:
        server.busy = False
    _trim()


def _forget(server: _Server) -> None:
    with _lock:
        if server in _servers:
            _servers.remove(server)
    server.stop()


def _trim() -> None:
    """At most :data:`KEPT_IDLE` idle servers, the latest; ended ones are forgotten."""
    with _lock:
        ended = [s for s in _servers if not s.busy and s.process.poll() is not None]
        idle = [s for s in _servers if not s.busy and s not in ended]
        surplus = ended + idle[:-KEPT_IDLE]
        _servers[:] = [s for s in _servers if s not in surplus]
    for server in surplus:
        server.stop()


def _comparable(env: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key not in _NOT_SETTINGS}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


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
