"""The real ``terraform`` binary, offline: CLI config, init, validate, and a credential-free plan.

Terraform reads its CLI configuration from ``TF_CLI_CONFIG_FILE``. We generate one inside the
project (``.eksiam/terraform.rc``), never in the user's home: it installs hashicorp providers
from a local filesystem mirror when one exists, and from the registry otherwise.

The gate's plan must not need cloud credentials. Each stack is copied into a scratch
directory with a ``*_override.tf.json`` that gives the AWS provider static dummy keys and skips
every credential, account and region look-up, and a fresh local state, so the plan is the
plan of a first deploy and no API call is made. The synthesized output itself stays pristine.
An app's stacks are planned in one terraform run when a module plans each exactly as a root
would (:mod:`eksiam.gate.plan_together`), else each in its own, side by side.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksiam.errors import ToolError, UsageError
from eksiam.gate import processes
from eksiam.gate.cache import Cache, cache_key, canonical

MIRROR_ENV = "EKSIAM_PROVIDER_MIRROR"
# Where a machine image or an administrator usually puts an unpacked provider mirror.
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
DEFAULT_TIMEOUT = 600
# Merged over a stack by Terraform (an ``*_override.tf.json`` file) for the gate's plan only.
PLAN_OVERRIDE = {
    "terraform": {"backend": {"local": {"path": "plan.tfstate"}}},
    "provider": {
        "aws": [
            {
                "region": "us-east-1",
                "access_key": "eksiam-plan-only",
                "secret_key": "eksiam-plan-only",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
            }
        ]
    },
}


def find_provider_mirror(environ: Mapping[str, str] | None = None) -> Path | None:
    """The first directory holding an unpacked ``registry.terraform.io`` provider tree."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(MIRROR_ENV)
    if explicit:
        path = Path(explicit)
        if not (path / "registry.terraform.io").is_dir():
            raise UsageError(f"{MIRROR_ENV}={explicit} holds no registry.terraform.io directory: point it at a provider mirror")
        return path
    for candidate in MIRROR_CANDIDATES:
        if (Path(candidate) / "registry.terraform.io").is_dir():
            return Path(candidate)
    return None


def cli_config_text(mirror: Path | None) -> str:
    if mirror is None:
        return "# No local provider mirror found: providers come from the registry.\n"
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n"
    )


def write_cli_config(state_dir: str | Path = ".eksiam") -> Path:
    """Write (only when changed) the project's Terraform CLI config and return its path.

    Written whole or not at all (a temporary file renamed over it): a run starting beside
    another never reads a half-written config.
    """
    path = Path(state_dir) / "terraform.rc"
    text = cli_config_text(find_provider_mirror())
    try:
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, partial = tempfile.mkstemp(prefix=".terraform.rc.", dir=path.parent)
            try:
                with os.fdopen(fd, "w") as stream:
                    stream.write(text)
                os.chmod(partial, 0o644)  # mkstemp's 0600 would hide it from other tools' users
                os.replace(partial, path)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
    except OSError as error:
        raise UsageError(
            f"cannot write {error.filename or path}: {error.strerror or error}: run where you may write"
        ) from None
    return path.resolve()


@dataclass(frozen=True)
class Terraform:
    """One working directory driven by the terraform binary with the project's CLI config."""

    workdir: Path
    cli_config: Path
    timeout: int = DEFAULT_TIMEOUT
    # A provider process to use instead of starting one (eksiam.gate.shared_provider).
    attach_to: str | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        # terraform and its provider (which inherits this) are short-lived, and what loading the
        # AWS provider's schema allocates is mostly garbage: letting the heap grow 400% over its
        # live part between collections (Go's default: 100%) costs ~10% more memory and saves
        # ~15% of their CPU. A user's own GOGC wins.
        env.setdefault("GOGC", "400")
        if self.attach_to is not None:
            env["TF_REATTACH_PROVIDERS"] = self.attach_to
        return env

    def run(self, *args: str) -> str:
        binary = shutil.which("terraform")
        if binary is None:
            raise ToolError("terraform is not on PATH: install Terraform >= 1.6 and retry")
        command = [binary, *args, "-no-color"]
        # Its own process group, ended with the run: provider plugins must not outlive the gate.
        done = processes.run_tool(
            command, cwd=self.workdir, env=self.env(), timeout=self.timeout, failure=ToolError,
            timed_out=f"terraform {args[0]} timed out after {self.timeout} s in {self.workdir}",
            cannot_start=f"cannot start terraform ({binary}): {{reason}}; reinstall Terraform >= 1.6",
        )
        if done.returncode != 0:
            raise ToolError(f"terraform {args[0]} failed in {self.workdir}: {_first_error(done.stderr or done.stdout)}")
        return done.stdout

    def init(self, *, backend: bool = True) -> None:
        self.run("init", "-input=false", f"-backend={str(backend).lower()}")

    def validate(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("validate", "-json"))
        return result

    def plan_json(self) -> dict[str, Any]:
        self.run("plan", "-input=false", "-lock=false", "-refresh=false", "-out=plan.tfplan")
        plan: dict[str, Any] = json.loads(self.run("show", "-json", "plan.tfplan"))
        return plan


