"""The files of a policy set: the one walk of ``policy/**/*.rego`` that every reader uses
(the OPA engine's modules, the rules' METADATA, RULES.md and the HCP policy sets, the tests)."""

from __future__ import annotations

from pathlib import Path

from eksiam.errors import ToolError

TEST_SUFFIX = "_test.rego"


def policy_files(policy_dir: str | Path, *, tests: bool = False) -> list[Path]:
    """Every Rego file under ``policy_dir``, sorted; ``*_test.rego`` only with ``tests``.

    A missing directory is a broken installation or the wrong working directory: the gate
    cannot evaluate anything, so it fails closed (exit 3).
    """
    root = Path(policy_dir)
    if not root.is_dir():
        raise ToolError(f"policy directory {root} does not exist: reinstall eksiam or run from the project root")
    return [
        path for path in sorted(root.rglob("*.rego"))
        if path.is_file() and (tests or not path.name.endswith(TEST_SUFFIX))
    ]
