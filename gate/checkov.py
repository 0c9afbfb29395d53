"""checkov, the gate's second engine: built-in checks plus ``policy/checkov`` (CKV_EKSIAM_*).

checkov runs as a subprocess (the ``checkov`` script installed next to the gate's Python), once
per input: framework ``terraform_json`` on a synthesized ``cdk.tf.json``, framework
``terraform_plan`` on a ``terraform show -json`` plan (where the IAM privilege-escalation checks
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
custom check that fails to load or raises, and carries on without it), output that is not
checkov's JSON, a parsing error, or zero checks evaluated: each raises :class:`ToolError`.

checkov's own suppressions (``checkov:skip`` comments) are not honoured: a skipped result is
reported as a failure. Exceptions go through eksiam's waivers, which name a reason and expire.

Severities: a check's own severity when checkov reports one (the CKV_EKSIAM checks set theirs);
offline, checkov's built-in checks carry none, and they are all IAM checks here, so they are
``HIGH`` (:data:`BUILTIN_SEVERITY`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gate import POLICY_DIR
from gate.errors import ToolError, UsageError
from gate.findings import EngineSummary, Finding, RuleInfo, Severity
from gate.report.locations import key_lines

ENGINE = "checkov"
FRAMEWORK_SYNTH = "terraform_json"
FRAMEWORK_PLAN = "terraform_plan"
FRAMEWORKS = (FRAMEWORK_SYNTH, FRAMEWORK_PLAN)
# What gate.inputs calls each input kind, and the framework that reads it; snapshots of a live
# account are not Terraform, checkov has nothing to say about them.
FRAMEWORK_BY_KIND = {"synth": FRAMEWORK_SYNTH, "plan": FRAMEWORK_PLAN, "hcp": FRAMEWORK_PLAN}

DEFAULT_TIMEOUT = 300.0
TIMEOUT_ENV = "EKSIAM_CHECKOV_TIMEOUT"
EXECUTABLE_ENV = "EKSIAM_CHECKOV"
BUILTIN_SEVERITY = Severity.HIGH
POLICY_INDEX_URL = "https://www.checkov.io/5.Policy%20Index/terraform.html"
EXTERNAL_CHECKS_DIR = POLICY_DIR / "checkov"

OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "LOG_LEVEL": "WARNING",
    "PYTHONWARNINGS": "ignore",
}
_DROPPED_ENV_PREFIXES = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")
# Settings the CKV_EKSIAM checks read (policy/checkov/eksiam_checkov_lib.py).
CUSTOM_CHECK_ENV = {
    "extra_policy_arns": "EKSIAM_CHECKOV_EXTRA_POLICY_ARNS",
    "allow_ipv6_cni": "EKSIAM_CHECKOV_ALLOW_IPV6_CNI",
    "allow_ssm_managed_instance_core": "EKSIAM_CHECKOV_ALLOW_SSM_MANAGED_INSTANCE_CORE",
    "connector_role_name": "EKSIAM_CHECKOV_CONNECTOR_ROLE_NAME",
    "node_role_name": "EKSIAM_CHECKOV_NODE_ROLE_NAME",
}
# Offline, checkov's built-in checks carry no guideline: a fix in one sentence for those that
# bear on these roles (others get a generic sentence naming the check).
BUILTIN_REMEDIATION = {
    "CKV_AWS_60": "Trust only specific services or principals in the role's trust policy, never \"*\".",
    "CKV_AWS_61": "Do not trust a whole account's root in the trust policy; trust the service the role is for.",
    "CKV_AWS_62": "Remove \"Action\": \"*\" on \"Resource\": \"*\" from the policy.",
    "CKV_AWS_63": "Replace \"*\" actions with the specific actions the role needs.",
    "CKV_AWS_274": "Detach the AdministratorAccess managed policy from the role.",
    "CKV_AWS_286": "Remove the actions that let the role escalate its own privileges (iam:Put*, iam:Attach*, iam:PassRole …).",
    "CKV_AWS_287": "Remove the actions that expose credentials, or scope them to specific resources.",
    "CKV_AWS_288": "Remove the actions that allow data exfiltration, or scope them to specific resources.",
    "CKV_AWS_289": "Scope permissions-management and resource-policy actions to specific resources.",
    "CKV_AWS_290": "Scope write actions to specific resources instead of \"*\".",
    "CKV_AWS_355": "Scope actions that support resource-level permissions to specific resources instead of \"*\".",
    "CKV2_AWS_40": "Remove iam:* from the policy.",
    "CKV2_AWS_56": "Detach the IAMFullAccess managed policy from the role.",
}
_SEVERITY_ALIASES = {"INFO": "LOW", "NONE": "LOW", "MODERATE": "MEDIUM", "IMPORTANT": "HIGH"}
_SEE_URL = re.compile(r"\s*See (https?://\S+?)\.?$")
_STDERR_PROBLEM = re.compile(r"Traceback \(most recent call last\)|\[ERROR\]")


def _default_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(raw)
    except ValueError:
        timeout = 0.0
    if timeout <= 0:
        raise UsageError(f"{TIMEOUT_ENV}={raw!r} is not a positive number of seconds: set it to e.g. 300")
    return timeout


@dataclass(frozen=True)
class CheckovOptions:
    """How to run checkov. ``None`` settings of the custom checks keep what the environment says.

    ``extra_policy_arns``/``allow_ipv6_cni``/``allow_ssm_managed_instance_core`` mirror
    ``[node] additional_policy_arns``, ``enable_ipv6_cni`` and ``attach_ssm_managed_instance_core``; the role names mirror ``[connector]``/``[node] role_name``.
    """

    executable: str | None = None
    timeout: float = field(default_factory=_default_timeout)
    external_checks_dir: Path | None = EXTERNAL_CHECKS_DIR
    extra_policy_arns: tuple[str, ...] | None = None
    allow_ipv6_cni: bool | None = None
    allow_ssm_managed_instance_core: bool | None = None
    connector_role_name: str | None = None
    node_role_name: str | None = None


@dataclass(frozen=True)
class CheckovResult:
    """Findings (failed checks), the ``(rule, resource)`` pairs that passed, counts, and the
    metadata of every rule that produced a result."""

    findings: tuple[Finding, ...] = ()
    summary: EngineSummary = EngineSummary()
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    passed_checks: tuple[tuple[str, str], ...] = ()


def find_checkov(explicit: str | None = None) -> Path:
    """The checkov script: ``explicit``, ``$EKSIAM_CHECKOV``, beside ``sys.executable``, on PATH."""
    candidates: list[str | Path] = []
    configured = explicit or os.environ.get(EXECUTABLE_ENV)
    if configured:
        candidates.append(configured)
    else:
        candidates.append(Path(sys.executable).parent / "checkov")
        on_path = shutil.which("checkov")
        if on_path:
            candidates.append(on_path)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file() and os.access(path, os.X_OK):
            return path
    where = configured or f"{Path(sys.executable).parent} or PATH"
    raise ToolError(f"checkov is not installed (looked in {where}): run `make run` to install it, or pass --no-checkov")


def _flag(setting: bool | None) -> str | None:
    return None if setting is None else ("true" if setting else "false")


def checkov_environment(options: CheckovOptions, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES) and k != "LOG_LEVEL"}
    env.update(OFFLINE_ENV)
    env["HOME"] = str(home)
    settings = {
        "extra_policy_arns": None if options.extra_policy_arns is None else ",".join(options.extra_policy_arns),
        "allow_ipv6_cni": _flag(options.allow_ipv6_cni),
        "allow_ssm_managed_instance_core": _flag(options.allow_ssm_managed_instance_core),
        "connector_role_name": options.connector_role_name,
        "node_role_name": options.node_role_name,
    }
    for key, setting in settings.items():
        if setting is not None:
            env[CUSTOM_CHECK_ENV[key]] = setting
    return env


def checkov_command(executable: Path, target: Path, framework: str, out_dir: Path, options: CheckovOptions) -> list[str]:
    command = [
        str(executable),
        "--file", str(target),
        "--framework", framework,
        "--output", "json",
        "--output-file-path", str(out_dir),
        "--skip-download",
        "--soft-fail",
    ]
    if options.external_checks_dir is not None:
        command += ["--external-checks-dir", str(options.external_checks_dir)]
    return command


def scan_file(path: str | Path, framework: str, options: CheckovOptions | None = None) -> CheckovResult:
    """Run checkov with ``framework`` on one file; findings name ``path`` as given."""
    options = options or CheckovOptions()
    if framework not in FRAMEWORKS:
        raise UsageError(f"unknown checkov framework {framework!r}: use {' or '.join(FRAMEWORKS)}")
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}; check the path") from None
    executable = find_checkov(options.executable)
    if options.external_checks_dir is not None and not (Path(options.external_checks_dir) / "__init__.py").is_file():
        raise ToolError(f"custom checkov checks not found in {options.external_checks_dir}: restore policy/checkov/")
    with tempfile.TemporaryDirectory(prefix="eksiam-checkov-") as scratch:
        scratch_dir = Path(scratch)
        target = _checkov_target(source, text, framework, scratch_dir)
        out_dir = scratch_dir / "out"
        home = scratch_dir / "home"
        home.mkdir()
        command = checkov_command(executable, target, framework, out_dir, options)
        stdout, stderr = _run(command, scratch_dir, checkov_environment(options, home), options.timeout, str(path))
        report_file = out_dir / "results_json.json"
        raw = report_file.read_text(encoding="utf-8") if report_file.is_file() else stdout
    try:
        data = json.loads(raw)
    except ValueError:
        raise ToolError(f"checkov's output for {path} is not JSON ({_first_line(raw) or 'empty'}): rerun with LOG_LEVEL=DEBUG checkov to see why") from None
    result = parse_output(data, framework, str(path), text)
    if result.summary.evaluated == 0:
        raise ToolError(
            f"checkov evaluated no check on {path} (framework {framework}): "
            "the file holds no resource checkov knows; check that it is a cdk.tf.json or a plan"
        )
    return result


def options_from_policy_config(policy_config: Mapping[str, Any] | None, base: CheckovOptions | None = None) -> CheckovOptions:
    """:class:`CheckovOptions` carrying the settings of ``Config.to_policy_data()`` to the custom checks."""
    base = base or CheckovOptions()
    if not policy_config:
        return base
    connector = policy_config.get("connector") or {}
    node = policy_config.get("node") or {}
    return replace(
        base,
        extra_policy_arns=tuple(node.get("additional_policy_arns") or ()),
        allow_ipv6_cni=bool(node.get("allow_ipv6_cni", False)),
        allow_ssm_managed_instance_core=bool(node.get("allow_ssm_managed_instance_core", False)),
        connector_role_name=connector.get("role_name") or base.connector_role_name,
        node_role_name=node.get("role_name") or base.node_role_name,
    )


def run_checkov(
    inputs: Iterable[Any],
    external_checks_dir: str | Path | None = None,
    *,
    policy_config: Mapping[str, Any] | None = None,
    options: CheckovOptions | None = None,
    workers: int | None = None,
) -> CheckovResult:
    """checkov on every input it reads, in parallel, as one result.

    ``inputs`` are :class:`gate.inputs.InputDocument` (``.path``, ``.kind``) or ``(path, kind)``
    pairs with kind ``synth``, ``plan``, ``hcp`` or ``snapshot``; snapshots are skipped (see
    :data:`FRAMEWORK_BY_KIND`). ``external_checks_dir`` defaults to ``policy/checkov``;
    ``policy_config`` is ``Config.to_policy_data()``. When no input
    is left the result has ``evaluated == 0``, which a caller must show as "checkov did not
    run", never as a pass.
    """
    options = options_from_policy_config(policy_config, options)
    if external_checks_dir is not None:
        options = replace(options, external_checks_dir=Path(external_checks_dir))
    jobs = []
    for item in inputs:
        path, kind = (item.path, item.kind) if hasattr(item, "path") else item
        framework = FRAMEWORK_BY_KIND.get(str(kind))
        if framework:
            jobs.append((path, framework))
    if not jobs:
        return CheckovResult()
    # checkov is CPU-bound (mostly its own start-up): one run per core.
    workers = workers or os.cpu_count() or 2
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        futures = [pool.submit(scan_file, path, framework, options) for path, framework in jobs]
        results = [future.result() for future in futures]
    return merge_results(results)


def merge_results(results: Sequence[CheckovResult]) -> CheckovResult:
    findings: list[Finding] = []
    rules: dict[str, RuleInfo] = {}
    passed_checks: list[tuple[str, str]] = []
    passed = failed = 0
    for result in results:
        findings.extend(result.findings)
        rules.update(result.rules)
        passed_checks.extend(result.passed_checks)
        passed += result.summary.passed
        failed += result.summary.failed
    return CheckovResult(
        tuple(findings),
        EngineSummary(evaluated=passed + failed, failed=failed, passed=passed),
        rules,
        tuple(passed_checks),
    )


# --- running ---------------------------------------------------------------------------


def _checkov_target(source: Path, text: str, framework: str, scratch: Path) -> Path:
    """The file checkov reads: the input itself, or the plan inside an HCP policy input."""
    if framework == FRAMEWORK_PLAN:
        try:
            data = json.loads(text)
        except ValueError:
            raise UsageError(f"{source} is not JSON: pass the output of `terraform show -json`") from None
        if isinstance(data, dict) and isinstance(data.get("plan"), dict) and "format_version" not in data:
            target = scratch / "plan.json"
            target.write_text(json.dumps(data["plan"]), encoding="utf-8")
            return target
    return source.resolve()


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float, label: str) -> tuple[str, str]:
    try:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )
    except OSError as error:
        raise ToolError(f"cannot start checkov ({command[0]}): {error.strerror or error}; reinstall it with `make run`") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ToolError(
            f"checkov did not finish on {label} within {timeout:g} s: raise {TIMEOUT_ENV} or check the machine's load"
        ) from None
    if process.returncode != 0:
        raise ToolError(f"checkov failed on {label} (exit {process.returncode}): {_problem_line(stderr or stdout)}")
    if _STDERR_PROBLEM.search(stderr):
        raise ToolError(f"checkov reported an internal error on {label}: {_problem_line(stderr)}")
    return stdout, stderr


def _kill_group(process: subprocess.Popen) -> None:
    # checkov may fork workers: end the whole process group it leads, not only the parent.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:300]


def _problem_line(text: str) -> str:
    """The most telling line of checkov's stderr: an error log line, or a traceback's last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "[ERROR]" in line:
            return line.split("[ERROR]", 1)[1].strip()[:300]
    if any(line.startswith("Traceback") for line in lines):
        tail = [line for line in lines if not line.startswith(("File ", "^", "~"))]
        return (tail[-1] if tail else lines[-1])[:300]
    return (lines[-1] if lines else "no output")[:300]


