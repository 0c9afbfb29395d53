"""checkov as the gate runs it: this file's text is the ``python -c`` program of a process of
checkov's own interpreter (eksiam.gate.checkov.warm), so it imports nothing of eksiam, which
that interpreter may not have.

It imports checkov, then reads one job from stdin (the arguments, working directory and
environment of a checkov run) and runs it as the ``checkov`` script would.

When the job's environment names a faults file (:data:`FAULTS_ENV`), a check that raises on a
resource is written there as one JSON object per line (``file``, ``check``, ``resource``,
``error``) instead of being logged. checkov itself carries on without that check's result,
so the run's other files keep their verdicts, and the gate knows from the record which file's
verdict is incomplete.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import warnings
from typing import Any

FAULTS_ENV = "EKSIAM_CHECKOV_FAULTS"
# Not checkov's ERROR or WARNING: checkov then logs nothing for a check that raised.
_RECORDED = "RECORDED"


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

    BaseCheck.run = run_recording_faults  # type: ignore[method-assign]


def main() -> Any:
    warnings.simplefilter("ignore", category=SyntaxWarning)
    # Importing checkov makes some 300,000 objects that live as long as the process: the
    # cyclic collector would walk them again and again, during the import and the checks
    # (about a third of a run's CPU). None of them is garbage: they are frozen out of its reach.
    gc.disable()
    from checkov.main import Checkov
    gc.freeze()
    gc.enable()

    line = sys.stdin.readline()
    if not line.strip():
        return 0
    job = json.loads(line)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    if os.environ.get(FAULTS_ENV):
        record_check_faults(os.environ[FAULTS_ENV])
    sys.argv = ["checkov", *job["args"]]
    return Checkov(argv=job["args"]).run()  # its default argv is bound when checkov is imported


if __name__ == "__main__":
    sys.exit(main())
