"""Loads policy/ into the embedded OPA engine; shared by the policy tests."""

from __future__ import annotations

from pathlib import Path

from opa_bindings import OpaEngine

from eksiam.gate.policy_set import policy_files

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


def load_engine(policy_dir: Path = POLICY_DIR, extra: dict[str, str] | None = None) -> OpaEngine:
    """An engine with every .rego module under ``policy_dir`` (and ``extra`` path -> source)."""
    engine = OpaEngine()
    for path in policy_files(policy_dir, tests=True):
        engine.add_policy(str(path.relative_to(policy_dir.parent)), path.read_text(encoding="utf-8"))
    for name, source in (extra or {}).items():
        engine.add_policy(name, source)
    return engine