def _first_error(output: str) -> str:
    """Terraform's first 'Error:' line and the line after it, without the box drawing."""
    lines = [line.strip(" │╷╵\t") for line in output.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if line.startswith("Error:"):
            return " ".join(lines[index:index + 2])
    return lines[-1] if lines else "no output"


def plan_stack(stack_file: Path, scratch_root: Path, cli_config: Path, cache: Cache | None = None) -> tuple[Path, bool]:
    """``terraform show -json`` of a first deploy of one synthesized stack, written to a file.

    The stack is planned without its ``import`` blocks: the gate judges the configuration a
    deploy converges to, and an import would make terraform read the account. With ``cache``,
    a plan stored under the same stack, override, CLI config, terraform binary and provider
    mirror is used instead of planning again. Returns the plan file and whether it was cached.
    """
    return plan_stacks([stack_file], scratch_root, cli_config, cache)[0]


def plan_stacks(
    stack_files: Sequence[Path],
    scratch_root: Path,
    cli_config: Path,
    cache: Cache | None = None,
    *,
    before_terraform: Callable[[], object] | None = None,
) -> list[tuple[Path, bool]]:
    """:func:`plan_stack` of each stack, in order; the stacks not cached in one terraform run
    when they can be (:mod:`eksiam.gate.plan_together`), else side by side, one run each.
    ``before_terraform`` is called once before terraform starts, and not when every plan is cached."""
    cache = cache or Cache(enabled=False)
    desired = {stack_file: _desired(stack_file) for stack_file in stack_files}
    common = _plan_key_parts(cli_config)
    keys = {f: cache_key(CACHE_KIND, {**common, "stack": hashlib.sha256(canonical(d)).hexdigest()}) for f, d in desired.items()}
    plans: dict[Path, dict[str, Any]] = {}
    for stack_file in stack_files:
        stored = cache.get(CACHE_KIND, keys[stack_file])
        if isinstance(stored, dict) and "format_version" in stored:
            plans[stack_file] = stored
    cached = set(plans)
    missing = [f for f in stack_files if f not in plans]
    if missing:
        if before_terraform is not None:
            before_terraform()
        planned = _plan_together(missing, desired, scratch_root, cli_config) if len(missing) > 1 else None
        if planned is None:
            # The stacks are independent: plan them side by side (terraform is mostly waiting).
            with ThreadPoolExecutor(max_workers=min(len(missing), 4)) as pool:
                planned = dict(zip(missing, pool.map(lambda f: _plan_alone(f, desired[f], scratch_root, cli_config), missing)))
        for stack_file, plan in planned.items():
            cache.put(CACHE_KIND, keys[stack_file], plan)
            plans[stack_file] = plan
    return [(_write_plan(scratch_root / f.parent.name, plans[f]), f in cached) for f in stack_files]


def without_imports(stack: Any) -> Any:
    """A Terraform JSON configuration without its top-level ``import`` blocks: the desired
    configuration the gate judges (an import only adopts an existing resource into it, and
    planning one would make terraform read the account)."""
    return {key: value for key, value in stack.items() if key != "import"} if isinstance(stack, dict) else stack


def _desired(stack_file: Path) -> Any:
    """The stack as the gate plans it: without its import blocks."""
    try:
        stack = json.loads(stack_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"cannot read {stack_file}: {error}: synthesize the stack again") from None
    return without_imports(stack)


def _plan_key_parts(cli_config: Path) -> dict[str, Any]:
    """What a plan depends on besides its stack."""
    return {
        "override": PLAN_OVERRIDE,
        "cli_config": cli_config.read_text(encoding="utf-8") if cli_config.is_file() else "",
        "terraform": _tool_identity(shutil.which("terraform")),
        "mirror": _mirror_identity(find_provider_mirror()),
    }


def _plan_alone(stack_file: Path, desired: Any, scratch_root: Path, cli_config: Path) -> dict[str, Any]:
    from eksiam.gate import shared_provider
    from eksiam.gate.plan_together import refusal

    workdir = scratch_root / stack_file.parent.name
    _write_files(workdir, {"cdk.tf.json": desired, "eksiam_plan_override.tf.json": PLAN_OVERRIDE})
    terraform = Terraform(workdir, cli_config)
    terraform.init()
    # One provider process serves one provider configuration: a stack that could have more plans as usual.
    return shared_provider.plan_json(terraform) if refusal(desired) is None else terraform.plan_json()


def _plan_together(
    stack_files: Sequence[Path], desired: Mapping[Path, Any], scratch_root: Path, cli_config: Path
) -> dict[Path, dict[str, Any]] | None:
    """Each stack's plan out of one terraform run; None when the stacks cannot share one, or it
    fails (each stack is then planned on its own, which names the one terraform rejects)."""
    from eksiam.gate import shared_provider
    from eksiam.gate.plan_together import NotPlannableTogether, stack_plan, write_root

    by_name = {f.parent.name: desired[f] for f in stack_files}
    if len(by_name) != len(stack_files):
        return None
    root = scratch_root / ".together"
    try:
        shutil.rmtree(root, ignore_errors=True)
        modules = write_root(root, by_name, PLAN_OVERRIDE)
    except NotPlannableTogether:
        return None
    except OSError as error:
        raise UsageError(f"cannot write {error.filename or root}: {error.strerror or error}: run where you may write") from None
    terraform = Terraform(root, cli_config)
    try:
        terraform.init()
        # Failing, the stacks are planned one by one (each as usual should its provider fail).
        combined = shared_provider.plan_json(terraform, again_as_usual=False)
    except processes.Stopping:
        raise
    except ToolError:
        return None
    return {f: stack_plan(combined, modules[f.parent.name]) for f in stack_files}


def _write_files(workdir: Path, documents: Mapping[str, Any]) -> None:
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in ("plan.tfstate", "plan.tfplan"):
            (workdir / stale).unlink(missing_ok=True)
        for name, document in documents.items():
            (workdir / name).write_text(json.dumps(document))
    except OSError as error:
        raise UsageError(f"cannot write {error.filename or workdir}: {error.strerror or error}: run where you may write") from None


def _write_plan(workdir: Path, plan: Mapping[str, Any]) -> Path:
    plan_file = workdir / "plan.json"
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        plan_file.write_text(json.dumps(plan, indent=2, sort_keys=True))
    except OSError as error:
        raise UsageError(f"cannot write {plan_file}: {error.strerror or error}: free some space or run where you may write") from None
    return plan_file


CACHE_KIND = "plan"


def _tool_identity(binary: str | None) -> list[Any] | None:
    """Which terraform binary: path, size and modification time (a new install changes them)."""
    if binary is None:
        return None
    info = Path(binary).resolve().stat()
    return [str(Path(binary).resolve()), info.st_size, info.st_mtime_ns]


def _mirror_identity(mirror: Path | None) -> list[Any] | None:
    """The providers a plan can get: every file of the mirror by name, size and time."""
    if mirror is None:
        return None
    return sorted(
        [p.relative_to(mirror).as_posix(), p.stat().st_size, p.stat().st_mtime_ns]
        for p in (mirror / "registry.terraform.io").rglob("*")
        if p.is_file()
    )


if __name__ == "__main__":
    # `python -m eksiam.gate.terraform`: write the project's CLI config and print its path, so that
    # the Makefile (and users) can export TF_CLI_CONFIG_FILE for cdktf-cli and terraform.
    print(write_cli_config())
