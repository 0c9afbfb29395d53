"""Running checkov: the subprocess, its command line, and fail-closed handling of every way it ends."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from eksiam.errors import ToolError, UsageError
from eksiam.gate.cache import Cache, cache_key, tree_digest
from eksiam.gate.checkov.environment import (
    EXECUTABLE_ENV,
    IDENTITY_ENV,
    TIMEOUT_ENV,
    CheckovOptions,
    checkov_environment,
)
from eksiam.gate.checkov.handoff import Handoff, handoff, write_handoff
from eksiam.gate.checkov.parser import (
    CheckovFileError,
    CheckovResult,
    merge_results,
    parse_output,
    result_from_json,
    result_to_json,
    split_by_file,
)
from eksiam.gate.checkov import warm
from eksiam.gate.checkov.worker_script import FAULTS_ENV
from eksiam.gate.processes import kill_group
from eksiam.gate.checkov.target import Scope, write_target

FRAMEWORK_SYNTH = "terraform_json"
FRAMEWORK_PLAN = "terraform_plan"
FRAMEWORKS = (FRAMEWORK_SYNTH, FRAMEWORK_PLAN)
# What eksiam.gate.inputs calls each input kind, and the framework that reads it; snapshots of a live
# account are not Terraform, checkov has nothing to say about them.
FRAMEWORK_BY_KIND = {"synth": FRAMEWORK_SYNTH, "plan": FRAMEWORK_PLAN, "hcp": FRAMEWORK_PLAN}

_STDERR_PROBLEM = re.compile(r"Traceback \(most recent call last\)|\[ERROR\]")


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


def checkov_command(
    executable: Path, targets: Sequence[Path], framework: str | Sequence[str], out_dir: Path, options: CheckovOptions
) -> list[str]:
    """One checkov run over ``targets`` with one framework, or several (each reads its own files)."""
    command = [str(executable)]
    for target in targets:
        command += ["--file", str(target)]
    command += [
        "--framework", *([framework] if isinstance(framework, str) else framework),
        "--output", "json",
        "--output-file-path", str(out_dir),
        "--skip-download",
        "--soft-fail",
    ]
    if options.external_checks_dir is not None:
        command += ["--external-checks-dir", str(options.external_checks_dir)]
    return command


def scan_file(
    path: str | Path, framework: str, options: CheckovOptions | None = None, identity: Mapping[str, Any] | None = None
) -> CheckovResult:
    """Run checkov with ``framework`` on one file; findings name ``path`` as given. A file
    checkov could not evaluate raises :class:`ToolError`."""
    identities = {str(path): identity} if identity is not None else None
    result = scan_files([path], framework, options, identities)[str(path)]
    if result.errors:
        raise CheckovFileError(*result.errors[0])
    return result


def scan_files(
    paths: Sequence[str | Path],
    framework: str,
    options: CheckovOptions | None = None,
    identities: Mapping[str, Mapping[str, Any]] | None = None,
    cache: Cache | None = None,
) -> dict[str, CheckovResult]:
    """One checkov process over every file of ``framework``; each file's result by its path
    (:func:`scan_mixed` with one framework).
    """
    return scan_mixed({str(path): framework for path in paths}, options, identities, cache)


def scan_mixed(
    frameworks: Mapping[str, str],
    options: CheckovOptions | None = None,
    identities: Mapping[str, Mapping[str, Any]] | None = None,
    cache: Cache | None = None,
) -> dict[str, CheckovResult]:
    """One checkov process over every file, each read by its framework (``frameworks``: path to
    framework): one import of checkov however many frameworks the inputs need. Each file's
    result by its path.

    Each file gets its own copy (see :mod:`eksiam.gate.checkov.target`); the hand-off
    (:mod:`eksiam.gate.checkov.handoff`) says which copy is which input, to the custom checks
    and when checkov's results are mapped back. ``identities`` holds OPA's decision per path
    on which resources are EKS roles (policy/main.rego, ``checkov``); the custom checks judge
    by it when given. A file that holds resources in scope but of which checkov evaluated
    nothing, that checkov could not parse, or on which a check raised (as the checkov worker
    records it, eksiam.gate.checkov.worker_script) has a result that is an error for that
    file, never a pass; the other files keep their verdicts. With ``cache``,
    a file whose verdict is stored under the same file, framework, checkov version, checks,
    options and identity is not given to checkov again.
    """
    options = options or CheckovOptions()
    for framework in frameworks.values():
        if framework not in FRAMEWORKS:
            raise UsageError(f"unknown checkov framework {framework!r}: use {' or '.join(FRAMEWORKS)}")
    texts = {path: _read(Path(path)) for path in frameworks}
    executable = find_checkov(options.executable)
    if options.external_checks_dir is not None and not (Path(options.external_checks_dir) / "__init__.py").is_file():
        raise ToolError(f"custom checkov checks not found in {options.external_checks_dir}: restore policy/checkov/")
    results = {path: CheckovResult() for path in texts}
    cache = cache or Cache(enabled=False)
    common = _common_key_parts(options)
    keys = {
        path: cache_key(CACHE_KIND, {
            **common,
            "framework": frameworks[path],
            "input": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "identity": (identities or {}).get(path),
        })
        for path, text in texts.items()
    }
    for path, key in keys.items():
        cached = result_from_json(cache.get(CACHE_KIND, key), path)
        if cached is not None:
            results[path] = replace(cached, cached=True)
    with tempfile.TemporaryDirectory(prefix="eksiam-checkov-") as scratch:
        scratch_dir = Path(scratch)
        copies: dict[str, Path] = {}  # each input's copy, in a directory of its own
        for index, (path, text) in enumerate(texts.items()):
            if results[path].cached:
                continue
            (scratch_dir / str(index)).mkdir()
            scope = Scope.of(options.scope, (identities or {}).get(path))
            target, has_resources = write_target(Path(path), text, frameworks[path] == FRAMEWORK_PLAN, scope, scratch_dir / str(index))
            if has_resources:  # else nothing in the checks' scope: nothing to judge
                copies[path] = target
        if not copies:
            return results
        given = handoff(copies, identities)
        out_dir = scratch_dir / "out"
        home = scratch_dir / "home"
        home.mkdir()
        faults_file = scratch_dir / "faults.jsonl"
        env = checkov_environment(options, home)
        env[IDENTITY_ENV] = str(write_handoff(given, scratch_dir / "handoff.json"))
        env[FAULTS_ENV] = str(faults_file)
        label = next(iter(copies)) if len(copies) == 1 else f"{len(copies)} files"
        used = sorted({frameworks[path] for path in copies})
        command = checkov_command(executable, list(copies.values()), used, out_dir, options)
        stdout, _ = _run(command, scratch_dir, env, options.timeout, label, cache.directory(_IMPORT_CACHE_KIND))
        report_file = out_dir / "results_json.json"
        raw = report_file.read_text(encoding="utf-8") if report_file.is_file() else stdout
        faults = _faults_by_input(faults_file, given)
    try:
        data = json.loads(raw)
    except ValueError:
        raise ToolError(f"checkov's output for {label} is not JSON ({_first_line(raw) or 'empty'}): rerun with LOG_LEVEL=DEBUG checkov to see why") from None
    reports: dict[str, list[dict[str, Any]]] = {}
    for reported, by_framework in split_by_file(data, used, label).items():
        of = given.input_of(reported)
        if of is None:
            raise ToolError(f"checkov reported on {reported}, which it was not given: reinstall checkov==3.3.30")
        # Only its own framework's verdict counts (parse_output): another framework that read
        # the file too judged something it is not.
        reports.setdefault(of, []).extend(by_framework)
    for path in copies:
        try:
            if path in faults:
                raise CheckovFileError(path, faults[path])
            results[path] = parse_output(reports.get(path, []), frameworks[path], path, texts[path])
            if results[path].summary.evaluated == 0:
                raise CheckovFileError(
                    path,
                    f"checkov evaluated no check on {path} (framework {frameworks[path]}): "
                    "the file holds no resource checkov knows; check that it is a cdk.tf.json or a plan",
                )
        except CheckovFileError as error:
            results[path] = CheckovResult(errors=((path, str(error)),))  # never cached: a verdict it is not
            continue
        cache.put(CACHE_KIND, keys[path], result_to_json(results[path]))
    return results


def _faults_by_input(faults_file: Path, given: Handoff) -> dict[str, str]:
    """What the checkov worker recorded of each check that raised (worker_script.py), by input:
    that input's verdict is incomplete. The first fault of each input says why."""
    try:
        lines = faults_file.read_text(encoding="utf-8").splitlines() if faults_file.is_file() else []
        faults = [(str(f["file"]), str(f["check"]), str(f["resource"]), str(f["error"])) for f in map(json.loads, lines)]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as error:
        raise ToolError(f"cannot read which checks checkov could not run ({faults_file}): {error}; rerun the gate") from None
    by_input: dict[str, str] = {}
    for file, check, resource, why in faults:
        of = given.input_of(file)
        if of is None:
            raise ToolError(f"checkov's check {check} raised on {file}, which it was not given: reinstall checkov==3.3.30")
        by_input.setdefault(of, f"checkov's check {check} raised on {resource} of {of}: {why}")
    return by_input


