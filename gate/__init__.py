"""eksiam's policy gate: evaluates synthesized, planned or live IAM roles with OPA and checkov."""

from pathlib import Path

# The Rego rules and custom checkov checks ship beside the package (the project is installed
# editable; see pyproject.toml), so every part of the gate finds them here.
POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
