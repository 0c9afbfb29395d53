"""The gate's pipelines: what ``eksiam check`` and ``eksiam verify`` do, step by step.

``check`` without inputs: synth -> terraform init + plan (offline, no credentials; see
``eksiam.gate.terraform``) -> OPA on the synthesized JSON and the plan -> checkov on both -> one
merged report. With inputs it checks just those files. ``verify`` reads the roles from the
live account and checks them with the same Rego rules.

Every step prints one line with its duration to stderr, so ``--format json`` on stdout stays
machine-readable.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from eksiam.errors import UsageError
from eksiam.gate.cache import Cache
from eksiam.gate import POLICY_DIR
from eksiam.gate.findings import (
    EngineSummary,
    Finding,
    Report,
    RuleInfo,
    Severity,
    Waiver,
)
from eksiam.gate.inputs import InputDocument, InputKind, load_inputs
from eksiam.gate.limits import Limits, read_limits

if TYPE_CHECKING:
    from eksiam.config import Config
    from eksiam.gate.checkov.environment import CheckovOptions

STATE_DIR = Path(".eksiam")

T = TypeVar("T")


@dataclass(frozen=True)
class CheckRequest:
    """Everything one gate run needs, parsed and validated from the command line."""

    config_path: str | None = None
    inputs: tuple[str, ...] = ()
    app: str | None = None
    stacks: tuple[str, ...] = ()
    out_dir: str | None = None
    opa_url: str | None = None
    # None: as [gate] fail_on / waivers say.
    fail_on: Severity | None = None
    waivers_path: str | None = None
    fail_on_unused_waivers: bool = False
    use_checkov: bool = True
    use_cache: bool = True

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "CheckRequest":
        return cls(
            config_path=args.config,
            inputs=tuple(getattr(args, "input", None) or ()),
            app=getattr(args, "app", None),
            stacks=tuple(getattr(args, "stack", None) or ()),
            out_dir=getattr(args, "out", None),
            opa_url=args.opa_url,
            fail_on=Severity.parse(args.fail_on) if args.fail_on is not None else None,
            waivers_path=args.waivers,
            fail_on_unused_waivers=getattr(args, "fail_on_unused_waivers", False),
            use_checkov=not getattr(args, "no_checkov", False),
            use_cache=not getattr(args, "no_cache", False),
        )

    def configured(self, config: Config) -> "CheckRequest":
        """The request with what the command line left to the configuration's ``[gate]``."""
        return replace(
            self,
            fail_on=self.fail_on or Severity.parse(config.gate.fail_on),
            waivers_path=self.waivers_path if self.waivers_path is not None else (config.gate.waivers or None),
        )

    @property
    def cache(self) -> Cache:
        """Plans and verdicts of identical earlier evaluations (``--no-cache``: none)."""
        return Cache(STATE_DIR / "cache", enabled=self.use_cache)