CACHE_KIND = "checkov"
# Where a checkov server's import keeps what it caches (eksiam.gate.checkov.warm.start).
_IMPORT_CACHE_KIND = "checkov-import"


def start_ahead(options: CheckovOptions, cache: Cache) -> None:
    """A checkov server importing checkov now, for a scan of this run with ``options`` later
    (:func:`eksiam.gate.checkov.warm.start_ahead`)."""
    warm.start_ahead(find_checkov(options.executable), options, cache.directory(_IMPORT_CACHE_KIND))


def _common_key_parts(options: CheckovOptions) -> dict[str, Any]:
    """What every file's verdict in one run depends on besides the file and its framework: read once per run."""
    checks = options.external_checks_dir
    return {
        "checkov": _checkov_version(),
        "checks": tree_digest(checks, "*.py") if checks is not None else None,
        "options": dataclasses.asdict(replace(options, timeout=0.0, executable=None, external_checks_dir=None)),
    }


def _checkov_version() -> str:
    try:
        return importlib.metadata.version("checkov")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}; check the path") from None


def run_checkov(
    inputs: Iterable[Any],
    external_checks_dir: str | Path | None = None,
    *,
    policy_config: Mapping[str, Any] | None = None,
    options: CheckovOptions | None = None,
    identities: Mapping[str, Mapping[str, Any]] | None = None,
    cache: Cache | None = None,
) -> CheckovResult:
    """checkov on every input it reads, in one process whatever the frameworks.

    ``inputs`` are :class:`eksiam.gate.inputs.InputDocument` (``.path``, ``.kind``) or ``(path, kind)``
    pairs with kind ``synth``, ``plan``, ``hcp`` or ``snapshot``; snapshots are skipped (see
    :data:`FRAMEWORK_BY_KIND`). ``external_checks_dir`` defaults to ``policy/checkov``;
    ``policy_config`` is ``Config.to_policy_data()``; ``identities`` OPA's identity of each
    file's roles, by path (:attr:`OpaOutcome.checkov_identities`). When no input
    is left the result has ``evaluated == 0``, which a caller must show as "checkov did not
    run", never as a pass.
    """
    options = options or CheckovOptions()
    if policy_config is not None:
        options = replace(options, settings=policy_config)
    if external_checks_dir is not None:
        options = replace(options, external_checks_dir=Path(external_checks_dir))
    frameworks: dict[str, str] = {}
    for item in inputs:
        path, kind = (item.path, item.kind) if hasattr(item, "path") else item
        framework = FRAMEWORK_BY_KIND.get(str(kind))
        if framework:
            frameworks[str(path)] = framework
    if not frameworks:
        return CheckovResult()
    return merge_results(_scan_isolating_faults(frameworks, options, identities, cache))


