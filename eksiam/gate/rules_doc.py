"""Renders, from the rules' METADATA blocks, policy/RULES.md (the table of every Rego rule) and
the HCP Terraform policy set in its two forms:

* per rule: policy/policies.hcl, one policy per rule over ``data.eksiam.hcp.messages.<rule>``
  (attach policy/ as a VCS or API policy set);
* free tier: two policies (CRITICAL and HIGH findings mandatory, the rest advisory), each one
  self-contained Rego file bundled from policy/ (rego_bundle.py), as HCP Terraform's free
  edition needs: at most five policies, each created from a single file.

``python -m eksiam.gate.rules_doc`` rewrites RULES.md and policies.hcl, which
tests/policy/test_rules_doc.py checks against a fresh render so neither drifts from the rules:
in policy/ when run in this repository (the policies are under the working directory), else
in the working directory or ``--out DIR``, never inside an installed package.
``python -m eksiam.gate.rules_doc --free-tier-set DIR`` writes the free-tier form, rendered
from the policies at hand (its modules are not kept in policy/: the gate would load them).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eksiam.errors import EXIT_USAGE, EksiamError, UsageError
from eksiam.gate import POLICY_DIR
from eksiam.gate.policy_set import policy_files
from eksiam.gate.rego_bundle import Module, bundle, parse_module, prefix
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
    # The checkov checks that judge the same thing (METADATA custom.aliases).
    aliases: tuple[str, ...] = ()


def metadata_block(text: str) -> dict[str, Any]:
    """The YAML of the first ``# METADATA`` comment block of a Rego file ({} when absent)."""
    blocks = metadata_blocks(text)
    return (yaml.safe_load(blocks[0]) or {}) if blocks else {}


def rule_files(policy_dir: Path = POLICY_DIR) -> list[Path]:
    """Every rule module: a .rego outside lib/ and checkov/ that declares package eksiam.rules.*."""
    files = []
    for path in policy_files(policy_dir):
        if {"lib", "checkov"} & set(path.relative_to(policy_dir).parts):
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
                aliases=tuple(str(a) for a in custom.get("aliases") or ()),
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
        "| id | severity | title | checkov | recommended action | reference |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules:
        links = "<br>".join(f"[{_link_label(url)}]({url})" for url in rule.links)
        out.append(
            f"| [{rule.id}]({rule.path}) | {rule.severity} | {_cell(rule.title)} | {', '.join(rule.aliases)} "
            f"| {_cell(rule.recommended_action)} | {links} |"
        )
    out += ["", "## Descriptions", ""]
    for rule in rules:
        out += [f"### {rule.id} — {rule.title}", "", rule.description, ""]
    return "\n".join(out)


MANDATORY_SEVERITIES = ("CRITICAL", "HIGH")
# The free-tier policies: (policy name, package of its bundled module, hcp.rego array, level).
FREE_TIER_POLICIES = (
    ("eksiam-mandatory", "eksiam.free_tier_mandatory", "mandatory", "mandatory"),
    ("eksiam-advisory", "eksiam.free_tier_advisory", "advisory", "advisory"),
)


