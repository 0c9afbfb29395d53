"""Done when (issue 16): a user's app with two stacks, one adding AdministratorAccess with a raw
resource, gated by the installed wheel. The finding names its stack, construct and the user's
line; SARIF points there; a cached re-run says the same; waivers scope by stack; an unknown
rule is bad input; every requested report is written on every exit."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from tests.package.userapp import TWO_STACKS, line_of, make_two_stack_app, run, user_env

# One worker computes this module's app and first runs once (make test: pytest-xdist --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("user-app-findings")]

WAIVER = '''
[[waiver]]
rule = "{rule}"
resource = "{resource}"{scope}
reason = "The platform team accepted this until the migration ends (PLAT-1)"
expires = {expires}
'''
# Within [gate] max_waiver_days (90 by default) of today.
EXPIRES = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


def waiver(rule: str, resource: str = "*", stack: str | None = None) -> str:
    # A CRITICAL finding is waived only by a waiver that names its exact resource.
    return WAIVER.format(rule=rule, resource=resource, scope=f'\nstack = "{stack}"' if stack else "", expires=EXPIRES)


@pytest.fixture(scope="module")
def app(installed, tmp_path_factory) -> Path:
    return make_two_stack_app(tmp_path_factory.mktemp("user") / "app", str(installed / "bin" / "python"))


def check(installed: Path, app: Path, *args: str):
    return run([str(installed / "bin" / "eksiam"), "check", "--format", "json", *args], app, user_env(installed))


@pytest.fixture(scope="module")
def first_and_cached(installed, app):
    """The report of a run from an empty cache, and of the run after it (cached)."""
    first = check(installed, app, "--report", "sarif=first.sarif")
    cached = check(installed, app, "--report", "sarif=cached.sarif")
    return first, cached


def failing(done) -> list[dict]:
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    return [f for f in report["findings"] if f["severity"] in ("CRITICAL", "HIGH", "MEDIUM")]


def test_the_flaw_is_found_at_the_users_line(first_and_cached, app):
    first, _ = first_and_cached
    assert first.returncode == 1, first.stderr
    found = failing(first)
    assert found and {f["stack"] for f in found} == {"prod"}
    stack_file = app / "stacks" / "iam.py"
    users_lines = {line_of(stack_file, "EksNodeRole(self"), line_of(stack_file, "IamRolePolicyAttachment(self")}
    for finding in found:
        assert finding["construct"].startswith("prod/"), finding
        assert finding["source"]["file"] == "stacks/iam.py" and finding["source"]["line"] in users_lines, finding
    # The dev stack, made by the same line without the attachment, has no finding.
    assert all(f["stack"] != "dev" for f in json.loads(first.stdout)["findings"])


def test_one_flaw_is_one_finding_of_both_engines(first_and_cached):
    first, _ = first_and_cached
    (flaw,) = failing(first)
    assert flaw["rule"] == "EKSIAM-ROLE-003" and flaw["engines"] == ["opa", "checkov"], flaw


def test_sarif_points_at_the_users_line_with_the_synthesized_json_related(first_and_cached, app):
    first, _ = first_and_cached
    sarif = json.loads((app / "first.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert results
    by_rule = {f["rule"]: f for f in failing(first)}
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        finding = by_rule[result["ruleId"]]
        assert physical["artifactLocation"]["uri"] == finding["source"]["file"]
        assert physical["region"]["startLine"] == finding["source"]["line"]
        related = result["relatedLocations"][0]["physicalLocation"]
        assert related["artifactLocation"]["uri"] == "cdktf.out/stacks/prod/cdk.tf.json"
        assert (app / related["artifactLocation"]["uri"]).is_file()


def without_cache_counts(stdout: str) -> dict:
    """The report, less how many answers came from the cache (the one thing a re-run changes)."""
    report = json.loads(stdout)
    for engine in report.get("summary", {}).values():
        if isinstance(engine, dict):
            engine.pop("cached", None)
    return report


def test_a_cached_rerun_reports_the_same(first_and_cached, app):
    first, cached = first_and_cached
    assert "cached" in cached.stderr  # the second run did take its answers from the cache
    assert (cached.returncode, without_cache_counts(cached.stdout)) == (first.returncode, without_cache_counts(first.stdout))
    assert (app / "cached.sarif").read_text() == (app / "first.sarif").read_text()


def test_a_waiver_holds_only_in_its_stack(first_and_cached, installed, app):
    first, _ = first_and_cached
    flaw = failing(first)[0]
    rule, resource = flaw["rule"], flaw["resource"]
    (app / "other.toml").write_text(waiver(rule, resource, stack="dev"))
    (app / "own.toml").write_text(waiver(rule, resource, stack="prod"))
    other = check(installed, app, "--waivers", "other.toml")
    assert other.returncode == 1, other.stderr
    assert rule in {f["rule"] for f in failing(other)}
    own = check(installed, app, "--waivers", "own.toml")
    assert own.returncode == 0, (own.stderr, failing(own))
    assert rule in {w["rule"] for w in json.loads(own.stdout)["waived"]}


def test_an_unknown_rule_in_a_waiver_is_bad_input(installed, app):
    (app / "typo.toml").write_text(waiver("EKSIAM-ROLE-03"))
    done = check(installed, app, "--waivers", "typo.toml", "--report", "sarif=typo.sarif")
    assert done.returncode == 2, done.stderr
    assert "EKSIAM-ROLE-03" in done.stderr and done.stderr.count("\n") == 1


def test_every_report_is_written_on_exit_2(installed, app):
    (app / "bad.toml").write_text('[[waiver]]\nrule = "EKSIAM-ROLE-003"\nresource = "*"\n')  # no reason, no expiry
    done = check(installed, app, "--waivers", "bad.toml", "--report", "sarif=exit2.sarif", "--report", "junit=exit2.xml")
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().removeprefix("eksiam: error: ")
    invocation = json.loads((app / "exit2.sarif").read_text())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == message
    assert message in (app / "exit2.xml").read_text()
    assert done.stdout == ""  # the one error line is on stderr; the report files carry it


RAW_ONLY = '''{track}
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider

TRUST = '{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "ec2.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}'


class NodeIam(TerraformStack):
    def __init__(self, scope, id, admin=False):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        role = IamRole(self, "nodes", name=f"{{id}}-NodeInstanceRole", assume_role_policy=TRUST)
        IamRolePolicyAttachment(self, "worker", role=role.name, policy_arn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
        if admin:
            IamRolePolicyAttachment(self, "admin", role=role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
'''


@pytest.mark.parametrize("tracked", [False, True], ids=["without-eksiam", "with-track_sources"])
def test_an_app_of_raw_resources_has_a_source_once_it_asks_for_one(installed, tmp_path, tracked):
    """Without eksiam imported nothing records sources: the finding still names its stack and
    construct and says its source is unknown. One call of eksiam.track_sources() is enough."""
    # Where the README puts it: eksiam first (which also keeps the provider bindings lazy).
    track = "import eksiam\neksiam.track_sources()\n" if tracked else ""
    app = make_two_stack_app(tmp_path / "app", str(installed / "bin" / "python"), RAW_ONLY.format(track=track))
    command = [str(installed / "bin" / "eksiam"), "check", "--format", "json", "--report=text=report.txt", "--no-checkov"]
    done = run(command, app, user_env(installed))
    assert done.returncode == 1, done.stderr
    found = failing(done)
    assert "prod" in {f["stack"] for f in found}
    assert all(f["construct"].startswith(f"{f['stack']}/") for f in found), found
    if tracked:
        stack_file = app / "stacks" / "iam.py"
        lines = {line_of(stack_file, text) for text in ('IamRole(self', '"worker"', '"admin"')}
        assert all(f["source"]["file"] == "stacks/iam.py" and f["source"]["line"] in lines for f in found), found
    else:
        assert all(f["source"] is None for f in found), found
        assert "source unknown" in (app / "report.txt").read_text()


def test_suppressions_in_code_waive_findings_on_their_construct(first_and_cached, installed, tmp_path):
    """The app suppresses, on the prod stack, every rule the first run found there."""
    first, _ = first_and_cached
    rules = sorted({f["rule"] for f in failing(first)})
    lines = "".join(
        f'            suppress(self, "{rule}", "Accepted by the platform team until the migration (PLAT-1)", "{EXPIRES}")\n'
        for rule in rules
    )
    source = TWO_STACKS.replace("from eksiam import", "from eksiam import suppress,").replace(
        'policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")\n',
        'policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")\n' + lines,
    )
    app = make_two_stack_app(tmp_path / "app", str(installed / "bin" / "python"), source)
    done = check(installed, app)
    assert done.returncode == 0, (done.stderr, failing(done))
    waived = json.loads(done.stdout)["waived"]
    assert sorted({w["rule"] for w in waived}) == rules
    assert all(w["waiver"]["source"].startswith("eksiam.suppress at stacks/iam.py:") for w in waived)
