"""The one source of the AWS documents' facts (policy/facts/eks_roles.json): its generated Rego
form equals it, and it is held to the seeds (the 2023 text of record), to the dated excerpts of
today's pages, to the AWS-managed policy documents as AWS publishes them, and to the
privilege-escalation list it takes from cloudsplaining."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eksiam import facts, generated
from eksiam.facts import FACTS_FILE

from rego_harness import POLICY_DIR, load_engine

FACTS = json.loads((POLICY_DIR / FACTS_FILE).read_text(encoding="utf-8"))
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
PAGES = POLICY_DIR / "facts" / "pages"


@pytest.mark.parametrize("relative", sorted(generated.GENERATED))
def test_every_generated_rego_file_is_current(relative):
    committed = (POLICY_DIR / relative).read_text(encoding="utf-8")
    assert committed == generated.GENERATED[relative](), "run `python -m eksiam.generated policy` and commit the result"


def test_opa_reads_the_same_facts_as_the_json():
    engine = load_engine()
    assert engine.eval_query("x := data.eksiam.lib.facts.facts")[0]["x"] == FACTS


def test_the_generator_writes_only_into_the_directory_given(tmp_path, capsys):
    assert generated.main([str(tmp_path)]) == 2
    assert "not a directory" in capsys.readouterr().err
    (tmp_path / "lib").mkdir()
    assert generated.main([str(tmp_path)]) == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.rego")) == sorted(generated.GENERATED)


def _seed(name: str):
    return json.loads((SEEDS / name).read_text(encoding="utf-8"))


def test_the_seeds_node_role_is_documented():
    node = FACTS["role_kinds"]["node"]
    seed_policies = [arn.rsplit("/", 1)[-1] for arn in _seed("node-managed-policy-arns.json")]
    assert set(seed_policies) <= set(node["documented_policies"])
    # Each seed policy satisfies one of the node role's requirements on its own.
    for name in seed_policies:
        assert any(name in requirement["policies"] for requirement in node["required"]), name
    trust = _seed("node-trust-policy.json")["Statement"][0]["Principal"]["Service"]
    assert facts.service_principal(node["trust_service"]) == trust


def test_the_seeds_connector_role_is_documented():
    connector = FACTS["role_kinds"]["connector"]
    seed_document = json.dumps(_seed("connector-agent-policy.json")).replace("arn:aws:", "arn:<partition>:")
    assert facts.policy_document("AmazonEKSConnectorAgentPolicy") == json.loads(seed_document)
    trust = _seed("connector-agent-trust-policy.json")["Statement"][0]["Principal"]["Service"]
    assert [facts.service_principal(connector["trust_service"])] == trust


@pytest.mark.parametrize("kind", sorted(FACTS["role_kinds"]))
def test_each_role_kind_is_held_to_its_dated_pages(kind):
    role_kind = FACTS["role_kinds"][kind]
    today = [FACTS["pages"][page] for page in role_kind["pages"] if FACTS["pages"][page]["excerpt"] != "seeds"]
    assert today, f"{kind} cites no page of today"
    text = " ".join((POLICY_DIR / "facts" / page["excerpt"]).read_text(encoding="utf-8") for page in today)
    assert all(page["read_on"] in text and page["url"] in text for page in today)
    for requirement in role_kind["required"]:
        # Today's page names at least one of the policies that satisfy each requirement.
        assert any(name in text for name in requirement["policies"]), requirement
    assert facts.service_principal(role_kind["trust_service"]) in text


def test_todays_node_page_and_the_seed_differ_only_where_both_are_documented():
    page = (PAGES / "create-node-role.md").read_text(encoding="utf-8")
    assert "AmazonEC2ContainerRegistryPullOnly" in page
    seed = (SEEDS / "node-managed-policy-arns.json").read_text(encoding="utf-8")
    assert "AmazonEC2ContainerRegistryReadOnly" in seed
    registry = next(r for r in FACTS["role_kinds"]["node"]["required"] if "AmazonEC2ContainerRegistryPullOnly" in r["policies"])
    assert set(registry["policies"]) == {"AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly"}
    assert "optional" in page.lower() and "VPC CNI" in page
    cni = next(r for r in FACTS["role_kinds"]["node"]["required"] if r["policies"] == ["AmazonEKS_CNI_Policy"])
    assert cni.get("optional_when") == "cni_elsewhere"


@pytest.mark.parametrize("name", sorted(FACTS["managed_policies"]))
def test_managed_policy_documents_are_as_aws_publishes_them(name):
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    published = json.loads(aws_managed_policies_data)[name]
    shipped = FACTS["managed_policies"][name]
    assert (shipped["version"], shipped["path"], shipped["document"]) == (
        published["DefaultVersionId"], published["Path"], published["Document"],
    )


def test_privilege_escalation_actions_are_cloudsplainings():
    from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS

    iam_actions = {a for method in PRIVILEGE_ESCALATION_METHODS.values() for a in method if a.startswith("iam:")}
    assert set(FACTS["privilege_escalation"]["actions"]) == iam_actions
    assert {"iam:passrole", "iam:attachrolepolicy", "iam:putrolepolicy", "iam:createpolicyversion"} <= iam_actions


def test_every_partition_names_every_service():
    services = {kind.get("trust_service") for kind in [*FACTS["role_kinds"].values(), *FACTS["recognized_kinds"].values()]} - {None}
    for partition, table in FACTS["partitions"].items():
        assert services <= set(table["services"]), partition
        assert all(re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", p) for p in table["services"].values())
