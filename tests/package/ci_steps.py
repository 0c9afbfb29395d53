"""Runs the steps of this repository's CI files (action.yml, the GitLab template) with bash, as
a runner would: every ``run:``/``script:`` line as written, in order; a step that ``uses:``
another action is stubbed (recorded, nothing downloaded)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionRun:
    """What a composite action's run left: each step's exit code (None: skipped, "uses": stubbed)."""

    steps: list[tuple[str, Any]] = field(default_factory=list)
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""

    @property
    def failed(self) -> bool:
        return any(isinstance(code, int) and code != 0 for _, code in self.steps)


def _lookup(name: str, inputs: Mapping[str, str], outputs: Mapping[str, Mapping[str, str]], runner_temp: Path) -> str:
    if name.startswith("inputs."):
        return inputs[name.removeprefix("inputs.")]
    match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", name)
    if match:
        return outputs.get(match[1], {}).get(match[2], "")
    if name == "runner.temp":
        return str(runner_temp)
    raise AssertionError(f"the test harness does not know the expression {name!r}")


def _substitute(text: str, *args: Any) -> str:
    return _EXPRESSION.sub(lambda m: _lookup(m[1], *args), text)


def _condition(expression: str, failed: bool, *args: Any) -> bool:
    """GitHub's ``if:``: the functions, ``&&``, ``||``, ``==``/``!=`` on strings and names."""
    expression = _EXPRESSION.sub(lambda m: m[1], expression)
    python = re.sub(r"(?<![\w'.-])((?:inputs|steps)\.[\w.-]+)", lambda m: repr(_lookup(m[1], *args)), expression)
    python = python.replace("&&", " and ").replace("||", " or ").replace("!", " not ").replace(" not =", "!=")
    python = python.replace("always()", "True").replace("success()", repr(not failed)).replace("failure()", repr(failed))
    return bool(eval(python, {"__builtins__": {}}))  # noqa: S307 - the expression is this repository's action.yml


def _outputs(file: Path) -> dict[str, str]:
    values = {}
    for line in file.read_text().splitlines() if file.exists() else ():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def run_action(action: Mapping[str, Any], inputs: Mapping[str, str], workspace: Path, env: Mapping[str, str], runner_temp: Path) -> ActionRun:
    """Run a composite action's steps in ``workspace``; ``inputs`` over the action's defaults."""
    given = {name: str(spec.get("default", "")) for name, spec in action.get("inputs", {}).items()}
    given.update(inputs)
    result = ActionRun()
    runner_temp.mkdir(parents=True, exist_ok=True)
    summary = runner_temp / "step_summary.md"
    path = env["PATH"]
    for number, step in enumerate(action["runs"]["steps"]):
        name = step.get("name") or step.get("uses") or f"step {number}"
        args = (given, result.outputs, runner_temp)
        if "if" in step and not _condition(str(step["if"]), result.failed, *args):
            result.steps.append((name, None))
            continue
        if result.failed and "if" not in step:
            result.steps.append((name, None))
            continue
        if "uses" in step:
            result.uses.append((step["uses"], {k: _substitute(str(v), *args) for k, v in step.get("with", {}).items()}))
            result.steps.append((name, "uses"))
            continue
        output_file, path_file = runner_temp / f"output-{number}", runner_temp / f"path-{number}"
        step_env = {
            **env, "PATH": path, "RUNNER_TEMP": str(runner_temp), "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output_file), "GITHUB_PATH": str(path_file), "GITHUB_STEP_SUMMARY": str(summary),
            **{k: _substitute(str(v), *args) for k, v in step.get("env", {}).items()},
        }
        cwd = workspace / _substitute(str(step.get("working-directory", ".")), *args)
        assert step.get("shell") == "bash", f"{name}: a composite action's run step names its shell"
        script = runner_temp / f"step-{number}.sh"
        script.write_text(_substitute(step["run"], *args))
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=step_env,
                              capture_output=True, text=True, timeout=900)
        result.steps.append((name, done.returncode))
        if "id" in step:
            result.outputs[step["id"]] = _outputs(output_file)
        if path_file.exists():  # GITHUB_PATH: prepended for the steps after this one
            path = os.pathsep.join([*reversed(path_file.read_text().split()), path])
        if done.returncode != 0:
            result.steps[-1] = (name, done.returncode)
            (runner_temp / f"step-{number}.log").write_text(done.stdout + done.stderr)
    result.summary = summary.read_text() if summary.exists() else ""
    return result


def run_gitlab_job(job: Mapping[str, Any], variables: Mapping[str, str], project_dir: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """A GitLab job's before_script and script in one bash session, as the runner runs them
    (a failing line ends the job)."""
    lines = [*job.get("before_script", []), *job["script"]]
    job_env = {**env, **variables, "CI_PROJECT_DIR": str(project_dir)}
    script = project_dir / ".gitlab-job.sh"
    script.write_text("\n".join(lines) + "\n")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=project_dir, env=job_env,
                          capture_output=True, text=True, timeout=900)