# --- parsing ------------------------------------------------------------------------------


def parse_output(data: Any, framework: str, file: str, source_text: str = "") -> CheckovResult:
    """checkov's ``-o json`` output (one report, a list of reports, or a bare summary) → result.

    ``source_text`` (the input's JSON text) lets the synthesized ``resource.<name>`` ids that
    checkov's ``terraform_json`` runner prints be resolved to ``<type>.<name>`` addresses.
    """
    reports = _reports(data, file)
    findings: list[Finding] = []
    rules: dict[str, RuleInfo] = {}
    passed_checks: list[tuple[str, str]] = []
    passed = failed = 0
    addresses = _AddressBook(source_text)
    for report in reports:
        if report.get("check_type") not in (None, framework):
            continue
        results = report.get("results")
        if not isinstance(results, dict):
            raise ToolError(f"checkov's report for {file} has no results: upgrade or reinstall checkov==3.3.30")
        errors = results.get("parsing_errors") or []
        if errors:
            raise ToolError(f"checkov could not parse {file} as {framework}: check that the file is complete JSON")
        for record in results.get("passed_checks") or []:
            rule = _rule_info(record)
            rules.setdefault(rule.id, rule)
            passed_checks.append((rule.id, addresses.resolve(record)))
            passed += 1
        for status in ("failed_checks", "skipped_checks"):
            for record in results.get(status) or []:
                rule = _rule_info(record)
                rules.setdefault(rule.id, rule)
                findings.append(_finding(record, rule, file, addresses, skipped=status == "skipped_checks"))
                failed += 1
    return CheckovResult(
        tuple(sorted(findings, key=lambda f: (-f.severity, f.rule, f.resource))),
        EngineSummary(evaluated=passed + failed, failed=failed, passed=passed),
        rules,
        tuple(passed_checks),
    )


