"""eksiam's policy gate: evaluates synthesized, planned or live IAM roles with OPA and checkov.

The policies ship inside the package as ``eksiam.policy``: the repository's ``policy/``,
mapped to that name by the build (pyproject.toml), so the wheel carries exactly those files
and finds them with importlib.resources. A source checkout (this package beside ``policy/``)
reads its own ``policy/`` directly, whichever checkout an editable install points at.
"""

from eksiam.facts import policy_dir

POLICY_DIR = policy_dir()
