"""[backend]: each stack keeps its state in its own local file, HCP Terraform workspace or S3
object; Terraform accepts every form offline; the gate's plan stays local whatever the stacks say."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from eksiam.backend_config import BackendConfig
from eksiam.cdk import App, AwsProvider, CloudBackend, NamedCloudWorkspace, TerraformStack
from eksiam.cli import main
from eksiam.config import Config, load_config
from eksiam.gate.terraform import Terraform, plan_stack
from eksiam import EksConnectorAgentRole, EksNodeRole
from stacks import CONNECTOR_STACK, NODE_STACK, build_app

STACKS = (CONNECTOR_STACK, NODE_STACK)
BACKENDS = {
    "local": BackendConfig(),
    "cloud": BackendConfig(type="cloud", organization="acme", workspace_prefix="eks-iam-", project="platform"),
    "cloud-enterprise": BackendConfig(type="cloud", organization="acme", hostname="tfe.example.com"),
    "s3": BackendConfig(type="s3", bucket="acme-tfstate", key_prefix="eks-iam/", region="eu-west-1"),
    "s3-dynamodb": BackendConfig(type="s3", bucket="acme-tfstate", use_lockfile=False, dynamodb_table="tf-locks"),
}


@pytest.fixture(scope="session")
def backend_synth(tmp_path_factory) -> dict[str, Path]:
    """This repository's app synthesized once per backend form, in the test process."""
    root = tmp_path_factory.mktemp("backends")
    cwd = Path.cwd()
    os.chdir(root)  # the local backend's state path is relative to the working directory
    try:
        out = {}
        for name, backend in BACKENDS.items():
            build_app(dataclasses.replace(Config(), backend=backend), root / name).synth()
            out[name] = root / name
        # One stack keeps its state elsewhere ([stacks.<name>.backend]).
        toml = root / "per-stack.toml"
        toml.write_text(f'[stacks.{NODE_STACK}.backend]\ntype = "s3"\nbucket = "acme-tfstate"\n')
        build_app(load_config(toml, environ={}), root / "per-stack").synth()
        out["per-stack"] = root / "per-stack"
    finally:
        os.chdir(cwd)
    return out


def terraform_block(backend_synth: dict[str, Path], form: str, stack: str) -> dict:
    return json.loads((backend_synth[form] / "stacks" / stack / "cdk.tf.json").read_text())["terraform"]


def test_local_backend_keeps_a_relative_state_file_per_stack(backend_synth):
    paths = {stack: terraform_block(backend_synth, "local", stack)["backend"]["local"]["path"] for stack in STACKS}
    assert paths == {stack: f"../../../terraform.{stack}.tfstate" for stack in STACKS}
    assert "cloud" not in terraform_block(backend_synth, "local", NODE_STACK)


def test_cloud_backend_puts_each_stack_in_its_own_workspace(backend_synth):
    blocks = {stack: terraform_block(backend_synth, "cloud", stack) for stack in STACKS}
    for stack, block in blocks.items():
        assert "backend" not in block  # Terraform refuses a backend beside a cloud block
        assert block["cloud"] == {
            "organization": "acme",
            "workspaces": {"name": f"eks-iam-{stack}", "project": "platform"},
        }
    enterprise = terraform_block(backend_synth, "cloud-enterprise", NODE_STACK)["cloud"]
    assert enterprise == {"hostname": "tfe.example.com", "organization": "acme", "workspaces": {"name": NODE_STACK}}


def test_s3_backend_puts_each_stack_in_its_own_state_object(backend_synth):
    for stack in STACKS:
        s3 = terraform_block(backend_synth, "s3", stack)["backend"]["s3"]
        assert s3 == {"bucket": "acme-tfstate", "key": f"eks-iam/{stack}.tfstate", "region": "eu-west-1",
                      "use_lockfile": True}
    legacy = terraform_block(backend_synth, "s3-dynamodb", NODE_STACK)["backend"]["s3"]
    assert legacy == {"bucket": "acme-tfstate", "key": f"{NODE_STACK}.tfstate", "dynamodb_table": "tf-locks"}


def outside_the_terraform_block(stack_dir: Path) -> dict:
    doc = json.loads((stack_dir / "cdk.tf.json").read_text())
    return {key: value for key, value in doc.items() if key not in {"terraform", "//"}}


def test_backend_changes_nothing_but_the_terraform_block(backend_synth):
    # Resources, provider and outputs are the same wherever the state lives.
    for stack in STACKS:
        forms = [outside_the_terraform_block(backend_synth[form] / "stacks" / stack) for form in BACKENDS]
        assert forms[0]["resource"] and all(form == forms[0] for form in forms), stack


def test_a_users_own_stack_sets_its_own_backend_beside_the_constructs(tmp_path):
    # The constructs add no backend construct, so a user's stack can add any (no "already a
    # Construct with name 'backend'").
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "users-own")
    AwsProvider(stack, "aws")
    EksConnectorAgentRole(stack, "connector_agent")
    EksNodeRole(stack, "node")
    CloudBackend(stack, organization="acme", workspaces=NamedCloudWorkspace("users-own"))
    app.synth()
    block = json.loads((tmp_path / "stacks" / "users-own" / "cdk.tf.json").read_text())["terraform"]
    assert block["cloud"] == {"organization": "acme", "workspaces": {"name": "users-own"}}
    assert "backend" not in block


