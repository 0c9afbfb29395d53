"""Waivers in the user's terms and within the platform team's limits: stack and construct
scopes, ids that must exist, a longest lifetime, and exact resources for CRITICAL findings."""

from __future__ import annotations

import datetime
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from eksiam.cli import main
from eksiam.errors import UsageError
from eksiam.gate import POLICY_DIR
from eksiam.gate.check_ids import KnownChecks, checkov_check_ids
from eksiam.gate.findings import Finding, Severity
from eksiam.gate.waivers import DEFAULT_MAX_WAIVER_DAYS, apply_waivers, load_waivers

TODAY = datetime.date(2026, 6, 1)
ROLE = "aws_iam_role.node_role"


@dataclass(frozen=True, order=True)
class AppFinding(Finding):
    """A finding about an app's stack, as the app adapter reports it (stack, construct path)."""

    stack: str = ""
    construct: str = ""


def waiver_file(tmp_path, *entries: str):
    path = tmp_path / "eksiam-waivers.toml"
    path.write_text("\n".join(textwrap.dedent(entry) for entry in entries))
    return path


def entry(rule: str = "EKSIAM-NODE-003", resource: str = ROLE, expires: str = TODAY.isoformat(), **scope: str) -> str:
    lines = [f'rule = "{rule}"', f'resource = "{resource}"', *(f'{key} = "{value}"' for key, value in scope.items())]
    return "[[waiver]]\n" + "\n".join([*lines, 'reason = "Accepted by the platform team (PLAT-1)"', f"expires = {expires}"]) + "\n"


# --- lifetime ---------------------------------------------------------------------------------


def test_a_waiver_may_run_to_the_last_day_the_limit_allows(tmp_path):
    last = TODAY + datetime.timedelta(days=DEFAULT_MAX_WAIVER_DAYS)
    (waiver,) = load_waivers(waiver_file(tmp_path, entry(expires=last.isoformat())), today=TODAY)
    assert waiver.expires == last


@pytest.mark.parametrize("max_days", [DEFAULT_MAX_WAIVER_DAYS, 10, 0])
def test_a_waiver_beyond_the_limit_is_refused_naming_it(tmp_path, max_days):
    too_late = TODAY + datetime.timedelta(days=max_days + 1)
    path = waiver_file(tmp_path, entry(), entry("EKSIAM-NODE-004", expires=too_late.isoformat()))
    with pytest.raises(UsageError) as raised:
        load_waivers(path, today=TODAY, max_waiver_days=max_days)
    text = str(raised.value)
    assert "waiver #2 (EKSIAM-NODE-004)" in text and f"more than {max_days} days" in text and "\n" not in text
    assert (TODAY + datetime.timedelta(days=max_days)).isoformat() in text  # the latest date it may have


@pytest.mark.parametrize("max_days", [-1, True, 1.5])
def test_a_limit_that_is_not_a_number_of_days_is_refused(tmp_path, max_days):
    with pytest.raises(UsageError, match="max_waiver_days"):
        load_waivers(waiver_file(tmp_path, entry()), today=TODAY, max_waiver_days=max_days)


# --- CRITICAL findings name their resource ----------------------------------------------------


def test_a_wildcard_waiver_for_a_critical_rule_is_refused(tmp_path):
    known = KnownChecks.of_policy(POLICY_DIR)
    critical = sorted(known.critical)[0]
    path = waiver_file(tmp_path, entry(critical, "*"))
    with pytest.raises(UsageError, match=f"{critical} is CRITICAL.*exact resource"):
        load_waivers(path, known, critical_rules=known.critical, today=TODAY)
    exact = waiver_file(tmp_path, entry(critical, ROLE))
    assert load_waivers(exact, known, critical_rules=known.critical, today=TODAY)[0].resource == ROLE


def test_a_wildcard_waiver_never_waives_a_critical_finding(tmp_path):
    """Whatever the rule's own severity: a merged finding takes the highest of what saw it."""
    waivers = load_waivers(waiver_file(tmp_path, entry(resource="*")), today=TODAY)
    critical = Finding("EKSIAM-NODE-003", Severity.CRITICAL, "opa", ROLE, "admin attached")
    high = Finding("EKSIAM-NODE-003", Severity.HIGH, "opa", ROLE, "admin attached")
    kept, waived, _, _ = apply_waivers([critical, high], waivers, TODAY)
    assert kept == (critical,) and [w.finding for w in waived] == [high]


def test_a_waiver_may_name_what_carries_the_flaw(tmp_path):
    attachment = "aws_iam_role_policy_attachment.node_admin"
    waivers = load_waivers(waiver_file(tmp_path, entry(resource=attachment)), today=TODAY)
    finding = Finding("EKSIAM-NODE-003", Severity.CRITICAL, "opa", ROLE, "admin attached", carrier=attachment)
    other = Finding("EKSIAM-NODE-003", Severity.CRITICAL, "opa", ROLE, "power attached", carrier=attachment + "_2")
    kept, waived, _, _ = apply_waivers([finding, other], waivers, TODAY)
    assert [w.finding for w in waived] == [finding] and kept == (other,)


# --- stack and construct ----------------------------------------------------------------------


PROD = AppFinding("EKSIAM-NODE-003", Severity.HIGH, "opa", ROLE, "m", stack="prod-eu", construct="prod-eu/Nodes/Role")
DEV = AppFinding("EKSIAM-NODE-003", Severity.HIGH, "opa", ROLE, "m", stack="dev", construct="dev/Nodes/Role")


