"""The README's "Using the constructs in your own cdktf app" example runs as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import JSII_PACKAGE_CACHE, PROJECT_ROOT

pytestmark = pytest.mark.integration


def readme_example() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Using the constructs in your own cdktf app", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_example_synthesizes(tmp_path):
    (tmp_path / "app.py").write_text(readme_example())
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "HOME": str(tmp_path), **JSII_PACKAGE_CACHE},
    )
    assert done.returncode == 0, done.stderr
    stack = json.loads((tmp_path / "cdktf.out" / "stacks" / "eks-iam" / "cdk.tf.json").read_text())
    roles = stack["resource"]["aws_iam_role"]
    assert roles["node_role"]["name"] == "platform-nodes" and roles["node_role"]["path"] == "/eks/"
    assert "connector_agent_role" in roles
    attachments = stack["resource"]["aws_iam_role_policy_attachment"]
    assert attachments["node_additional_logs"]["policy_arn"] == "arn:aws:iam::123456789012:policy/NodeLogs"
    assert "node_role_arn" in stack["output"]
