"""Every EKS role for what it is, judged as today's AWS pages and the 2023 seeds say: the cases
of tests/fixtures/realworld/ that carry `expected_kinds` (README, "EKS role kinds").

One gate run per case, on OPA alone, with no configuration file and no EKSIAM_* setting (the
verdict a new user gets). Each case is checked twice from that one run: its verdict (exit code
0 or 1, and for a failing case a finding naming what is wrong and, with `blame`, no other role
faulted) and what each of its roles was recognized as. A case the gate misjudges today names
why in the manifest (`known_misjudged`, `known_misjudged_kinds`); the check is then expected
to fail, strictly, so the field must go when the rules judge it right."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
from pathlib import Path

import pytest

from eksiam.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "realworld"
CASES = [c for c in json.loads((CORPUS / "manifest.json").read_text()) if "expected_kinds" in c]
KINDS = {"node", "auto-node", "connector", "cluster", "fargate", "hybrid", "service-linked", "pod", "other"}


@contextlib.contextmanager
def default_configuration(tmp: Path):
    """No eksiam.toml (an empty working directory) and no EKSIAM_* variable."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("EKSIAM_")}
    cwd = Path.cwd()
    for k in saved:
        del os.environ[k]
    os.chdir(tmp)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.update(saved)


@functools.cache
def judged(file: str, tmp: Path) -> tuple[int, dict]:
    out = io.StringIO()
    with default_configuration(tmp), contextlib.redirect_stdout(out):
        code = main(["check", "--input", str(CORPUS / file), "--no-checkov", "--no-cache", "--format", "json"])
    # a tool failure (exit 3) prints no report
    return code, json.loads(out.getvalue()) if out.getvalue().strip() else {"findings": [], "roles": []}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("realworld-eks")


def marked(field: str):
    return [pytest.param(c, id=c["file"], marks=[pytest.mark.xfail(strict=True, reason=c[field])] if field in c else [])
            for c in CASES]


@pytest.mark.parametrize("case", marked("known_misjudged"))
def test_verdict(case, workdir):
    code, report = judged(case["file"], workdir)
    blocking = [f for f in report["findings"] if f["severity"] not in ("LOW", "INFO")]
    if case["expected"] == "pass":
        assert code == 0 and blocking == [], blocking
        return
    assert code == 1
    for words in case["finding_words"]:
        assert any(all(w in f["message"] or w in f["resource"] for w in words) for f in blocking), (words, blocking)
    # where the manifest says which roles are at fault, no other role is blamed
    if "blame" in case:
        others = [f for f in blocking if not any(b in f["resource"] for b in case["blame"])]
        assert others == [], others


@pytest.mark.parametrize("case", marked("known_misjudged_kinds"))
def test_roles_recognized_as_their_kind(case, workdir):
    code, report = judged(case["file"], workdir)
    for resource, kind in case["expected_kinds"].items():
        got = {r["kind"] for r in report["roles"] if resource in r["resource"]}
        assert got == {kind}, (resource, kind, report["roles"])
    # a role is judged only by the rules of its own kind: node and connector findings name
    # only roles of those kinds
    own = {"NODE": {"node", "auto-node"}, "CONNECTOR": {"connector"}}
    for f in report["findings"]:
        family = f["rule"].split("-")[1] if f["rule"].count("-") >= 2 else ""
        for resource, kind in case["expected_kinds"].items():
            if resource in f["resource"] and family in own:
                assert kind in own[family], (resource, kind, f)


def test_manifest_states_each_case():
    """Each case says its verdict, why and which pages say so, and names only known kinds."""
    assert len(CASES) >= 20
    assert {c["shape"] for c in CASES} == {"plan", "snapshot"}
    for c in CASES:
        assert c["expected"] in ("pass", "fail") and c["why"] and c["pages"], c["file"]
        assert set(c["expected_kinds"].values()) <= KINDS, c["file"]
        assert (c["expected"] == "fail") == bool(c.get("finding_words")), c["file"]
        assert (CORPUS / c["file"]).is_file(), c["file"]
