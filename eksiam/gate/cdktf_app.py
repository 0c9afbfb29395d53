"""Synthesizing the cdktf app a working directory holds, as ``cdktf synth`` does.

The app is whatever ``cdktf.json`` names (its ``app`` command and ``output`` directory), or
``--app CMD``: eksiam's own repository is one such app, a user's project another. The app
runs with ``CDKTF_OUTDIR`` pointing at a staging directory of this run's own, beside the
output directory (same depth, so relative paths in the output come out the same); the
stacks are read from there, and only the stack directories the app wrote (and its
``manifest.json``) then replace their earlier versions in the output directory. Nothing else
under the output directory is touched, and a failed run leaves it as it was.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eksiam.config import CONFIG_FILE_ENV
from eksiam.errors import UsageError
from eksiam.gate import limits, processes
from eksiam.gate.jsonfile import read_json
from eksiam.jsii_node import select_node

CDKTF_JSON = "cdktf.json"
DEFAULT_OUTPUT = "cdktf.out"
APP_TIMEOUT = 900


@dataclass(frozen=True)
class CdktfProject:
    """The app command and output directory of one cdktf project."""

    directory: Path
    app: str
    output: Path
    context: Mapping[str, object]

    @classmethod
    def find(cls, directory: Path, *, app: str | None = None, output: str | None = None) -> "CdktfProject":
        """Read ``cdktf.json`` in ``directory``; ``app`` / ``output`` override what it says."""
        settings: dict[str, object] = {}
        path = directory / CDKTF_JSON
        if path.is_file():
            settings = read_json(path, what="project file", fix="fix the file", max_bytes=limits.max_input_bytes())
            if not isinstance(settings, dict):
                raise UsageError(f"{path} is not a JSON object: fix the file")
        elif app is None:
            raise UsageError(
                f"no {CDKTF_JSON} in {directory}: run this in a cdktf project, name the app with --app CMD, "
                "or check files with --input FILE"
            )
        command = app or settings.get("app")
        if not isinstance(command, str) or not command.strip():
            raise UsageError(f"{path} names no app command (\"app\"): add one, or pass --app CMD")
        out = output or settings.get("output") or DEFAULT_OUTPUT
        if not isinstance(out, str):
            raise UsageError(f"{path}: \"output\" must be a directory name")
        context = settings.get("context") if isinstance(settings.get("context"), dict) else {}
        return cls(directory=directory, app=command, output=directory / out, context=context)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    stack_files: tuple[Path, ...]


@dataclass(frozen=True)
class StagedSynth:
    """One run's synthesized stacks, in its own staging directory until :meth:`publish`."""

    project: CdktfProject
    staging: Path
    stack_dirs: tuple[Path, ...]

    @property
    def stack_files(self) -> tuple[Path, ...]:
        return tuple(d / "cdk.tf.json" for d in self.stack_dirs)

    @property
    def other_terraform_files(self) -> tuple[Path, ...]:
        """The other files Terraform reads in the stack directories (``*.tf.json``, overrides
        included), each judged as its own Terraform JSON input, since it is published too.
        An HCL ``*.tf`` file, which the gate cannot read, is refused rather than published."""
        files = []
        for stack_dir in self.stack_dirs:
            for path in sorted(stack_dir.iterdir()):
                if path.name == "cdk.tf.json" or not path.is_file():
                    continue
                if path.name.endswith(".tf"):
                    raise UsageError(
                        f"the app wrote {path.name} into stack {stack_dir.name}: an HCL file Terraform would read with the stack "
                        "but the gate cannot judge; write Terraform JSON (*.tf.json) or remove it"
                    )
                if path.name.endswith(".tf.json"):
                    files.append(path)
        return tuple(files)

    def published_path(self, stack_file: Path) -> Path:
        """Where ``stack_file`` of the staging directory goes in the output directory."""
        return self.project.output.absolute() / "stacks" / stack_file.parent.name / stack_file.name

    def publish(self) -> SynthResult:
        """Swap each written stack directory (and the manifest) into the output, nothing else.

        Runs that share an output directory publish one at a time (a lock on the directory
        itself), so each swap is whole; the last run to finish leaves its stacks there.
        """
        out_dir = self.project.output.absolute()
        try:
            (out_dir / "stacks").mkdir(parents=True, exist_ok=True)
            with _locked(out_dir), processes.signals_deferred():
                for stack_dir in self.stack_dirs:
                    target = out_dir / "stacks" / stack_dir.name
                    previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
                    try:
                        if target.exists():
                            target.rename(previous / target.name)
                        stack_dir.rename(target)
                    finally:
                        shutil.rmtree(previous, ignore_errors=True)
                if (self.staging / "manifest.json").is_file():
                    os.replace(self.staging / "manifest.json", out_dir / "manifest.json")
        except OSError as error:
            where = error.filename or out_dir
            raise UsageError(
                f"cannot write {where}: {error.strerror or error}: run where you may write, or pass --out DIR"
            ) from None
        return SynthResult(out_dir=out_dir, stack_files=tuple(self.published_path(f) for f in self.stack_files))


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` (flock on the directory itself: no lock file left over)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def staged_synth(project: CdktfProject, *, stacks: Sequence[str] = (), config_path: str | None = None) -> Iterator[StagedSynth]:
    """Run the app into a staging directory of this run's own; removed when the block ends.

    ``stacks`` restricts the result to those stack names.
    """
    out_dir = project.output.absolute()
    # The stacks are swapped in at the end: an output the run could not write fails now, not then.
    for directory in (out_dir / "stacks", out_dir):
        if directory.is_dir() and not os.access(directory, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write in {directory}: make it writable, or pass --out DIR")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as error:
        raise UsageError(
            f"cannot write in {out_dir.parent}, where {out_dir.name} is staged ({error.strerror or error}): "
            "run where you may write, or pass --out DIR"
        ) from None
    try:
        _run_app(project, staging, config_path)
        yield StagedSynth(project, staging, tuple(_stack_dirs(staging, stacks)))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def synthesize(project: CdktfProject, *, stacks: Sequence[str] = (), config_path: str | None = None) -> SynthResult:
    """``cdktf synth``: run the app and publish its stacks into the output directory."""
    with staged_synth(project, stacks=stacks, config_path=config_path) as staged:
        return staged.publish()


def _run_app(project: CdktfProject, staging: Path, config_path: str | None) -> None:
    env = dict(os.environ)
    select_node(env)
    env.update(CDKTF_OUTDIR=str(staging), CDKTF_CONTEXT_JSON=json.dumps(project.context))
    if config_path:
        env[CONFIG_FILE_ENV] = str(Path(config_path).absolute())
    # jsii unpacks its runtime and every assembly into temporary directories that it removes
    # only on a clean exit: the app gets a temporary directory of this run's, removed with it.
    with tempfile.TemporaryDirectory(prefix="eksiam-app-") as app_tmp:
        env.update(TMPDIR=app_tmp, TEMP=app_tmp, TMP=app_tmp)
        done = processes.run_tool(
            project.app, shell=True, cwd=project.directory, env=env, timeout=APP_TIMEOUT, failure=UsageError,
            timed_out=f"the cdktf app `{project.app}` did not finish within {APP_TIMEOUT} s: fix the app",
            cannot_start=f"cannot run the cdktf app `{project.app}` in {project.directory}: {{reason}}",
        )
    if done.returncode != 0:
        output = done.stderr or done.stdout
        raise UsageError(f"the cdktf app `{project.app}` failed: {app_failure(output, project.directory)}", detail=output)


def app_failure(text: str, project: Path) -> str:
    """The cause of an app's failure, from its output: its own one-line eksiam error, else the
    exception of its last traceback at the app's line that raised it; else its last line.

    cdktf hides one cause behind advice of its own: a validation that runs ``terraform version``
    (import blocks, cloud backends) fails with "pass skipValidation" when terraform is missing.
    """
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    # The app's own one-line error (``eksiam: error: …``) is the line that names the fix.
    for line in reversed(lines):
        if line.startswith("eksiam: error: "):
            return line.removeprefix("eksiam: error: ")
    cause = _exception(lines, project) or (lines[-1].strip() if lines else "it printed nothing (exit status not 0)")
    if shutil.which("terraform") is None and "terraform" in text:
        return f"terraform is not on PATH, and the app's cdktf validations run `terraform version`: install Terraform 1.5 or later, or put it on PATH ({cause})"
    return cause


_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)')


def _exception(lines: list[str], project: Path) -> str:
    """``Error: message (stacks/iam.py:12)`` from the last Python traceback in ``lines``."""
    starts = [n for n, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if not starts:
        return ""
    where = ""
    message = ""
    for line in lines[starts[-1] + 1:]:
        frame = _FRAME.match(line)
        if frame:
            where = _app_line(frame["file"], frame["line"], project) or where
            message = ""
        elif not line.startswith(" ") and not message:
            message = line.strip()
    if not message:
        return ""
    return f"{message} ({where})" if where else message


def _app_line(file: str, line: str, project: Path) -> str:
    """``stacks/iam.py:12`` for a frame of the app's own code; "" for a library's."""
    path = Path(file)
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return ""
    try:
        return f"{path.resolve().relative_to(project.resolve()).as_posix()}:{line}"
    except (ValueError, OSError):
        return ""


def _stack_dirs(staging: Path, wanted: Sequence[str]) -> list[Path]:
    found = {d.name: d for d in sorted((staging / "stacks").glob("*")) if (d / "cdk.tf.json").is_file()}
    if not found:
        raise UsageError("the cdktf app synthesized no stack: add a TerraformStack to it")
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise UsageError(f"no stack named {', '.join(unknown)}: the app has {', '.join(found)}")
    return [found[name] for name in (wanted or found)]
