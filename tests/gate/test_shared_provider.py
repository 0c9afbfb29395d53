"""One AWS provider process for a plan's terraform commands (eksiam.gate.shared_provider): the
plan is the one terraform makes starting its own, and whatever cannot share one plans as usual."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import stat
from pathlib import Path

import pytest

from eksiam.gate import shared_provider
from eksiam.gate.terraform import Terraform, plan_stacks
from tests.conftest import comparable_plan, planned_together, write_stacks

REATTACH = {shared_provider.PROVIDER: {"Protocol": "grpc", "ProtocolVersion": 5, "Pid": 1, "Test": True,
                                       "Addr": {"Network": "unix", "String": "/nonexistent/plugin"}}}


@pytest.fixture
def served(monkeypatch) -> list[str | None]:
    """What each plan's provider_serving gave terraform to attach to (None: nothing)."""
    given: list[str | None] = []
    serving = shared_provider.provider_serving

    @contextlib.contextmanager
    def recording(terraform):
        with serving(terraform) as reattach:
            given.append(reattach)
            yield reattach

    monkeypatch.setattr(shared_provider, "provider_serving", recording)
    return given


def plans(files: list[Path], scratch: Path, cli_config: Path) -> list[dict]:
    return [comparable_plan(json.loads(plan.read_text())) for plan, _ in plan_stacks(files, scratch, cli_config)]


@pytest.mark.integration
def test_a_plan_made_with_one_shared_provider_is_the_plan_terraform_makes_on_its_own(
    synthesized, terraform_cli_config, tmp_path, served, monkeypatch
):
    # (A plan together is the plans alone: tests/gate/test_plan_together.py.)
    from stacks import CONNECTOR_STACK

    files = write_stacks(tmp_path / "out", {CONNECTOR_STACK: synthesized[CONNECTOR_STACK]})
    shared = plans(files, tmp_path / "shared", terraform_cli_config)
    (reattach,) = served
    assert json.loads(reattach or "{}").keys() == {shared_provider.PROVIDER}

    @contextlib.contextmanager
    def unreachable(terraform):
        yield json.dumps(REATTACH)  # terraform cannot attach to it: it plans again as usual

    monkeypatch.setattr(shared_provider, "provider_serving", unreachable)
    assert plans(files, tmp_path / "usual", terraform_cli_config) == shared


@pytest.mark.integration
def test_two_aws_provider_configurations_plan_as_usual(synthesized, terraform_cli_config, tmp_path, served):
    from stacks import NODE_STACK

    stack = copy.deepcopy(synthesized[NODE_STACK])
    stack["provider"]["aws"].append({"alias": "west", "region": "us-west-2"})
    (plan,) = plans(write_stacks(tmp_path / "out", {NODE_STACK: stack}), tmp_path / "plan", terraform_cli_config)
    assert served == []  # not even tried: one provider process serves one configuration
    assert {c["address"] for c in plan["resource_changes"]} >= {"aws_iam_role.node_role"}


def fake_provider(workdir: Path, script: str) -> Path:
    binary = workdir / ".terraform" / "providers" / shared_provider.PROVIDER / "9.9.9" / "linux_amd64" / "terraform-provider-aws_v9.9.9"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n" + script)
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_provider_serving_for_the_block_is_gone_after_it(tmp_path):
    (tmp_path / "announcement").write_text(f"Provider started.\n\n\tTF_REATTACH_PROVIDERS='{json.dumps(REATTACH)}'\n")
    fake_provider(tmp_path, 'echo $$ > pid\necho "$TMPDIR" > tmpdir\ncat announcement\nexec sleep 300\n')
    with shared_provider.provider_serving(Terraform(tmp_path, tmp_path / "terraform.rc")) as reattach:
        pid = int((tmp_path / "pid").read_text())
        assert json.loads(reattach or "") == REATTACH and alive(pid)
    assert not alive(pid)
    assert not Path((tmp_path / "tmpdir").read_text().strip()).exists()  # nor its socket's directory


def test_a_working_directory_named_relative_to_the_current_one_is_served(tmp_path, monkeypatch):
    # As the CLI names its scratch directories (.eksiam/run-*/plan): the provider starts there.
    (tmp_path / "plan" / "announcement").parent.mkdir()
    (tmp_path / "plan" / "announcement").write_text(f"TF_REATTACH_PROVIDERS='{json.dumps(REATTACH)}'\n")
    fake_provider(tmp_path / "plan", "cat announcement\nexec sleep 300\n")
    monkeypatch.chdir(tmp_path)
    with shared_provider.provider_serving(Terraform(Path("plan"), Path("terraform.rc"))) as reattach:
        assert json.loads(reattach or "null") == REATTACH


@pytest.mark.parametrize("script", ["exit 1\n", "echo \"TF_REATTACH_PROVIDERS='not json'\"\nsleep 300\n",
                                    "echo \"TF_REATTACH_PROVIDERS='{\\\"registry.terraform.io/hashicorp/random\\\": {}}'\"\nsleep 300\n"],
                         ids=["exits", "not-json", "another-provider"])
def test_a_provider_that_does_not_serve_the_aws_provider_gives_nothing_to_attach_to(tmp_path, script):
    fake_provider(tmp_path, script)
    with shared_provider.provider_serving(Terraform(tmp_path, tmp_path / "terraform.rc")) as reattach:
        assert reattach is None


def test_without_an_installed_provider_or_while_debugging_nothing_starts(tmp_path, monkeypatch):
    with shared_provider.provider_serving(Terraform(tmp_path, tmp_path / "terraform.rc")) as reattach:
        assert reattach is None  # no .terraform: init has not run
    fake_provider(tmp_path, "touch started\nsleep 300\n")
    for name in ("TF_LOG", "TF_LOG_PROVIDER", "TF_REATTACH_PROVIDERS"):
        with monkeypatch.context() as env:
            env.setenv(name, json.dumps(REATTACH) if name == "TF_REATTACH_PROVIDERS" else "trace")
            with shared_provider.provider_serving(Terraform(tmp_path, tmp_path / "terraform.rc")) as reattach:
                assert reattach is None
    assert not (tmp_path / "started").exists()
    assert "TF_LOG" not in os.environ and "TF_LOG_PROVIDER" not in os.environ
