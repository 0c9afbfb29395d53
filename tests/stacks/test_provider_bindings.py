"""`import eksiam` keeps the AWS provider bindings lazy for the whole app: its raw resources
load only the submodules they name, and `package.submodule` still works
(eksiam.provider_bindings). Each case runs in a fresh interpreter, as an app does."""

from __future__ import annotations

import json
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