def _scan_isolating_faults(
    frameworks: Mapping[str, str],
    options: CheckovOptions,
    identities: Mapping[str, Mapping[str, Any]] | None,
    cache: Cache | None,
) -> list[CheckovResult]:
    """All files in one checkov run. A file checkov cannot evaluate is an error for that file,
    and the others still get their verdict. Mostly the run itself says which file that is (a
    check that raised, recorded by the worker; a file checkov evaluated nothing of): see
    :func:`scan_files`. When it cannot (checkov crashed, timed out or logged an error of its
    own), the files are halved and each half runs again, down to the files that fail: a few
    faulty files among many cost a few runs each, not a run per file."""
    try:
        return list(scan_mixed(frameworks, options, identities, cache).values())
    except ToolError as error:
        paths = list(frameworks)
        if len(paths) == 1:
            return [CheckovResult(errors=((paths[0], str(error)),))]
        middle = len(paths) // 2
        halves = ({path: frameworks[path] for path in half} for half in (paths[:middle], paths[middle:]))
        return [r for half in halves for r in _scan_isolating_faults(half, options, identities, cache)]


# --- running ---------------------------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float, label: str, import_cache: Path | None) -> tuple[str, str]:
    try:
        process = warm.start(command, cwd, env, import_cache)
    except OSError as error:
        raise ToolError(f"cannot start checkov ({command[0]}): {error.strerror or error}; reinstall it with `make run`") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise ToolError(
            f"checkov did not finish on {label} within {timeout:g} s: raise {TIMEOUT_ENV} or check the machine's load"
        ) from None
    if process.returncode != 0:
        raise ToolError(f"checkov failed on {label} (exit {process.returncode}): {_problem_line(stderr or stdout)}")
    if _STDERR_PROBLEM.search(stderr):
        raise ToolError(f"checkov reported an internal error on {label}: {_problem_line(stderr)}")
    return stdout, stderr


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