class Progress:
    """One line per step on stderr: what ran and how long it took, everything it did included
    (imports, processes it waited for); :meth:`total` adds each step's share of the run."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        self.steps.append((name.split()[0].rstrip(":"), seconds))
        print(f"eksiam: {name} ({seconds:.1f} s)", file=self.stream, flush=True)

    def run(self, name: str, work: Callable[[], T]) -> T:
        with self.step(name):
            return work()

    def total(self) -> None:
        seconds = time.perf_counter() - self.started
        shares = ", ".join(f"{name} {100 * spent / seconds:.0f}%" for name, spent in self.steps) if seconds else ""
        print(f"eksiam: total {seconds:.1f} s ({shares})", file=self.stream, flush=True)


def run_check(request: CheckRequest, progress: Progress | None = None) -> Report:
    from eksiam.config import load_config

    progress = progress or Progress()
    # Validate everything the user gave, the environment included, before any work, so bad
    # input costs nothing.
    limits = read_limits()
    config = load_config(request.config_path)
    request = request.configured(config)
    waivers = _load_waivers(request, config)
    _check_tools(request, app=not request.inputs)
    if request.inputs:
        documents = load_inputs(request.inputs, limits.max_input_bytes)
        if _checkov_reads(documents):
            _start_checkov_ahead(request, config, limits)
        report = _evaluate(documents, config, request, waivers, progress, {}, limits)
    else:
        report = _check_app(config, request, waivers, progress, limits)
    progress.total()
    return report


def _start_checkov_ahead(request: CheckRequest, config: Config, limits: Limits) -> None:
    """A checkov server importing checkov while the run goes on, to take on all of the run's
    inputs, whatever their frameworks (eksiam.gate.checkov.warm)."""
    if not request.use_checkov:
        return
    from eksiam.gate.checkov.runner import start_ahead

    start_ahead(_checkov_options(config, limits), request.cache)


def _checkov_options(config: Config, limits: Limits) -> CheckovOptions:
    """How this run runs checkov: one derivation, so that a checkov started ahead matches."""
    from eksiam.gate.checkov.environment import CheckovOptions, options_from_config

    return options_from_config(config, CheckovOptions(timeout=limits.checkov_timeout))


def _checkov_reads(documents: Iterable[InputDocument]) -> bool:
    """Whether checkov reads any of ``documents`` (it has nothing to say of account snapshots)."""
    from eksiam.gate.checkov.runner import FRAMEWORK_BY_KIND

    return any(str(d.kind) in FRAMEWORK_BY_KIND for d in documents)


def run_verify(request: CheckRequest, snapshot_file: str | None = None, progress: Progress | None = None) -> Report:
    """Check the roles of the live account; the snapshot is saved only to ``snapshot_file``.

    The snapshot checked is the one this run read (never a file another run may rewrite):
    it goes through the same strict reader as any input, from memory or from ``snapshot_file``.
    """
    from eksiam.config import load_config
    from eksiam.gate.snapshot import read_account_snapshot, snapshot_document

    progress = progress or Progress()
    limits = read_limits()
    config = load_config(request.config_path)
    request = request.configured(config)
    waivers = _load_waivers(request, config)
    _check_tools(replace(request, use_checkov=False), app=False)
    snapshot = progress.run("read IAM roles from the account", read_account_snapshot)
    document = snapshot_document(snapshot, snapshot_file, limits.max_input_bytes)
    # A live account is read anew each time: nothing of it is kept, cached verdicts included.
    report = _evaluate((document,), config, replace(request, use_checkov=False, use_cache=False), waivers, progress, {}, limits)
    progress.total()
    return report


def _check_tools(request: CheckRequest, *, app: bool) -> None:
    """The tools' settings from the environment, checked before the first one runs."""
    if request.opa_url:
        from eksiam.gate.opa.transport import OpaEndpoint

        OpaEndpoint.parse(request.opa_url)
    if request.use_checkov:
        from eksiam.gate.checkov import find_checkov

        find_checkov()
    if app:
        from eksiam.gate.terraform import find_provider_mirror

        find_provider_mirror()


def _load_waivers(request: CheckRequest, config: Config) -> tuple[Waiver, ...]:
    from eksiam.gate.check_ids import KnownChecks
    from eksiam.gate.waivers import load_waivers

    if not request.waivers_path:
        return ()
    known = KnownChecks.of_policy(POLICY_DIR)
    return load_waivers(request.waivers_path, known, critical_rules=known.critical, max_waiver_days=config.gate.max_waiver_days)


def _check_app(
    config: Config, request: CheckRequest, waivers: Sequence[Waiver], progress: Progress, limits: Limits
) -> Report:
    """Synthesize the app into this run's own staging directory, plan and check what it wrote.

    The stacks are published into the output directory only once the report is made, so a
    run never reads what another run (or an editor) wrote there.
    """
    from eksiam.gate.cdktf_app import CdktfProject, staged_synth
    from eksiam.gate.terraform import plan_stacks, write_cli_config

    project = CdktfProject.find(Path.cwd(), app=request.app, output=request.out_dir)
    with ExitStack() as cleanup:
        # This run's own plan directories; made first, so an unwritable directory costs no synth.
        cli_config = write_cli_config(_state_dir())
        run_dir = _run_dir(cleanup)
        staged = progress.run(
            f"synth `{project.app}`",
            lambda: cleanup.enter_context(staged_synth(project, stacks=request.stacks, config_path=request.config_path)),
        )
        stack_files = staged.stack_files
        # Every other file Terraform reads in a stack directory is published with it, so judged too.
        other_files = staged.other_terraform_files
        with progress.step(f"terraform init + plan ({len(stack_files)} stacks, local state only)"):
            # checkov imports while terraform plans (most of a run, when it runs), then reads the
            # synthesized stacks and their plans in one run. Not when every plan is cached: its
            # verdicts then likely are too, and a checkov a miss needs starts then.
            planned = plan_stacks(
                stack_files, run_dir / "plan", cli_config, request.cache,
                before_terraform=lambda: _start_checkov_ahead(request, config, limits),
            )
        plan_files = [plan_file for plan_file, _ in planned]
        cached_plans = sum(cached for _, cached in planned)
        if cached_plans:
            print(f"eksiam: {cached_plans} of {len(planned)} plans cached (the same stack, override, CLI config and terraform)", file=progress.stream)
        published = {str(f): display_path(staged.published_path(f)) for f in (*stack_files, *other_files)}
        # A plan's findings are reported against the file a reviewer can open and fix.
        location_of = {**published, **{str(p): published[str(f)] for p, f in zip(plan_files, stack_files)}}
        documents = load_inputs([*map(str, stack_files), *map(str, other_files), *map(str, plan_files)], limits.max_input_bytes)
        report = _evaluate(documents, config, request, waivers, progress, location_of, limits)
        staged.publish()
    return replace(report, inputs=tuple(dict.fromkeys(location_of.get(path, path) for path in report.inputs)))


