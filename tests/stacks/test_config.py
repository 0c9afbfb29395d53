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
