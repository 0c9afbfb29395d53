"""One declaration per setting (eksiam/settings.py): the TOML reader, the EKSIAM_* environment,
OPA's data and the checkov checks' environment are all derived from it, and the Rego defaults
are generated from it."""

from __future__ import annotations

import json

import pytest

from eksiam import settings
from eksiam.config import load_config
from eksiam.errors import UsageError
from eksiam.gate.checkov.environment import CheckovOptions, checkov_environment, options_from_config
from eksiam.settings import CHECKOV_SETTINGS_ENV, SETTINGS, Setting

from rego_harness import POLICY_DIR

THROWAWAY = Setting("gate", "throwaway_limit", int, 7, "a setting declared by this test only", rules="throwaway_limit")


@pytest.fixture()
def throwaway(monkeypatch):
    monkeypatch.setattr(settings, "SETTINGS", (*SETTINGS, THROWAWAY))
    return THROWAWAY


# One query for every setting (the engine prepares a query text once): what varies is input.
SETTING_QUERY = "x := data.eksiam.lib.config.setting(input.section, input.key) with data.eksiam.config as input.config"


def setting_in_opa(engine, config_data: dict, section: str, key: str):
    """What the rules' own accessor (lib/config.rego) reads for a setting, given OPA ``config_data``."""
    found = engine.eval_query(SETTING_QUERY, {"config": config_data, "section": section, "key": key})
    return found[0]["x"] if found else None


def test_a_declared_setting_reaches_toml_env_opa_and_checkov(throwaway, policy_engine, tmp_path):
    toml = tmp_path / "eksiam.toml"
    toml.write_text("[gate]\nthrowaway_limit = 11\n")
    from_file = load_config(toml, environ={})
    assert from_file.to_policy_data()["gate"]["throwaway_limit"] == 11

    from_env = load_config(toml, environ={throwaway.env: "13"})
    data = from_env.to_policy_data()
    assert data["gate"]["throwaway_limit"] == 13
    assert setting_in_opa(policy_engine, data, "gate", "throwaway_limit") == 13

    env = checkov_environment(options_from_config(from_env), tmp_path)
    assert json.loads(env[CHECKOV_SETTINGS_ENV])["gate"]["throwaway_limit"] == 13

    with pytest.raises(UsageError, match="(?i)throwaway_limit"):
        load_config(toml, environ={throwaway.env: "many"})


def test_an_undeclared_key_is_still_an_error(tmp_path):
    toml = tmp_path / "eksiam.toml"
    toml.write_text("[gate]\nthrowaway_limit = 11\n")
    with pytest.raises(UsageError, match=r"unknown key \[gate\] throwaway_limit"):
        load_config(toml, environ={})


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.rules], ids=lambda s: f"{s.section}.{s.key}")
def test_every_setting_the_rules_read_reaches_both_engines(setting, policy_engine, tmp_path):
    value = _a_value_other_than_the_default(setting)
    config = load_config(None, environ={setting.env: _env_text(value)})
    data = config.to_policy_data()
    assert setting_in_opa(policy_engine, data, setting.section, setting.rules) == value
    env = checkov_environment(options_from_config(config), tmp_path)
    assert json.loads(env[CHECKOV_SETTINGS_ENV])[setting.section][setting.rules] == value


def _a_value_other_than_the_default(setting: Setting):
    if setting.type is bool:
        return not setting.default
    if setting.type is int:
        return setting.default + 1
    if setting.type is list:
        return ["node"] if setting.key == "require_roles" else ["arn:aws:iam::123456789012:policy/Extra"]
    if setting.key == "permissions_boundary":
        return "arn:aws:iam::123456789012:policy/Boundary"
    if setting.key == "path":
        return "/eks/"
    return "SomeRoleName"


def _env_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, list) else str(value)


def test_the_generated_rego_defaults_equal_the_declarations(policy_engine):
    generated = (POLICY_DIR / "lib" / "settings.rego").read_text(encoding="utf-8")
    assert generated == settings.rego_module(), "run `python -m eksiam.generated policy` and commit the result"
    assert policy_engine.eval_query("x := data.eksiam.lib.config.defaults")[0]["x"] == settings.rules_defaults()


def test_without_data_the_rules_read_the_declared_defaults(policy_engine):
    read = [s for s in SETTINGS if s.rules]
    query = "x := [" + ", ".join(f'data.eksiam.lib.config.setting("{s.section}", "{s.rules}")' for s in read) + "]"
    found = policy_engine.eval_query(query)[0]["x"]
    assert found == [settings.rules_defaults()[s.section][s.rules] for s in read]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[gate]\nfail_on = "SEVERE"\n', "fail_on"),
        ('[gate]\ncheckov_scope = "some"\n', "checkov_scope"),
        ("[gate]\nmax_waiver_days = 0\n", "max_waiver_days"),
        ('[gate]\nrequire_roles = ["cluster-admin"]\n', "require_roles"),
    ],
)
def test_bad_gate_values_are_refused_naming_the_key(tmp_path, text, problem):
    toml = tmp_path / "eksiam.toml"
    toml.write_text(text)
    with pytest.raises(UsageError, match=problem):
        load_config(toml, environ={})


def test_the_older_checkov_scope_variable_is_an_alias(tmp_path):
    assert load_config(None, environ={"EKSIAM_CHECKOV_SCOPE": "all"}).gate.checkov_scope == "all"
    both = {"EKSIAM_CHECKOV_SCOPE": "all", "EKSIAM_GATE_CHECKOV_SCOPE": "iam"}
    assert load_config(None, environ=both).gate.checkov_scope == "iam"
    assert load_config(None, environ={}).gate.checkov_scope == "eks"


def test_without_settings_the_checkov_checks_get_none(tmp_path):
    assert CHECKOV_SETTINGS_ENV not in checkov_environment(CheckovOptions(), tmp_path)
