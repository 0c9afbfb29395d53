"""Rule metadata from the Rego policies' ``# METADATA`` blocks, for SARIF rules and fixes.

OPA's metadata annotations are YAML in comments, right above the ``package`` (or rule) they
describe::

    # METADATA
    # title: Node role trusts only ec2.amazonaws.com
    # description: …
    # related_resources:
    #   - ref: https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
    # custom:
    #   id: EKSIAM-NODE-001
    #   severity: HIGH
    #   recommended_action: …

Blocks without ``custom.id`` (libraries, tests) are skipped; ``*_test.rego`` files are not read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from eksiam.errors import UsageError
from eksiam.gate import POLICY_DIR
from eksiam.gate.findings import RuleInfo, Severity

_MARKER = "# METADATA"


def metadata_blocks(text: str) -> list[str]:
    """The YAML text of every ``# METADATA`` comment block in a Rego source."""
    blocks: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == _MARKER:
            body: list[str] = []
            index += 1
            while index < len(lines) and lines[index].lstrip().startswith("#"):
                comment = lines[index].lstrip()[1:]
                body.append(comment[1:] if comment.startswith(" ") else comment)
                index += 1
            blocks.append("\n".join(body))
        else:
            index += 1
    return blocks


def _help_uri(related: Any) -> str:
    for item in related if isinstance(related, list) else []:
        if isinstance(item, dict) and isinstance(item.get("ref"), str):
            return str(item["ref"])
        if isinstance(item, str):
            return item
    return ""


def rule_from_metadata(data: Any) -> RuleInfo | None:
    if not isinstance(data, dict):
        return None
    custom = data.get("custom")
    if not isinstance(custom, dict) or not custom.get("id"):
        return None
    severity = None
    if custom.get("severity"):
        name = str(custom["severity"]).strip().upper()
        severity = Severity[name] if name in Severity.__members__ else None
    return RuleInfo(
        id=str(custom["id"]),
        title=str(data.get("title") or ""),
        description=str(data.get("description") or "").strip(),
        remediation=str(custom.get("recommended_action") or "").strip(),
        help_uri=_help_uri(data.get("related_resources")),
        severity=severity,
        aliases=tuple(str(alias) for alias in custom.get("aliases") or ()),
    )


def load_rule_metadata(policy_dir: str | Path) -> dict[str, RuleInfo]:
    """Every rule id → its metadata, from ``policy_dir/**/*.rego`` (tests excluded)."""
    root = Path(policy_dir)
    if not root.is_dir():
        raise UsageError(f"policy directory {root} does not exist: point at the project's policy/ directory")
    rules: dict[str, RuleInfo] = {}
    for path in sorted(root.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        text = path.read_text(encoding="utf-8")
        for block in metadata_blocks(text):
            try:
                data = yaml.safe_load(block)
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                where = f" (block line {mark.line + 1})" if mark else ""
                raise UsageError(f"{path}: a # METADATA block is not valid YAML{where}: fix its indentation") from None
            rule = rule_from_metadata(data)
            if rule is not None:
                rules[rule.id] = rule
    return rules


@lru_cache(maxsize=1)
def default_rule_metadata() -> dict[str, RuleInfo]:
    """The project's own rules (``policy/``), for reports built without ``Report.rules``.

    Metadata only decorates a report, so a policy tree that cannot be read yields none here;
    the OPA engine reports the broken policy itself.
    """
    try:
        return load_rule_metadata(POLICY_DIR)
    except (UsageError, OSError):
        return {}
