"""`import eksiam` keeps the AWS provider bindings lazy for the whole app: its raw resources
load only the submodules they name, and `package.submodule` still works; in jsii's Node
process too, without a byte of the synthesized output changing (eksiam.provider_bindings).
Each case runs in a fresh interpreter, as an app does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{first}
import cdktf_cdktf_provider_aws as aws
from cdktf_cdktf_provider_aws.iam_role import IamRole
policy = aws.iam_policy.IamPolicy
try:
    aws.no_such_submodule
    missing = None
except AttributeError as error:
    missing = str(error)
loaded = [m for m in sys.modules if m.startswith("cdktf_cdktf_provider_aws.")]
print(json.dumps({{"classes": [IamRole.__name__, policy.__name__], "loaded": len(loaded), "missing": missing}}))
"""


def probe(first: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE.format(first=first)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_importing_eksiam_starts_no_cdktf():
    done = subprocess.run([sys.executable, "-c", "import sys, eksiam; print(sorted(m for m in ('cdktf', 'jsii') if m in sys.modules))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


@pytest.mark.integration  # jsii
def test_after_eksiam_an_apps_raw_resources_load_only_their_submodules():
    lazy = probe("import eksiam")
    assert lazy["classes"] == ["IamRole", "IamPolicy"]
    assert lazy["loaded"] < 20, lazy  # of some 2,200
    assert "no_such_submodule" in lazy["missing"]


SYNTH = """
{first}
from stacks import build_app
from eksiam.config import load_config
build_app(load_config(environ={{}}), {out!r}).synth()
"""


@pytest.mark.integration  # jsii
def test_the_app_synthesizes_the_same_whether_node_loads_the_bindings_lazily_or_not(tmp_path):
    """cdktf imported first starts jsii's Node before eksiam can ask for the lazy load."""
    outputs = {}
    for mode, first in (("as-written", "import cdktf"), ("lazy", "import eksiam")):
        env = {key: value for key, value in os.environ.items() if key != "NODE_OPTIONS"}
        code = SYNTH.format(first=first, out=str(tmp_path / mode))
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs[mode] = {p.relative_to(tmp_path / mode): p.read_bytes() for p in (tmp_path / mode).rglob("*") if p.is_file()}
    assert outputs["lazy"] == outputs["as-written"] and len(outputs["lazy"]) >= 3
