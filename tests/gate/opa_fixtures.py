"""The OPA tests' small policy set (one rule, EKSIAM-TEST-001: the node role keeps its
configured name) and its two inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "opa"
POLICY = FIXTURES / "policy"
RENAMED = FIXTURES / "inputs" / "renamed-node-role.json"
COMPLIANT = FIXTURES / "inputs" / "compliant-node-role.json"


def policy_copy(tmp_path: Path, files: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> Path:
    """The fixture policy set with some files added, replaced or removed."""
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    for name in remove:
        (target / name).unlink()
    for name, text in (files or {}).items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    return target