def _reports(data: Any, file: str) -> list[dict]:
    if isinstance(data, list):
        reports = data
    elif isinstance(data, dict) and "results" in data:
        reports = [data]
    elif isinstance(data, dict) and {"passed", "failed"} <= data.keys():
        reports = []  # checkov prints a bare summary when the file held no resource at all
    else:
        raise ToolError(f"checkov's output for {file} is not a checkov JSON report: reinstall checkov==3.3.30")
    if not all(isinstance(report, dict) for report in reports):
        raise ToolError(f"checkov's output for {file} is not a checkov JSON report: reinstall checkov==3.3.30")
    return reports


def _severity(record: dict) -> Severity:
    raw = record.get("severity")
    if isinstance(raw, dict):  # some checkov versions serialize Severity objects
        raw = raw.get("name")
    if not raw:
        return BUILTIN_SEVERITY
    name = _SEVERITY_ALIASES.get(str(raw).upper(), str(raw).upper())
    return Severity[name] if name in Severity.__members__ else BUILTIN_SEVERITY


def _split_guideline(guideline: str) -> tuple[str, str]:
    """``"Do X. See https://…"`` → ``("Do X.", "https://…")``; a bare URL → ``("", url)``."""
    guideline = (guideline or "").strip()
    if guideline.startswith(("http://", "https://")) and " " not in guideline:
        return "", guideline
    match = _SEE_URL.search(guideline)
    if match:
        return guideline[: match.start()].strip(), match.group(1)
    return guideline, ""


