"""``make test-compat``: the wheel at both ends of each dependency range pyproject.toml declares.

For each end, a venv of its own under .eksiam/compat/ (kept while its requirements are the
same, so a second run installs nothing) gets the wheel of this checkout and the end's versions;
then the two-stack user app (tests/package/userapp.py) is synthesized with plain ``cdktf``-less
``python main.py`` and judged with ``eksiam check --input``: the provider bindings of either end
target hashicorp/aws versions this machine does not mirror, so they are not planned (the pinned
middle is, by the package tests). Each end must find the prod stack's AdministratorAccess at the
user's line and nothing in dev. Prints one line per end; exit 1 if any end fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from tests.conftest import JSII_PACKAGE_CACHE, PROJECT_ROOT
from tests.package.userapp import build_wheel, make_two_stack_app, run, tool_path

OPA_BINDINGS = "opa-golib-python-bindings==0.4.4"
ENDS = {
    "lowest": ["cdktf==0.20.0", "cdktf-cdktf-provider-aws==19.0.0", "constructs==10.3.0", "jsii==1.94.0",
               "checkov==3.2.0", "opa-python-client==3.0.0", "boto3==1.35.0", "PyYAML==6.0.1"],
    "highest": ["cdktf==0.21.0", "cdktf-cdktf-provider-aws==21.22.1", "checkov<4", "opa-python-client<4", "jsii<2",
                "constructs<11", "boto3<2", "PyYAML<7"],
}


def environment(name: str, requirements: list[str], root: Path) -> Path:
    key = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:12]
    directory = root / f"{name}-{key}"
    if not (directory / ".installed").is_file():
        venv.create(directory, with_pip=True, clear=True)
        pip = [str(directory / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        for command in ([*pip, *requirements], [*pip, "--no-deps", "--ignore-requires-python", OPA_BINDINGS]):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{name}: pip failed: {done.stderr.strip().splitlines()[-1:]}")
        (directory / ".installed").write_text(key)
    return directory


def check_end(name: str, requirements: list[str], wheel: Path, root: Path) -> str:
    env_dir = environment(name, requirements, root)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--force-reinstall", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    versions = run([str(python), "-c", "import importlib.metadata as m; print(*(m.version(p) for p in "
                    "('cdktf', 'cdktf-cdktf-provider-aws', 'checkov', 'jsii')))"], root, os.environ).stdout.split()
    env = {"PATH": os.pathsep.join(map(str, [env_dir / "bin", *tool_path()])), "HOME": str(root), **JSII_PACKAGE_CACHE,
           "CHECKPOINT_DISABLE": "1", "CDKTF_DISABLE_TELEMETRY": "true"}
    with tempfile.TemporaryDirectory() as scratch:
        app = make_two_stack_app(Path(scratch) / "app", str(python))
        synth = run([str(env_dir / "bin" / "eksiam"), "synth"], app, env)
        if synth.returncode != 0:
            return f"FAIL {name} {versions}: synth exit {synth.returncode}: {synth.stderr.strip()[-400:]}"
        stacks = sorted(str(p) for p in (app / "cdktf.out" / "stacks").glob("*/cdk.tf.json"))
        done = run([str(env_dir / "bin" / "eksiam"), "check", "--format", "json", "--input", *stacks], app, env)
        report = json.loads(done.stdout) if done.stdout.startswith("{") else {}
        found = {(f["rule"], f["file"].split("/")[-2]) for f in report.get("findings", [])}
        stacks_hit = {stack for _, stack in found}
        synthesized = json.loads((app / "cdktf.out" / "stacks" / "prod" / "cdk.tf.json").read_text())
        source = synthesized["resource"]["aws_iam_role_policy_attachment"]["admin"]["//"].get("eksiam", {}).get("source")
        if done.returncode != 1 or stacks_hit != {"prod"} or not source or source["file"] != "stacks/iam.py":
            return f"FAIL {name} {versions}: exit {done.returncode}, findings in {sorted(stacks_hit)}, source {source}: {done.stderr.strip()[-300:]}"
        return f"ok   {name} {versions}: {len(found)} findings, all in prod; the attachment made at {source['file']}:{source['line']}"


def main() -> int:
    root = PROJECT_ROOT / ".eksiam" / "compat"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as dist:
        wheel = build_wheel(Path(dist))
        lines = [check_end(name, requirements, wheel, root) for name, requirements in ENDS.items()]
    print("\n".join(lines))
    return 1 if any(line.startswith("FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
