"""eksiam.toml and EKSIAM_* overrides: typed, validated, unknown keys rejected."""

from __future__ import annotations

import pytest

from eksiam.errors import UsageError
from eksiam.config import load_config


def write(tmp_path, text: str):
    path = tmp_path / "eksiam.toml"
    path.write_text(text)
    return path


def test_defaults_are_the_documented_names():
    config = load_config(None, environ={})
    assert config.connector.name == "AmazonEKSConnectorAgentRole"
    assert config.node.name == "NodeInstanceRole"
    assert config.connector.create_service_linked_role is True
    assert config.connector_enabled and config.node_enabled


def test_toml_values_and_tags_reach_both_roles(tmp_path):
    path = write(tmp_path, """
[connector]
role_name = "ConnectorRole"
create_service_linked_role = false

[node]
role_name = "nodes"
path = "/eks/"
additional_policy_arns = ["arn:aws:iam::123456789012:policy/NodeLogs"]
attach_ssm_managed_instance_core = true

[tags]
team = "platform"
""")
    config = load_config(path, environ={})
    assert config.connector.name == "ConnectorRole"
    assert config.connector.create_service_linked_role is False
    assert config.node.path == "/eks/"
    assert dict(config.node.additional_policy_arns) == {"nodelogs": "arn:aws:iam::123456789012:policy/NodeLogs"}
    assert dict(config.connector.tags) == {"team": "platform"} == dict(config.node.tags)
    assert config.to_policy_data()["node"]["allow_ssm_managed_instance_core"] is True


def test_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, '[node]\nrole_name = "from-file"\n')
    config = load_config(path, environ={
        "EKSIAM_NODE_ROLE_NAME": "from-env",
        "EKSIAM_CONNECTOR_ENABLED": "false",
        "EKSIAM_NODE_ADDITIONAL_POLICY_ARNS": "arn:aws:iam::123456789012:policy/A, arn:aws:iam::123456789012:policy/B",
        "EKSIAM_TAGS_TEAM": "platform",
        "EKSIAM_OPA_TOKEN": "not config, ignored",
    })
    assert config.node.name == "from-env"
    assert config.connector_enabled is False
    assert sorted(config.node.additional_policy_arns.values()) == [
        "arn:aws:iam::123456789012:policy/A", "arn:aws:iam::123456789012:policy/B"]
    assert dict(config.node.tags) == {"team": "platform"}
    assert "environment" in config.source


@pytest.mark.parametrize("text, named", [
    ('[node]\nrole_nam = "x"\n', "role_nam"),
    ('[nodes]\nrole_name = "x"\n', "[nodes]"),
    ('[node]\nrole_name = "bad name"\n', "[node] role_name"),
    ('[node]\npath = "eks"\n', "[node] path"),
    ('[connector]\npermissions_boundary = "arn:aws:iam::12:policy/x"\n', "[connector] permissions_boundary"),
    ('[node]\nadditional_policy_arns = ["nope"]\n', "additional_policy_arns"),
    ('[node]\nmax_session_duration = "long"\n', "max_session_duration"),
    ('[tags]\n"aws:owner" = "me"\n', "[tags]"),
    ('[node\n', "not valid TOML"),
])
def test_invalid_config_names_the_key(tmp_path, text, named):
    with pytest.raises(UsageError) as error:
        load_config(write(tmp_path, text), environ={})
    assert named in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("environ, named", [
    ({"EKSIAM_NODE_ROLENAME": "x"}, "EKSIAM_NODE_ROLENAME"),
    ({"EKSIAM_CONNECTOR_ENABLED": "maybe"}, "EKSIAM_CONNECTOR_ENABLED"),
    ({"EKSIAM_NODE_MAX_SESSION_DURATION": "1h"}, "EKSIAM_NODE_MAX_SESSION_DURATION"),
])
def test_invalid_environment_names_the_variable(environ, named):
    with pytest.raises(UsageError) as error:
        load_config(None, environ=environ)
    assert named in str(error.value)


def test_missing_config_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_config(tmp_path / "absent.toml", environ={})


def test_default_file_in_working_directory_is_read(tmp_path, monkeypatch):
    write(tmp_path, '[node]\nrole_name = "picked-up"\n')
    monkeypatch.chdir(tmp_path)
    assert load_config(None, environ={}).node.name == "picked-up"


def test_backend_defaults_to_local():
    backend = load_config(None, environ={}).backend
    assert backend.type == "local"
    assert backend.use_lockfile is True


def test_cloud_backend_from_toml(tmp_path):
    path = write(tmp_path, """
[backend]
type = "cloud"
organization = "acme"
workspace_prefix = "eks-iam-"
hostname = "tfe.example.com"
project = "platform"
""")
    backend = load_config(path, environ={}).backend
    assert (backend.type, backend.organization, backend.hostname, backend.project) == (
        "cloud", "acme", "tfe.example.com", "platform")
    assert backend.workspace("eksiam-node") == "eks-iam-eksiam-node"


def test_s3_backend_from_toml(tmp_path):
    path = write(tmp_path, """
[backend]
type = "s3"
bucket = "acme-tfstate"
key_prefix = "eks-iam/"
region = "eu-west-1"
use_lockfile = false
dynamodb_table = "tf-locks"
""")
    backend = load_config(path, environ={}).backend
    assert backend.state_key("eksiam-connector") == "eks-iam/eksiam-connector.tfstate"
    assert (backend.region, backend.use_lockfile, backend.dynamodb_table) == ("eu-west-1", False, "tf-locks")