def _rule_info(record: dict) -> RuleInfo:
    rule_id = str(record.get("check_id") or "")
    if not rule_id:
        raise ToolError("checkov reported a result without a check id: reinstall checkov==3.3.30")
    name = str(record.get("check_name") or rule_id)
    remediation, help_uri = _split_guideline(str(record.get("guideline") or ""))
    if not remediation:
        remediation = BUILTIN_REMEDIATION.get(rule_id, "")
    if not remediation:
        remediation = f"Change the resource so that checkov's {rule_id} passes: {name}."
    return RuleInfo(
        id=rule_id,
        title=name,
        description=str(record.get("description") or name),
        remediation=remediation,
        help_uri=help_uri or POLICY_INDEX_URL,
        severity=_severity(record),
    )


def _finding(record: dict, rule: RuleInfo, file: str, addresses: "_AddressBook", *, skipped: bool) -> Finding:
    resource = addresses.resolve(record)
    details = [str(d) for d in record.get("details") or [] if str(d).strip()]
    message = f"{resource}: {rule.title}"
    if details:
        message += f" ({'; '.join(details)})"
    if skipped:
        comment = (record.get("check_result") or {}).get("suppress_comment") or "no reason given"
        message += f" [suppressed in the source ({comment}); eksiam counts it as failed: use a waiver instead]"
    return Finding(
        rule=rule.id,
        severity=rule.severity or BUILTIN_SEVERITY,
        engine=ENGINE,
        resource=resource,
        message=message,
        remediation=rule.remediation,
        file=file,
        title=rule.title,
    )


