"""checkov, the gate's second engine: built-in checks plus ``policy/checkov`` (CKV_EKSIAM_*).

checkov runs as a subprocess (a child of a server of the interpreter of the ``checkov`` script
installed next to the gate's Python, which imported checkov once, ahead of the run:
:mod:`~eksiam.gate.checkov.warm`; or a wrapper script as it is), once per run
over all of its inputs, each read by its framework: ``terraform_json`` on synthesized
``cdk.tf.json``, ``terraform_plan`` on ``terraform show -json`` plans (where the IAM privilege-escalation checks
CKV_AWS_286–290/355 and CKV_AWS_274, AdministratorAccess attached, see resolved values). All of
checkov's built-in checks for the framework run, not a hand-picked list: the synthesized stacks
hold IAM resources only and pass every one of them, and a list would silently miss checks.

Offline by construction. ``--skip-download`` and ``BC_SKIP_MAPPING=TRUE`` stop the guideline and
policy-metadata downloads from Prisma Cloud, ``CKV_SKIP_PACKAGE_UPDATE_CHECK=true`` the PyPI
version check; inherited ``BC_*``/``CKV_*``/``CHECKOV_*``/``PRISMA_*`` variables (an API key
would turn on uploads) are dropped, and checkov runs in a scratch working directory with a
scratch ``HOME`` so no ``.checkov.yaml`` changes what it does. Without network it prints nothing
on stderr.

Fail closed: checkov missing, a non-zero exit (``--soft-fail`` makes findings exit 0, so any
other code is a crash), a timeout, a traceback or ``[ERROR]`` log on stderr (checkov logs a
custom check that fails to load, and carries on without it), or output that is not checkov's
JSON: each raises :class:`ToolError`. A check that raises on a resource (checkov carries on
without its result; the worker, ``worker_script.py``, records which file), a parsing error, or
zero checks evaluated makes that file's result an error, and the run's other files keep theirs.

checkov's own suppressions (``checkov:skip`` comments) are not honoured: a skipped result is
reported as a failure. Exceptions go through eksiam's waivers, which name a reason and expire.

Severities: a check's own severity when checkov reports one (the CKV_EKSIAM checks set theirs);
offline, checkov's built-in checks carry none, and they are all IAM checks here, so they are
``HIGH`` (:data:`BUILTIN_SEVERITY`).
"""

from eksiam.gate.checkov.catalogue import BUILTIN_SEVERITY, ENGINE
from eksiam.gate.checkov.environment import (
    DEFAULT_TIMEOUT,
    EXTERNAL_CHECKS_DIR,
    TIMEOUT_ENV,
    CheckovOptions,
    checkov_environment,
    options_from_config,
)
from eksiam.gate.checkov.parser import CheckovResult, merge_results, parse_output
from eksiam.gate.checkov.runner import (
    FRAMEWORK_PLAN,
    FRAMEWORK_SYNTH,
    checkov_command,
    find_checkov,
    run_checkov,
    scan_file,
    scan_files,
    scan_mixed,
)

__all__ = [
    "BUILTIN_SEVERITY",
    "DEFAULT_TIMEOUT",
    "ENGINE",
    "EXTERNAL_CHECKS_DIR",
    "FRAMEWORK_PLAN",
    "FRAMEWORK_SYNTH",
    "TIMEOUT_ENV",
    "CheckovOptions",
    "CheckovResult",
    "checkov_command",
    "checkov_environment",
    "find_checkov",
    "merge_results",
    "options_from_config",
    "parse_output",
    "run_checkov",
    "scan_file",
    "scan_files",
    "scan_mixed",
]