@pytest.mark.integration
@pytest.mark.parametrize("form", sorted(BACKENDS))
def test_terraform_accepts_every_form_offline(backend_synth, synth_dir, terraform_cli_config, tmp_path, form):
    # What `terraform validate` would say of a form is said by two checks. Terraform reads the
    # terraform block's structure (one backend, not both a backend and a cloud block) as it loads
    # the configuration, which `init -backend=false` does; it reads no attribute of a backend or
    # cloud block offline, validate included. The rest of every form is the default synth's,
    # which test_synth_output validates against the provider's schema.
    for stack in STACKS:
        stack_dir = backend_synth[form] / "stacks" / stack
        assert outside_the_terraform_block(stack_dir) == outside_the_terraform_block(synth_dir / "stacks" / stack)
        shutil.copytree(stack_dir, tmp_path / stack)
        Terraform(tmp_path / stack, terraform_cli_config).init(backend=False)


@pytest.mark.integration
@pytest.mark.parametrize("form", ["cloud", "s3"])
def test_gate_plan_of_a_remote_backend_stays_local(backend_synth, terraform_cli_config, tmp_path, form):
    stack_file = backend_synth[form] / "stacks" / NODE_STACK / "cdk.tf.json"
    before = stack_file.read_bytes()
    plan_file, _ = plan_stack(stack_file, tmp_path, terraform_cli_config)
    plan = json.loads(plan_file.read_text())
    assert "aws_iam_role.node_role" in {change["address"] for change in plan["resource_changes"]}
    # The override file replaced the cloud / s3 block: state went to a local file in the scratch directory.
    initialized = json.loads((plan_file.parent / ".terraform" / "terraform.tfstate").read_text())
    assert initialized["backend"]["type"] == "local"
    assert initialized["backend"]["config"]["path"] == "plan.tfstate"
    assert stack_file.read_bytes() == before


def test_synth_takes_the_backend_from_the_environment(project, monkeypatch):
    monkeypatch.setenv("EKSIAM_BACKEND_TYPE", "cloud")
    monkeypatch.setenv("EKSIAM_BACKEND_ORGANIZATION", "acme")
    monkeypatch.setenv("EKSIAM_BACKEND_WORKSPACE_PREFIX", "prod-")
    assert main(["synth"]) == 0
    for stack in STACKS:
        block = json.loads((project / "cdktf.out" / "stacks" / stack / "cdk.tf.json").read_text())["terraform"]
        assert block["cloud"]["workspaces"] == {"name": f"prod-{stack}"}


@pytest.mark.parametrize("text, named", [
    ('[backend]\ntype = "cloud"\n', "[backend] organization is required"),
    ('[backend]\ntype = "s3"\nbucket = "Not A Bucket"\n', "[backend] bucket"),
    ('[backend]\ntype = "consul"\n', "[backend] type = 'consul'"),
])
def test_bad_backend_exits_2_with_one_line(project, capsys, text, named):
    (project / "eksiam.toml").write_text(text)
    assert main(["synth"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err
    assert not (project / "cdktf.out").exists()


def readme_toml_blocks() -> list[str]:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    sections = [readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
                for title in ("Configuration", "Running in HCP Terraform")]
    return [block for section in sections for block in re.findall(r"```toml\n(.*?)```", section, re.DOTALL)]


def test_readme_configuration_examples_are_valid(tmp_path):
    blocks = [textwrap.dedent(block) for block in readme_toml_blocks()]
    backends = []
    for index, block in enumerate(blocks):
        path = tmp_path / f"example-{index}.toml"
        path.write_text(block)
        backends.append(load_config(path, environ={}).backend.type)
    assert {"local", "cloud", "s3"} <= set(backends), backends


@pytest.mark.integration
def test_gate_checks_stacks_whose_state_is_in_hcp_terraform(project, monkeypatch, capsys):
    # No HCP Terraform token and no AWS credentials: the gate plans each stack locally.
    monkeypatch.setenv("EKSIAM_BACKEND_TYPE", "cloud")
    monkeypatch.setenv("EKSIAM_BACKEND_ORGANIZATION", "acme")
    monkeypatch.delenv("TF_CLOUD_ORGANIZATION", raising=False)
    assert main(["check", "--no-checkov", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and report["findings"] == []
    assert report["summary"]["opa"]["evaluated"] > 0
    synthesized = json.loads((project / "cdktf.out" / "stacks" / NODE_STACK / "cdk.tf.json").read_text())
    assert synthesized["terraform"]["cloud"]["workspaces"] == {"name": NODE_STACK}


def test_a_stack_of_its_own_backend(backend_synth):
    node = terraform_block(backend_synth, "per-stack", NODE_STACK)["backend"]
    connector = terraform_block(backend_synth, "per-stack", CONNECTOR_STACK)["backend"]
    assert node["s3"]["bucket"] == "acme-tfstate" and node["s3"]["key"] == f"{NODE_STACK}.tfstate"
    assert "local" in connector and "s3" not in connector