class _AddressBook:
    """Turns checkov's ``resource.<name>`` (terraform_json) into ``<type>.<name>``.

    checkov's terraform_json runner drops the resource type from its ids; the type is found
    again by the name in the input, using checkov's reported start line when two types share
    a name.
    """

    def __init__(self, source_text: str) -> None:
        self._by_name: dict[tuple[str, str], list[tuple[str, int]]] = {}
        if not source_text:
            return
        try:
            lines = key_lines(source_text)
        except Exception:  # noqa: BLE001 - locating is best effort; the id stays as checkov gave it
            return
        for path, line in lines.items():
            if len(path) == 3 and path[0] in ("resource", "data"):
                self._by_name.setdefault((path[0], path[2]), []).append((path[1], line))

    def resolve(self, record: dict) -> str:
        address = record.get("resource_address") or record.get("resource") or ""
        address = str(address)
        block, _, name = address.partition(".")
        if block not in ("resource", "data") or "." in name:
            return address
        candidates = self._by_name.get((block, name), [])
        if not candidates:
            return address
        start = (record.get("file_line_range") or [None])[0]
        chosen = next((type_ for type_, line in candidates if line == start), candidates[0][0])
        return f"{chosen}.{name}" if block == "resource" else f"data.{chosen}.{name}"
