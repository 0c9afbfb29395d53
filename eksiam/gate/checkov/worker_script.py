"""checkov as the gate runs it: this file's text is the ``python -c`` program of a process of
checkov's own interpreter (eksiam.gate.checkov.warm), so it imports nothing of eksiam, which
that interpreter may not have.

The process imports checkov once and then serves runs: each line on stdin is a job (the
arguments, working directory and environment of a checkov run, and the files its stdout and
stderr go to), run in a child forked for it, which starts from the imported checkov and
leaves it as it was for the next job. The process answers on stdout, one JSON line each:

- ``{"read": [...], "patterns": [...]}`` once checkov is imported: which environment
  variables the import read (by name, or by a pattern for the library functions that scan the
  environment for their own variables); ``"read": null`` when something else scanned all of
  it. A job whose environment differs from this process's in none of them is served as a
  fresh checkov would serve it (the job's own environment is in place when the checks run);
- ``{"pid": n}`` when a job's child is started (the leader of its own process group);
- ``{"exit": code}`` when it has ended: checkov's exit code, or minus the signal that ended it.

It ends when stdin closes (the gate has gone), on SIGTERM, or after :data:`IDLE_SECONDS`
with no job, and removes the directory the gate made for it (its first argument).

When a job's environment names a faults file (:data:`FAULTS_ENV`), a check that raises on a
resource is written there as one JSON object per line (``file``, ``check``, ``resource``,
``error``) instead of being logged. checkov itself carries on without that check's result,
so the run's other files keep their verdicts, and the gate knows from the record which file's
verdict is incomplete.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import os
import select
import shutil
import signal
import sys
import tempfile
import traceback
import warnings
from typing import Any

FAULTS_ENV = "EKSIAM_CHECKOV_FAULTS"
# How the gate names the directory it makes for a server (its HOME).
HOME_PREFIX = "eksiam-checkov-home-"
# A process left without a job this long ends: one kept by a long-lived program (a notebook,
# a test session) does not hold checkov's memory for ever.
IDLE_SECONDS = 600.0
# Not checkov's ERROR or WARNING: checkov then logs nothing for a check that raised.
_RECORDED = "RECORDED"
# Library functions that scan the whole environment as checkov imports (by the end of their
# file's path, and name), and the only variables each of them depends on.
_SCANNERS = {
    ("urllib/request.py", "getproxies_environment"): r"(?i).*_proxy",  # http_proxy, NO_PROXY...
    ("tqdm/utils.py", "envwrap"): r"(?i)tqdm_.*",  # TQDM_* defaults
    ("git/cmd.py", "execute"): r"GIT_.*|PATH",  # GitPython runs `git version`: which git, and how
}


def record_check_faults(faults_file: str) -> None:
    """Every check that raises: written to ``faults_file``, then raised on to checkov as before."""
    from checkov.common.checks.base_check import BaseCheck

    run_check = BaseCheck.run

    def run_recording_faults(
        self: Any, scanned_file: str, entity_configuration: Any, entity_name: str, entity_type: str, skip_info: Any
    ) -> Any:
        self.check_fail_level = _RECORDED
        try:
            return run_check(self, scanned_file, entity_configuration, entity_name, entity_type, skip_info)
        except Exception as error:
            fault = {"file": scanned_file, "check": self.id, "resource": f"{entity_type}.{entity_name}",
                     "error": f"{type(error).__name__}: {error}"[:300]}
            try:
                with open(faults_file, "a", encoding="utf-8") as stream:
                    stream.write(json.dumps(fault) + "\n")
            except OSError:  # unrecorded, so logged: the gate then fails the whole run
                logging.error("Failed to run check %s on %s, and to record it in %s", self.id, scanned_file, faults_file)
            raise

    BaseCheck.run = run_recording_faults


def import_checkov() -> dict[str, Any]:
    """Import checkov; what of the environment the import read (the ``read`` answer)."""
    names: set[str] = set()
    patterns: set[str] = set()
    everything = False
    environ_class = os._Environ
    get, contains, iterate = environ_class.__getitem__, environ_class.__contains__, environ_class.__iter__

    def recording_get(self: Any, key: Any) -> Any:
        if _scanner_pattern(sys._getframe(1)) is None:  # a scanner reads every name: see its pattern
            names.add(str(key))
        return get(self, key)

    def recording_contains(self: Any, key: Any) -> bool:
        names.add(str(key))
        return contains(self, key)

    def recording_iterate(self: Any) -> Any:
        nonlocal everything
        pattern = _scanner_pattern(sys._getframe(1))
        if pattern is None:
            everything = True
        else:
            patterns.add(pattern)
        return iterate(self)

    warnings.simplefilter("ignore", category=SyntaxWarning)
    # Importing checkov makes some 300,000 objects that live as long as the process: the
    # cyclic collector would walk them again and again, during the import and the checks
    # (about a third of a run's CPU). None of them is garbage: they are frozen out of its reach.
    gc.disable()
    environ_class.__getitem__, environ_class.__contains__, environ_class.__iter__ = (  # type: ignore[method-assign]
        recording_get, recording_contains, recording_iterate)
    try:
        from checkov.main import Checkov  # noqa: F401 - imported for the jobs' children
    finally:
        environ_class.__getitem__, environ_class.__contains__, environ_class.__iter__ = (  # type: ignore[method-assign]
            get, contains, iterate)
    gc.freeze()
    gc.enable()
    return {"read": None if everything else sorted(names), "patterns": sorted(patterns)}


def _scanner_pattern(frame: Any) -> str | None:
    """The pattern of the scanner (:data:`_SCANNERS`) that ``frame`` runs for, if any: the
    scanner itself, or Mapping's items(), os.environ.copy() or a generator expression under it."""
    for _ in range(4):
        if frame is None:
            return None
        code = frame.f_code
        path = code.co_filename.replace(os.sep, "/")
        for (file, name), pattern in _SCANNERS.items():
            if code.co_name == name and path.endswith("/" + file):
                return pattern
        frame = frame.f_back
    return None