def _run_dir(cleanup: ExitStack) -> Path:
    """A directory of this run's own under .eksiam/, removed when the run ends."""
    state_dir = _state_dir()
    try:
        return Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="run-", dir=state_dir)))
    except OSError as error:
        raise UsageError(f"cannot write in {state_dir.absolute()}: {error.strerror or error}: run where you may write") from None


def _state_dir() -> Path:
    try:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create {STATE_DIR.absolute()}: {error.strerror}: run where you may write") from None
    if not os.access(STATE_DIR, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {STATE_DIR.absolute()}: run where you may write")
    return STATE_DIR


def _evaluate(
    documents: Sequence[InputDocument],
    config: Config,
    request: CheckRequest,
    waivers: Sequence[Waiver],
    progress: Progress,
    location_of: dict[str, str],
    limits: Limits,
) -> Report:
    from eksiam.gate.app_metadata import apply_suppressions, locate
    from eksiam.gate.flaws import merge_flaws, onto_synth_files
    from eksiam.gate.opa import run_opa
    from eksiam.gate.report import load_rule_metadata

    policy_config = config.to_policy_data()
    opa = progress.run(
        f"opa: {len(documents)} input(s)",
        lambda: run_opa(
            documents, POLICY_DIR, opa_url=request.opa_url, policy_config=policy_config, timeout=limits.opa_timeout,
            cache=request.cache,
        ),
    )
    findings = list(opa.findings)
    summary = {"opa": opa.summary}
    checkov_errors: tuple[tuple[str, str], ...] = ()
    rules = dict(load_rule_metadata(POLICY_DIR))
    terraform_documents = [d for d in documents if d.kind is not InputKind.SNAPSHOT]
    if request.use_checkov and terraform_documents:
        from eksiam.gate.checkov import run_checkov

        checkov = progress.run(
            f"checkov: {len(terraform_documents)} input(s)",
            lambda: run_checkov(
                terraform_documents, POLICY_DIR / "checkov",
                identities=opa.checkov_identities, options=_checkov_options(config, limits),
                cache=request.cache,
            ),
        )
        findings.extend(checkov.findings)
        summary["checkov"] = checkov.summary
        checkov_errors = checkov.errors
        rules.update(checkov.rules)
    # An app's own stacks (not --input files): findings at the user's code, suppressions made there.
    app_stacks = {location_of[d.path]: d.data for d in documents if d.kind is InputKind.SYNTH and d.path in location_of}
    merged = merge_flaws(locate(onto_synth_files(findings, location_of), app_stacks), rules)
    # A plan's roles are the synth file's: each role is listed once, on the file a reviewer opens.
    roles = tuple(dict.fromkeys(replace(r, file=location_of.get(r.file, r.file)) for r in opa.judged_roles))
    errors = tuple(("checkov", location_of.get(file, file), why) for file, why in checkov_errors)
    report = _report(merged, summary, rules, documents, request, waivers)
    if app_stacks and config.gate.in_code_suppressions:
        report = apply_suppressions(report, app_stacks, max_days=config.gate.max_waiver_days)
    return replace(report, roles=roles, tool_errors=errors)



def _report(
    findings: tuple[Finding, ...],
    summary: dict[str, EngineSummary],
    rules: Mapping[str, RuleInfo],
    documents: Sequence[InputDocument],
    request: CheckRequest,
    waivers: Sequence[Waiver],
) -> Report:
    from eksiam.gate.waivers import waive

    report = Report(
        findings=findings,
        summary=summary,
        inputs=tuple(d.path for d in documents),
        fail_on=request.fail_on or Severity.MEDIUM,
        fail_on_unused_waivers=request.fail_on_unused_waivers,
        rules=rules,
    )
    return waive(report, waivers)


def display_path(path: Path) -> str:
    """Relative to the working directory when below it: reports name files as users see them."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
