"""The gate's child processes: each in a process group of its own, and none outliving the gate.

terraform starts provider plugins (``terraform-provider-aws``, about half a gigabyte each) and
a cdktf app starts Node for jsii; killing only the process we started would orphan those.
So every tool runs as the leader of a new session (its own process group), and the whole
group is ended: after a timeout, when the gate is interrupted, and after the tool exits, in
case it left a plugin behind.

``eksiam.cli.main`` turns SIGTERM and SIGINT into :func:`terminate_all` plus an exception that
unwinds the run (removing its temporary directories). From then on no new tool starts, and a
watcher ends any child that a worker thread still manages to start (checkov's runs among
them), until the gate has exited.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from eksiam.errors import EksiamError, ToolError

# How long a tool may take to exit after SIGTERM before its group gets SIGKILL.
GRACE_SECONDS = 5.0

# Re-entrant: the signal handler runs on the main thread, possibly while it holds the lock.
_lock = threading.RLock()
_running: dict[int, subprocess.Popen[Any]] = {}
_stopping = threading.Event()
# Which shutdown a watcher belongs to: after reset() a watcher of an earlier one must not signal
# the tools of the next run.
_shutdown_number = 0


class Stopping(ToolError):
    """A tool was about to start while the gate is shutting down."""


def run(
    command: Sequence[str] | str,
    *,
    cwd: str | Path,
    env: Mapping[str, str],
    timeout: float,
    shell: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to completion in its own process group, and end that group afterwards.

    Raises :class:`subprocess.TimeoutExpired` after ``timeout`` seconds (the group is gone by
    then), :class:`Stopping` if the gate is shutting down, and :class:`OSError` if the
    command cannot start.
    """
    started = _in_own_group(command, cwd=cwd, env=env, shell=shell, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with started as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            _end_group(process)
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@contextlib.contextmanager
def serving(command: Sequence[str], *, cwd: str | Path, env: Mapping[str, str], output: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running in its own process group during the block, stdout and stderr into
    ``output``; the group is ended when the block ends, and by :func:`terminate_all` before.

    Raises :class:`Stopping` if the gate is shutting down, :class:`OSError` if it cannot start.
    """
    with open(output, "wb") as log, _in_own_group(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT) as process:
        yield process


@contextlib.contextmanager
def _in_own_group(command: Sequence[str] | str, *, cwd: str | Path, env: Mapping[str, str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """``command`` started (unless the gate is stopping) as the leader of a new process group
    that :func:`terminate_all` signals; the group is ended, and the leader reaped, after the block."""
    with _lock:
        if _stopping.is_set():
            raise Stopping("the gate is shutting down: no new tool is started")
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), start_new_session=True, stdin=subprocess.DEVNULL, **popen)
        _running[process.pid] = process
    try:
        yield process
    finally:
        _kill_group(process.pid)  # whatever the tool left running in its group
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=GRACE_SECONDS)
        with _lock:
            _running.pop(process.pid, None)


def run_tool(
    command: Sequence[str] | str,
    *,
    cwd: str | Path,
    env: Mapping[str, str],
    timeout: float,
    failure: type[EksiamError],
    timed_out: str,
    cannot_start: str,
    shell: bool = False,
) -> subprocess.CompletedProcess[str]:
    """:func:`run` for a tool the gate depends on: a timeout raises ``failure(timed_out)``, a
    command that cannot start ``failure(cannot_start)`` with ``{reason}`` filled in."""
    try:
        return run(command, cwd=cwd, env=env, timeout=timeout, shell=shell)
    except subprocess.TimeoutExpired:
        raise failure(timed_out) from None
    except OSError as error:
        raise failure(cannot_start.format(reason=error.strerror or error)) from None


def terminate_all() -> None:
    """Stop starting tools, ask every running group to end, and make sure each one does.

    Called from a signal handler: it only sends signals and starts a watcher thread, which
    escalates to SIGKILL after :data:`GRACE_SECONDS` and keeps ending any child process
    of the gate until the gate exits.
    """
    global _shutdown_number
    with _lock:
        first = not _stopping.is_set()
        if first:
            _shutdown_number += 1
        _stopping.set()
        groups = list(_running)
        shutdown = _shutdown_number
    for pgid in {*groups, *_child_groups()}:
        _signal_group(pgid, signal.SIGTERM)
    if first:
        threading.Thread(target=_watch, args=(shutdown,), name="eksiam-reaper", daemon=True).start()


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGTERM and SIGINT wait until the block ends (a rename pair must not be cut in half)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    deferred = {signal.SIGTERM, signal.SIGINT}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def reset() -> None:
    """Allow tools to start again (a new run in the same process, as tests do).

    After a shutdown, whatever process group of a tool is still there is killed first.
    """
    with _lock:
        if _stopping.is_set():
            for pgid in {*_running, *_child_groups()}:
                _kill_group(pgid)
        _stopping.clear()


def stopping() -> bool:
    return _stopping.is_set()


def _watch(shutdown: int) -> None:
    deadline = time.monotonic() + GRACE_SECONDS
    while True:
        escalate = time.monotonic() >= deadline
        # Checked and signalled under the lock that run() starts tools under, so a tool started
        # after reset() is never taken for one of this shutdown's.
        with _lock:
            if not _stopping.is_set() or shutdown != _shutdown_number:
                return
            for pgid in {*_running, *_child_groups()}:
                _signal_group(pgid, signal.SIGKILL if escalate else signal.SIGTERM)
        time.sleep(0.1)


class GroupLeader(Protocol):
    """What :func:`kill_group` needs of a process: a Popen, or a checkov run in a server's child."""

    @property
    def pid(self) -> int: ...

    def kill(self) -> None: ...

    def communicate(self, input: Any = None, timeout: float | None = None) -> Any: ...  # noqa: A002 - Popen's name


def kill_group(process: GroupLeader) -> None:
    """End the process group ``process`` leads at once (SIGKILL; a tool's workers and plugins
    are in it too), or the leader alone when the group cannot be signalled, and reap it.

    The one way the gate ends a tool's process group (terraform, the app, a checkov server and
    a checkov run in its child)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(OSError):
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError, OSError):
        process.communicate(timeout=GRACE_SECONDS)


def _end_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the group, SIGKILL after the grace period, and the leader reaped."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    kill_group(process)


def _kill_group(pgid: int) -> None:
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _child_groups() -> set[int]:
    """The process groups led by direct children of the gate (tools started elsewhere, too).

    A child in the gate's own group is not one: signalling that group would signal the gate.
    """
    me, own_group = os.getpid(), os.getpgrp()
    groups: set[int] = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return groups
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat_file:
                fields = stat_file.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parent, group = int(fields[1]), int(fields[2])
        if parent == me and group == int(entry) and group != own_group:
            groups.add(group)
    return groups
