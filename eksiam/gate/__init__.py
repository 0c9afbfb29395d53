"""eksiam's policy gate: evaluates synthesized, planned or live IAM roles with OPA and checkov.

The policies ship inside the package as ``eksiam.policy``: the repository's ``policy/``,
mapped to that name by the build (pyproject.toml), so the wheel and an editable install
both read exactly those files, found with importlib.resources.
"""

from importlib.resources import files
from pathlib import Path


def _policy_dir() -> Path:
    try:
        return Path(str(files("eksiam.policy")))
    except ModuleNotFoundError:  # a source checkout on PYTHONPATH, not installed
        return Path(__file__).resolve().parents[2] / "policy"


POLICY_DIR = _policy_dir()