def test_backend_environment_overrides(tmp_path):
    path = write(tmp_path, '[backend]\ntype = "s3"\nbucket = "from-file"\n')
    backend = load_config(path, environ={
        "EKSIAM_BACKEND_BUCKET": "from-env",
        "EKSIAM_BACKEND_USE_LOCKFILE": "false",
        "EKSIAM_BACKEND_KEY_PREFIX": "team/",
    }).backend
    assert (backend.bucket, backend.use_lockfile, backend.key_prefix) == ("from-env", False, "team/")


def test_backend_type_from_environment_drops_the_files_other_keys(tmp_path):
    # EKSIAM_BACKEND_TYPE=local runs a cloud project locally; the file's cloud keys no longer apply.
    path = write(tmp_path, '[backend]\ntype = "cloud"\norganization = "acme"\n')
    assert load_config(path, environ={"EKSIAM_BACKEND_TYPE": "local"}).backend.organization == ""
    with pytest.raises(UsageError, match=r"\[backend\] bucket is required"):
        load_config(path, environ={"EKSIAM_BACKEND_TYPE": "s3"})


@pytest.mark.parametrize("text, named", [
    ('[backend]\ntype = "gcs"\n', "[backend] type = 'gcs'"),
    ('[backend]\ntype = 3\n', "[backend] type = 3 must be a str"),
    ('[backend]\ntyp = "cloud"\n', "unknown key [backend] typ"),
    ('[backend]\ntype = "cloud"\n', "[backend] organization is required"),
    ('[backend]\ntype = "cloud"\norganization = "acme corp"\n', "[backend] organization"),
    ('[backend]\ntype = "cloud"\norganization = "acme"\nworkspace_prefix = "eks iam/"\n', "[backend] workspace_prefix"),
    ('[backend]\ntype = "cloud"\norganization = "acme"\nworkspace_prefix = "' + "p" * 65 + '"\n', "[backend] workspace_prefix"),
    ('[backend]\ntype = "cloud"\norganization = "acme"\nhostname = "https://app.terraform.io"\n', "[backend] hostname"),
    ('[backend]\ntype = "cloud"\norganization = "acme"\nproject = "' + "x" * 41 + '"\n', "[backend] project"),
    ('[backend]\ntype = "cloud"\norganization = "acme"\nbucket = "b"\n', '[backend] bucket applies to type = "s3"'),
    ('[backend]\ntype = "s3"\n', "[backend] bucket is required"),
    ('[backend]\ntype = "s3"\nbucket = "Acme_State"\n', "[backend] bucket"),
    ('[backend]\ntype = "s3"\nbucket = "acme..state"\n', "[backend] bucket"),
    ('[backend]\ntype = "s3"\nbucket = "acme"\nkey_prefix = "/abs/"\n', "[backend] key_prefix"),
    ('[backend]\ntype = "s3"\nbucket = "acme"\nkey_prefix = "a//b/"\n', "[backend] key_prefix"),
    ('[backend]\ntype = "s3"\nbucket = "acme"\nregion = "Ireland"\n', "[backend] region"),
    ('[backend]\ntype = "s3"\nbucket = "acme"\ndynamodb_table = "x"\n', "[backend] dynamodb_table"),
    ('[backend]\ntype = "s3"\nbucket = "acme"\nuse_lockfile = "yes"\n', "[backend] use_lockfile"),
    ('[backend]\ntype = "s3"\nbucket = "acme"\norganization = "acme"\n', '[backend] organization applies to type = "cloud"'),
    ('[backend]\nbucket = "acme"\n', '[backend] bucket applies to type = "s3", not to type = "local"'),
    ('backend = "cloud"\n', "backend must be a table"),
])
def test_invalid_backend_names_the_key(tmp_path, text, named):
    with pytest.raises(UsageError) as error:
        load_config(write(tmp_path, text), environ={})
    assert named in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("environ, named", [
    ({"EKSIAM_BACKEND_TYP": "s3"}, "EKSIAM_BACKEND_TYP"),
    ({"EKSIAM_BACKEND_TYPE": "remote"}, "[backend] type = 'remote'"),
    ({"EKSIAM_BACKEND_TYPE": "s3", "EKSIAM_BACKEND_BUCKET": "b", "EKSIAM_BACKEND_USE_LOCKFILE": "sometimes"},
     "EKSIAM_BACKEND_USE_LOCKFILE"),
])
def test_invalid_backend_environment_names_the_variable(environ, named):
    with pytest.raises(UsageError) as error:
        load_config(None, environ=environ)
    assert named in str(error.value)


def test_a_stack_section_overrides_the_shared_ones_for_that_stack_only(tmp_path):
    path = write(tmp_path, """
[backend]
type = "cloud"
organization = "acme"

[node]
role_name = "nodes"

[stacks.prod-eu.backend]
type = "s3"
bucket = "acme-tfstate"

[stacks.prod-eu.node]
role_name = "prod-nodes"
""")
    config = load_config(path, environ={})
    prod = config.for_stack("prod-eu")
    assert (prod.backend.type, prod.backend.bucket, prod.node.name) == ("s3", "acme-tfstate", "prod-nodes")
    dev = config.for_stack("dev")
    assert (dev.backend.type, dev.backend.organization, dev.node.name) == ("cloud", "acme", "nodes")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[stacks.prod.gate]\nfail_on = "LOW"\n', r"\[stacks.prod.gate\] cannot be set per stack"),
        ("[stacks.prod.node]\nrole_nme = \"x\"\n", r"unknown key \[node\] role_nme"),
        ('[stacks.prod.backend]\ntype = "s3"\n', r"\[stacks.prod\].*bucket is required"),
        ("[stacks]\nprod = 1\n", r"\[stacks.prod\] must be a table"),
    ],
)
def test_bad_stack_sections_are_refused_before_any_synth(tmp_path, text, problem):
    with pytest.raises(UsageError, match=problem):
        load_config(write(tmp_path, text), environ={})
