"""Renders policy/RULES.md (the table of every Rego rule) and policy/policies.hcl (the HCP
Terraform policy set) from the rules' METADATA blocks.

``python -m eksiam.gate.rules_doc`` rewrites both; tests/policy/test_rules_doc.py checks the
committed files against a fresh render, so neither drifts from the rules.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eksiam.gate import POLICY_DIR
from eksiam.gate.report.rules import metadata_blocks

_PACKAGE = re.compile(r"^package\s+([\w.]+)\s*$", re.MULTILINE)
_SEVERITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


@dataclass(frozen=True)
class RuleDoc:
    id: str
    severity: str
    title: str
    description: str
    recommended_action: str
    links: tuple[str, ...]
    package: str
    path: str


def metadata_block(text: str) -> dict[str, Any]:
    """The YAML of the first ``# METADATA`` comment block of a Rego file ({} when absent)."""
    blocks = metadata_blocks(text)
    return (yaml.safe_load(blocks[0]) or {}) if blocks else {}


def rule_files(policy_dir: Path = POLICY_DIR) -> list[Path]:
    """Every rule module: a .rego outside lib/ and checkov/ that declares package eksiam.rules.*."""
    files = []
    for path in sorted(policy_dir.rglob("*.rego")):
        if path.name.endswith("_test.rego") or {"lib", "checkov"} & set(path.relative_to(policy_dir).parts):
            continue
        package = _PACKAGE.search(path.read_text(encoding="utf-8"))
        if package and package.group(1).startswith("eksiam.rules."):
            files.append(path)
    return files


def load_rules(policy_dir: Path = POLICY_DIR) -> list[RuleDoc]:
    rules = []
    for path in rule_files(policy_dir):
        text = path.read_text(encoding="utf-8")
        meta = metadata_block(text)
        custom = meta.get("custom") or {}
        links = tuple(
            item["ref"] if isinstance(item, dict) else str(item)
            for item in meta.get("related_resources") or []
        )
        rules.append(
            RuleDoc(
                id=str(custom.get("id", "")),
                severity=str(custom.get("severity", "")),
                title=str(meta.get("title", "")),
                description=" ".join(str(meta.get("description", "")).split()),
                recommended_action=" ".join(str(custom.get("recommended_action", "")).split()),
                links=links,
                package=package.group(1) if (package := _PACKAGE.search(text)) else "",
                path=path.relative_to(policy_dir).as_posix(),
            )
        )
    return sorted(rules, key=lambda r: r.id)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_rules_md(policy_dir: Path | str = POLICY_DIR) -> str:
    """RULES.md: one table row per rule (id, severity, title, recommended action, links)."""
    rules = load_rules(Path(policy_dir))
    out = [
        "# eksiam policy rules",
        "",
        "Generated from the `# METADATA` block of each rule by `python -m eksiam.gate.rules_doc`; do not",
        "edit by hand. By default the gate fails on findings of severity MEDIUM or above.",
        "",
        "| id | severity | title | recommended action | reference |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        links = "<br>".join(f"[{_link_label(url)}]({url})" for url in rule.links)
        out.append(
            f"| [{rule.id}]({rule.path}) | {rule.severity} | {_cell(rule.title)} "
            f"| {_cell(rule.recommended_action)} | {links} |"
        )
    out += ["", "## Descriptions", ""]
    for rule in rules:
        out += [f"### {rule.id} — {rule.title}", "", rule.description, ""]
    return "\n".join(out)


def render_policies_hcl(policy_dir: Path | str = POLICY_DIR) -> str:
    """policies.hcl for an HCP Terraform OPA policy set: one policy per rule, mandatory for
    CRITICAL and HIGH, advisory below; each query is the rule's message array (hcp.rego)."""
    out = [
        "# HCP Terraform OPA policy set: attach the policy/ directory (this file at its root).",
        "# One policy per rule; each query returns the rule's findings as an array of strings,",
        "# empty when the rule passes (see hcp.rego). CRITICAL and HIGH rules are mandatory, the",
        "# rest advisory. Generated with RULES.md by `python -m eksiam.gate.rules_doc`.",
        "",
    ]
    for rule in load_rules(Path(policy_dir)):
        level = "mandatory" if rule.severity in ("CRITICAL", "HIGH") else "advisory"
        out += [
            f'policy "{rule.id.lower()}" {{',
            f'  query             = "data.eksiam.hcp.messages.{rule.package.rsplit(".", 1)[-1]}"',
            f'  enforcement_level = "{level}"',
            "}",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def _link_label(url: str) -> str:
    page = url.rstrip("/").rsplit("/", 1)[-1]
    return page.split("#", 1)[0].removesuffix(".html") or url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eksiam.gate.rules_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--policy-dir", type=Path, default=POLICY_DIR)
    args = parser.parse_args(argv)
    for name, render in (("RULES.md", render_rules_md), ("policies.hcl", render_policies_hcl)):
        output = args.policy_dir / name
        output.write_text(render(args.policy_dir), encoding="utf-8")
        print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