def test_a_stack_waiver_waives_that_stack_only(tmp_path):
    waivers = load_waivers(waiver_file(tmp_path, entry(stack="prod-eu")), today=TODAY)
    assert waivers[0].stack == "prod-eu" and waivers[0].to_json()["stack"] == "prod-eu"
    kept, waived, _, _ = apply_waivers([PROD, DEV], waivers, TODAY)
    assert [w.finding for w in waived] == [PROD] and kept == (DEV,)


@pytest.mark.parametrize(
    ("glob", "waives"),
    [
        ("prod-eu/Nodes/Role", [PROD]),
        ("*/Nodes/Role", [PROD, DEV]),
        ("prod-eu/*", []),  # one segment: the role sits two below
        ("prod-eu/**", [PROD]),
        ("**/Role", [PROD, DEV]),
        ("dev/Nodes/Rol?", [DEV]),
    ],
)
def test_a_construct_glob_waives_the_constructs_it_matches(tmp_path, glob, waives):
    waivers = load_waivers(waiver_file(tmp_path, entry(construct=glob)), today=TODAY)
    _, waived, _, unused = apply_waivers([PROD, DEV], waivers, TODAY)
    assert [w.finding for w in waived] == waives
    assert bool(unused) is (not waives)


def test_a_scoped_waiver_does_not_waive_a_finding_without_that_scope(tmp_path):
    """--input files have no stack: a waiver scoped to one never applies to them."""
    plain = Finding("EKSIAM-NODE-003", Severity.HIGH, "opa", ROLE, "m")
    waivers = load_waivers(waiver_file(tmp_path, entry(stack="prod-eu")), today=TODAY)
    assert apply_waivers([plain], waivers, TODAY).kept == (plain,)


def test_the_same_waiver_for_two_stacks_is_two_waivers(tmp_path):
    assert len(load_waivers(waiver_file(tmp_path, entry(stack="dev"), entry(stack="prod-eu")), today=TODAY)) == 2
    with pytest.raises(UsageError, match="waiver #2 repeats waiver #1"):
        load_waivers(waiver_file(tmp_path, entry(stack="dev"), entry(stack="dev")), today=TODAY)


@pytest.mark.parametrize("key", ["stack", "construct"])
@pytest.mark.parametrize("value", [" ", "prod\\u001b[8m"])
def test_an_empty_or_unprintable_scope_is_refused(tmp_path, key, value):
    with pytest.raises(UsageError, match=f"waiver #1 \\(EKSIAM-NODE-003\\): {key} must be") as raised:
        load_waivers(waiver_file(tmp_path, entry(**{key: value})), today=TODAY)
    assert "\x1b" not in str(raised.value)


# --- ids that exist ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known() -> KnownChecks:
    return KnownChecks.of_policy(POLICY_DIR)


def test_known_ids_are_the_rules_their_mirrors_and_checkovs_checks(known):
    from eksiam.gate.report import load_rule_metadata

    rules = load_rule_metadata(POLICY_DIR)
    assert all(rule in known for rule in rules)
    assert all(alias in known for rule in rules.values() for alias in rule.aliases)
    custom = sorted((POLICY_DIR / "checkov").glob("eksiam_*.py"))
    assert custom and all(f"CKV_EKSIAM_{n}" in known for n in range(1, 8))
    builtin = checkov_check_ids()
    assert "CKV_AWS_60" in builtin and "CKV2_AWS_56" in builtin  # a Python check and a graph check
    assert "CKV_AWS_60" in known


@pytest.mark.parametrize("rule", ["EKSIAM-ROLE-03", "EKSIAM-NODE-999", "CKV_AWS_99999", "CKV_EKSIAM_99"])
def test_an_unknown_id_is_refused(tmp_path, known, rule):
    with pytest.raises(UsageError, match=f"no rule or check '{rule}' exists"):
        load_waivers(waiver_file(tmp_path, entry(rule)), known, today=TODAY)


def test_an_unknown_rule_exits_2_with_one_line(tmp_path, capsys):
    path = waiver_file(tmp_path, entry("EKSIAM-ROLE-03", expires=(datetime.date.today() + datetime.timedelta(days=5)).isoformat()))
    code = main(["check", "--input", str(POLICY_DIR / "missing.tf.json"), "--no-checkov", "--waivers", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "EKSIAM-ROLE-03" in err and "Traceback" not in err


def test_a_waiver_too_far_ahead_exits_2_naming_it(tmp_path, capsys):
    path = waiver_file(tmp_path, entry(expires="2999-01-31"))
    code = main(["check", "--input", str(POLICY_DIR / "missing.tf.json"), "--no-checkov", "--waivers", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "waiver #1 (EKSIAM-NODE-003)" in err and "2999-01-31" in err


def test_the_platform_teams_limit_comes_from_the_gate_section(tmp_path, capsys):
    """`[gate] max_waiver_days` in eksiam.toml: a waiver the default would allow is refused."""
    config = tmp_path / "eksiam.toml"
    config.write_text("[gate]\nmax_waiver_days = 10\n")
    in_20_days = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()
    path = waiver_file(tmp_path, entry(expires=in_20_days))
    secure = str(Path(__file__).resolve().parents[1] / "fixtures" / "adversarial" / "node_secure_description.tf.json")
    argv = ["check", "--input", secure, "--no-checkov", "--waivers", str(path)]
    code = main([*argv, "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "more than 10 days ahead ([gate] max_waiver_days)" in err and err.count("\n") == 1
    config.write_text("[gate]\nmax_waiver_days = 30\n")
    assert main([*argv, "--config", str(config)]) == 0
