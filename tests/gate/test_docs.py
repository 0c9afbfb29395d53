"""docs/ is the contract the code cites: each page is compared with what the code does."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from eksiam import errors
from eksiam.cli import main
from eksiam.config import load_config
from eksiam.gate.findings import EngineSummary, Finding, JudgedRole, Report, Severity, WaivedFinding, Waiver
from eksiam.gate.report import render
from eksiam.settings import section_keys

DOCS = Path(__file__).resolve().parents[2] / "docs"
SUBCOMMANDS = ("synth", "check", "verify")


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def options_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_the_cli_page_shows_every_option_of_each_subcommand_and_no_other(subcommand, capsys):
    with pytest.raises(SystemExit):
        main([subcommand, "--help"])
    offered = options_in(capsys.readouterr().out) - {"--help", "--debug"}
    usage = next(block for block in re.findall(r"```\n(.*?)```", page("cli.md"), re.DOTALL) if f"eksiam {subcommand} " in block)
    assert options_in(usage) == offered
    assert offered <= options_in(page("cli.md").split(f"## `{subcommand}`", 1)[1]) | options_in(usage)


def test_the_exit_code_page_gives_each_code_its_meaning():
    rows = dict(re.findall(r"^\| (\d) \| (.+) \|$", page("exit-codes.md"), re.MULTILINE))
    codes = {errors.EXIT_PASSED, errors.EXIT_FAILED, errors.EXIT_USAGE, errors.EXIT_TOOL}
    assert {int(code) for code in rows} == codes
    assert "usage" in rows[str(errors.UsageError.exit_code)] and "tool" in rows[str(errors.ToolError.exit_code)]


def documented_keys(section: str) -> set[str]:
    """The keys of the table under ``## <section>`` of report.md."""
    text = page("report.md").split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", text, re.MULTILINE))


def full_report() -> dict:
    """A JSON report with every part filled: findings, waivers (valid and expired), roles, errors."""
    finding = Finding(
        rule="EKSIAM-NODE-003", severity=Severity.CRITICAL, engine="opa", resource="aws_iam_role.node_role",
        message="m", remediation="r", file="a.json", title="t",
    )
    waiver = Waiver("EKSIAM-NODE-002", "*", "accepted for the migration", datetime.date(2999, 1, 1), source="w.toml#1")
    report = Report(
        findings=(finding,),
        summary={"opa": EngineSummary(evaluated=3, failed=1, passed=2, cached=1), "checkov": EngineSummary(evaluated=2, failed=0, passed=2)},
        inputs=("a.json",),
        waived=(WaivedFinding(finding, waiver),),
        expired_waivers=(waiver,),
        unused_waivers=(waiver,),
        roles=(JudgedRole(file="a.json", resource="aws_iam_role.node_role", kind="node", identified_by="tag"),),
        tool_errors=(("checkov", "b.json", "why"),),
    )
    document: dict = json.loads(render(report, "json"))
    return document


def test_the_report_page_documents_every_key_the_json_report_has():
    document = full_report()
    assert set(document) == documented_keys("Top level")
    finding_keys = {key for f in document["findings"] for key in f}
    assert finding_keys <= documented_keys("A finding")
    required = {"rule", "severity", "engine", "resource", "message"}
    assert required <= finding_keys and all(f"`{key}` |" in page("report.md") for key in required)
    assert {key for counts in document["summary"].values() for key in counts} <= documented_keys("`summary`")
    waiver_keys = {*document["expired_waivers"][0], *document["unused_waivers"][0], *(key for w in document["waived"] for key in w if key == "waiver")}
    assert waiver_keys <= documented_keys("A waiver (`waived[].waiver`, `expired_waivers[]`, `unused_waivers[]`)")
    assert set(document["roles"][0]) == documented_keys("A role (`roles[]`)")
    assert set(document["errors"][0]) == documented_keys("An error (`errors[]`)")


def test_the_configuration_page_example_loads_and_names_every_key(tmp_path):
    example = re.search(r"```toml\n(.*?)```", page("configuration.md"), re.DOTALL)
    assert example is not None
    (tmp_path / "eksiam.toml").write_text(example.group(1))
    config = load_config(tmp_path / "eksiam.toml", environ={})  # an unknown key would exit 2
    assert config.tags == {"team": "platform"}
    keys: dict[str, set[str]] = {}
    for line in example.group(1).splitlines():
        if header := re.match(r"\[(\w+)\]", line):
            section = keys.setdefault(header[1], set())
        elif key := re.match(r"(\w+) =", line):
            section.add(key[1])
    declared = section_keys()
    for name in ("connector", "node", "gate"):
        assert keys[name] == set(declared[name])
    backend = page("configuration.md").split("## `[backend]`", 1)[1].split("\n## ", 1)[0]
    assert set(declared["backend"]) - {"type"} <= set(re.findall(r"`(\w+)`", backend))


def test_the_limits_table_names_every_limit_the_gate_reads():
    from eksiam.gate import limits

    rows = dict(re.findall(r"^\| `(EKSIAM_\w+)` \| ([\d.]+) \|", page("configuration.md"), re.MULTILINE))
    assert rows == {
        limits.MAX_INPUT_ENV: f"{limits.DEFAULT_MAX_INPUT_MB:g}",
        limits.OPA_TIMEOUT_ENV: f"{limits.DEFAULT_OPA_TIMEOUT:g}",
        limits.CHECKOV_TIMEOUT_ENV: f"{limits.DEFAULT_CHECKOV_TIMEOUT:g}",
    }