def run_job(job: dict[str, Any]) -> int:
    """One checkov run, in the child forked for it: as the ``checkov`` script would run it."""
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent()
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    try:
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        tempfile.tempdir = None  # read from this job's TMPDIR, not the one the import saw
        if os.environ.get(FAULTS_ENV):
            record_check_faults(os.environ[FAULTS_ENV])
        from checkov.main import Checkov

        sys.argv = ["checkov", *job["args"]]
        code: Any = Checkov(argv=job["args"]).run()  # its default argv is bound when checkov is imported
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:
        traceback.print_exc()
        code = 1
    if not isinstance(code, int):  # sys.exit's conventions: None is success, a message a failure
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code)


def _end_with_parent() -> None:
    """SIGKILL to this child when the serving process ends (the gate killed it, or it died)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the job then ends by itself, as a cold checkov would


def answer(message: dict[str, Any]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode("utf-8"))


def serve() -> int:
    pending = b""
    while True:
        while b"\n" not in pending:
            if not select.select([0], [], [], IDLE_SECONDS)[0]:
                return 0
            chunk = os.read(0, 65536)
            if not chunk:
                return 0
            pending += chunk
        line, _, pending = pending.partition(b"\n")
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = run_job(job)
            finally:
                os._exit(code)
        answer({"pid": pid})
        _, status = os.waitpid(pid, 0)
        answer({"exit": os.waitstatus_to_exitcode(status)})


def main() -> int:
    # The server's own directory (HOME), made for it by the gate: removed as it ends, also
    # when the gate is gone without ending it (stdin closed) or ends it with SIGTERM.
    home = sys.argv[1] if len(sys.argv) > 1 and os.path.basename(sys.argv[1]).startswith(HOME_PREFIX) else None
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        answer(import_checkov())
        return serve()
    finally:
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
