"""Which rule and check ids exist: what a waiver may name.

An id is known when it is an OPA rule's (``custom.id`` of the policies' METADATA), a mirror
a rule names (``custom.aliases``), one of the custom checkov checks (``policy/checkov``,
``CKV_EKSIAM_*``), or a check that the installed checkov ships. checkov's own ids are read from
its package files on demand, without importing it (seconds), and only for an id not known
otherwise: most waivers name eksiam's rules.
"""

from __future__ import annotations

import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path

from eksiam.gate.findings import RuleInfo, Severity

# `id = "CKV_AWS_274"` (Python checks), `id: CKV2_AWS_1` (YAML), `"id": "CKV2_AWS_56"` (JSON).
_CHECK_ID = re.compile(r"""\bid["']?\s*[=:]\s*["']?(CKV\d*_[A-Z0-9]+_\d+)\b""")
_CHECKOV_ID = re.compile(r"^CKV\d*_[A-Z0-9]+_\d+$")
_CHECK_FILES = (".py", ".yaml", ".yml", ".json")


class KnownChecks:
    """The ids a waiver may name (``rule_id in known``), and the CRITICAL ones among them."""

    def __init__(self, rules: dict[str, RuleInfo], custom_checks: frozenset[str] = frozenset()) -> None:
        self._ours = frozenset(rules) | custom_checks | {alias for rule in rules.values() for alias in rule.aliases}
        self.critical = frozenset(rule.id for rule in rules.values() if rule.severity is Severity.CRITICAL)

    @classmethod
    def of_policy(cls, policy_dir: Path) -> "KnownChecks":
        from eksiam.gate.report.rules import load_rule_metadata

        return cls(load_rule_metadata(policy_dir), custom_check_ids(policy_dir / "checkov"))

    def __contains__(self, rule_id: object) -> bool:
        if not isinstance(rule_id, str):
            return False
        return rule_id in self._ours or bool(_CHECKOV_ID.match(rule_id)) and rule_id in checkov_check_ids()


def custom_check_ids(checks_dir: Path) -> frozenset[str]:
    """The ids of the custom checkov checks in ``checks_dir``."""
    if not checks_dir.is_dir():
        return frozenset()
    return frozenset(i for path in sorted(checks_dir.glob("*.py")) for i in _CHECK_ID.findall(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def checkov_check_ids() -> frozenset[str]:
    """Every check id the installed checkov defines (empty when checkov is not installed)."""
    spec = importlib.util.find_spec("checkov")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    found: set[str] = set()
    for root in spec.submodule_search_locations:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
            if "checks" not in Path(directory).relative_to(root).parts:
                continue
            for name in files:
                if name.endswith(_CHECK_FILES):
                    with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as stream:
                        found.update(_CHECK_ID.findall(stream.read()))
    return frozenset(found)
