"""`eksiam synth` as users run it: deterministic, portable output that Terraform accepts offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksiam.cli import main
from stacks import CONNECTOR_STACK, NODE_STACK
from tests.conftest import PROJECT_ROOT, assert_validates_offline


def tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_synth_is_byte_identical_and_portable(project, capsys):
    tmp_path = project
    assert main(["synth", "--out", "first"]) == 0
    assert main(["synth", "--out", "second"]) == 0
    first, second = tree(tmp_path / "first"), tree(tmp_path / "second")
    assert first == second
    assert {f"stacks/{CONNECTOR_STACK}/cdk.tf.json", f"stacks/{NODE_STACK}/cdk.tf.json"} <= set(first)
    for content in first.values():
        assert str(tmp_path).encode() not in content
        assert str(PROJECT_ROOT).encode() not in content
    assert "synthesized first/stacks/eksiam-node/cdk.tf.json" in capsys.readouterr().out


def test_bad_config_exits_2_and_keeps_earlier_output(project, capsys):
    tmp_path = project
    assert main(["synth"]) == 0
    before = tree(tmp_path / "cdktf.out")
    (tmp_path / "eksiam.toml").write_text('[node]\nrole_name = "not valid!"\n')
    assert main(["synth"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[node] role_name" in err and "Traceback" not in err
    assert tree(tmp_path / "cdktf.out") == before


def test_disabled_role_is_not_synthesized(project, monkeypatch):
    tmp_path = project
    monkeypatch.setenv("EKSIAM_CONNECTOR_ENABLED", "false")
    assert main(["synth"]) == 0
    assert [p.name for p in (tmp_path / "cdktf.out" / "stacks").iterdir()] == [NODE_STACK]


def test_unknown_flag_is_usage_error(capsys):
    assert main(["synth", "--nope"]) == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.parametrize("stack", [CONNECTOR_STACK, NODE_STACK])
def test_terraform_init_and_validate_offline(synth_dir, terraform_cli_config, tmp_path, stack):
    assert_validates_offline(synth_dir / "stacks" / stack, tmp_path / stack, terraform_cli_config)