def render_policies_hcl(policy_dir: Path | str = POLICY_DIR) -> str:
    """policies.hcl for an HCP Terraform OPA policy set: one policy per rule, mandatory for
    CRITICAL and HIGH, advisory below; each query is the rule's message array (hcp.rego)."""
    out = [
        "# HCP Terraform OPA policy set: attach the policy/ directory (this file at its root),",
        "# to selected workspaces or organization-wide: a plan without EKS roles passes every",
        "# policy. One policy per rule; each query returns the rule's findings as an array of",
        "# strings, empty when the rule passes (see hcp.rego). CRITICAL and HIGH rules are",
        "# mandatory, the rest advisory. The free edition's form (two policies) is written by",
        "# `python -m eksiam.gate.rules_doc --free-tier-set DIR`. Generated with RULES.md by",
        "# `python -m eksiam.gate.rules_doc`.",
        "",
    ]
    for rule in load_rules(Path(policy_dir)):
        level = "mandatory" if rule.severity in MANDATORY_SEVERITIES else "advisory"
        out += [
            f'policy "{rule.id.lower()}" {{',
            f'  query             = "data.eksiam.hcp.messages.{rule.package.rsplit(".", 1)[-1]}"',
            f'  enforcement_level = "{level}"',
            "}",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def free_tier_query(package: str) -> str:
    return f"data.{package}.messages"


def render_free_tier_hcl(policy_dir: Path | str = POLICY_DIR) -> str:
    """The free-tier set's policies.hcl: its two policies, their queries and enforcement."""
    rules = load_rules(Path(policy_dir))
    out = [
        "# HCP Terraform OPA policy set in the form the free edition allows (at most five",
        "# policies): two policies, each a single self-contained Rego file of this directory.",
        "# In the free edition create them in the UI (Settings > Policies, OPA): name, query and",
        "# enforcement below, the .rego file of the same name as the policy code. A VCS or API",
        "# policy set can take this directory as it is. Generated by",
        "# `python -m eksiam.gate.rules_doc --free-tier-set DIR` from eksiam's rules; do not edit.",
        "",
    ]
    for name, package, array, level in FREE_TIER_POLICIES:
        ids = [r.id for r in rules if (r.severity in MANDATORY_SEVERITIES) == (array == "mandatory")]
        out += [
            f"# {name}: {', '.join(ids)}",
            f'policy "{name}" {{',
            f'  query             = "{free_tier_query(package)}"',
            f'  enforcement_level = "{level}"',
            "}",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def bundle_modules(policy_dir: Path = POLICY_DIR) -> list[Module]:
    """The modules the free-tier bundle holds: the adapters and helpers of lib/ (not the test
    builders), every rule, and hcp.rego; each rule module with its METADATA as annotations."""
    modules = []
    for path in policy_files(policy_dir):
        relative = path.relative_to(policy_dir).as_posix()
        text = path.read_text(encoding="utf-8")
        package = package.group(1) if (package := _PACKAGE.search(text)) else ""
        if package == "eksiam.lib.testing" or not (
            package.startswith(("eksiam.lib.", "eksiam.rules.")) or package == "eksiam.hcp"
        ):
            continue
        annotations = _annotations(metadata_block(text)) if package.startswith("eksiam.rules.") else None
        modules.append(parse_module(relative, text, annotations))
    return modules


def _annotations(meta: dict[str, Any]) -> dict[str, Any]:
    """A METADATA block as rego.metadata.chain() returns it for a package."""
    annotations = {"scope": "package", **meta}
    if "related_resources" in annotations:
        annotations["related_resources"] = [
            item if isinstance(item, dict) else {"ref": str(item)} for item in annotations["related_resources"]
        ]
    return annotations


def render_free_tier_module(package: str, policy_dir: Path | str = POLICY_DIR) -> str:
    """The self-contained module of one free-tier policy: every rule bundled into ``package``,
    whose ``messages`` is the hcp.rego array the policy reports."""
    policy_dir = Path(policy_dir)
    name, _, array, level = next(p for p in FREE_TIER_POLICIES if p[1] == package)
    rules = load_rules(policy_dir)
    rule_findings = ", ".join(
        f'"{r.package.rsplit(".", 1)[-1]}": {prefix(r.package)}deny' for r in rules
    )
    header = [
        f"HCP Terraform policy {name!r} ({level}) in the free-tier form: every eksiam rule in one",
        "self-contained module. Create an OPA policy in HCP Terraform (Settings > Policies) with",
        f"this file as its code, query {free_tier_query(package)} and enforcement {level!r}.",
        f"Its messages are the {array} lines of policy/hcp.rego: \"<rule id> <severity>: <message>\".",
        "",
        "Generated by `python -m eksiam.gate.rules_doc --free-tier-set DIR` from eksiam's policy/",
        "(each rule renamed <package>__<rule> into this one package); do not edit: edit the rules",
        "and regenerate.",
    ]
    return bundle(
        bundle_modules(policy_dir),
        package,
        header,
        replacements={("eksiam.hcp", "rule_findings"): f"hcp__rule_findings := {{{rule_findings}}}"},
        extra_rules=[f"messages := hcp__{array}"],
    )


def generated_files(policy_dir: Path | str = POLICY_DIR) -> dict[str, str]:
    """The files kept in the policy directory, by name."""
    return {"RULES.md": render_rules_md(policy_dir), "policies.hcl": render_policies_hcl(policy_dir)}


def free_tier_set(policy_dir: Path | str = POLICY_DIR) -> dict[str, str]:
    """The free-tier policy set, by file name: policies.hcl and one module per policy."""
    files = {"policies.hcl": render_free_tier_hcl(policy_dir)}
    for name, package, _, _ in FREE_TIER_POLICIES:
        files[f"{name.replace('-', '_')}.rego"] = render_free_tier_module(package, policy_dir)
    return files


def _link_label(url: str) -> str:
    page = url.rstrip("/").rsplit("/", 1)[-1]
    return page.split("#", 1)[0].removesuffix(".html") or url


def _default_target(policy_dir: Path) -> Path:
    """The policies' own directory when it is a checkout under the working directory (this
    repository); else the working directory: an installed package is never written."""
    resolved = policy_dir.resolve()
    if resolved.is_relative_to(Path.cwd().resolve()) and not {"site-packages", "dist-packages"} & set(resolved.parts):
        return policy_dir
    return Path.cwd()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eksiam.gate.rules_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--policy-dir", type=Path, default=POLICY_DIR)
    parser.add_argument(
        "--out", type=Path, metavar="DIR",
        help="write RULES.md and policies.hcl into DIR (default: policy/ in this repository, else the working directory)",
    )
    parser.add_argument(
        "--free-tier-set", type=Path, metavar="DIR",
        help="write the free-tier form of the HCP Terraform policy set into DIR (and nothing else)",
    )
    args = parser.parse_args(argv)
    try:
        if args.free_tier_set is not None:
            files, target = free_tier_set(args.policy_dir), args.free_tier_set
            if target.exists() and not target.is_dir():
                raise UsageError(f"--free-tier-set {target} is a file: name a directory")
        else:
            files, target = generated_files(args.policy_dir), args.out or _default_target(args.policy_dir)
        rendered = {target / name: text for name, text in files.items()}  # render all before writing any
        target.mkdir(parents=True, exist_ok=True)
        for output, text in rendered.items():
            output.write_text(text, encoding="utf-8")
            print(f"wrote {output}")
    except (EksiamError, OSError) as error:
        print(f"rules_doc: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
