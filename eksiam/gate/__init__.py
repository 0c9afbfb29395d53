"""eksiam's policy gate: evaluates synthesized, planned or live IAM roles with OPA and checkov.

The policies ship inside the package as ``eksiam.policy``: the repository's ``policy/``,
mapped to that name by the build (pyproject.toml), so the wheel carries exactly those files
and finds them with importlib.resources. A source checkout (this package beside ``policy/``)
reads its own ``policy/`` directly, whichever checkout an editable install points at.
"""

from importlib.resources import files
from pathlib import Path

_CHECKOUT_POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


def _policy_dir() -> Path:
    if (_CHECKOUT_POLICY_DIR / "main.rego").is_file() and (_CHECKOUT_POLICY_DIR.parent / "pyproject.toml").is_file():
        return _CHECKOUT_POLICY_DIR
    return Path(str(files("eksiam.policy")))


POLICY_DIR = _policy_dir()
