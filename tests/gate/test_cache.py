"""eksiam.gate.cache: a hit is the same evaluation; anything else is ignored, never trusted."""

from __future__ import annotations

import json
import os

from eksiam.gate.cache import Cache, cache_key, tree_digest


def test_round_trip_and_key_depends_on_every_part(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key("opa", {"input": "a", "policy": "p"})
    assert cache.get("opa", key) is None
    cache.put("opa", key, {"findings": [1, 2]})
    assert cache.get("opa", key) == {"findings": [1, 2]}
    assert cache_key("opa", {"input": "b", "policy": "p"}) != key
    assert cache_key("checkov", {"input": "a", "policy": "p"}) != key
    assert cache.get("checkov", key) is None, "an entry of another kind is not this one"


def test_disabled_cache_reads_and_writes_nothing(tmp_path):
    key = cache_key("plan", {"stack": "x"})
    Cache(tmp_path).put("plan", key, {"plan": 1})
    assert Cache(tmp_path, enabled=False).get("plan", key) is None
    Cache(tmp_path / "off", enabled=False).put("plan", key, {"plan": 1})
    assert not (tmp_path / "off").exists()


def entry_path(root, kind, key):
    return root / kind / key[:2] / f"{key}.json"


def test_corrupt_truncated_or_tampered_entries_are_ignored(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key("opa", {"input": "a"})
    cache.put("opa", key, {"findings": []})
    path = entry_path(tmp_path, "opa", key)
    text = path.read_text()

    path.write_text(text[: len(text) // 2])
    assert cache.get("opa", key) is None

    entry = json.loads(text)
    entry["value"] = {"findings": [], "rules": ["bogus"]}  # a pass that was never evaluated
    path.write_text(json.dumps(entry))
    assert cache.get("opa", key) is None

    other = cache_key("opa", {"input": "b"})
    entry = json.loads(text)
    moved = entry_path(tmp_path, "opa", other)
    moved.parent.mkdir(parents=True, exist_ok=True)
    moved.write_text(json.dumps(entry))  # an entry filed under a key it was not made for
    assert cache.get("opa", other) is None


def test_entries_others_could_have_written_are_not_trusted(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key("plan", {"stack": "x"})
    cache.put("plan", key, {"plan": 1})
    path = entry_path(tmp_path, "plan", key)
    path.chmod(0o666)
    assert cache.get("plan", key) is None
    path.chmod(0o600)
    assert cache.get("plan", key) == {"plan": 1}
    path.unlink()
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    os.symlink(target, path)
    assert cache.get("plan", key) is None


def test_unwritable_cache_is_not_an_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    Cache(blocked).put("plan", cache_key("plan", {}), {"plan": 1})  # nothing raised
    assert Cache(blocked).get("plan", cache_key("plan", {})) is None


def test_tree_digest_follows_content_and_names(tmp_path):
    (tmp_path / "a.rego").write_text("package a")
    first = tree_digest(tmp_path, "**/*.rego")
    (tmp_path / "a.rego").write_text("package a\n")
    second = tree_digest(tmp_path, "**/*.rego")
    (tmp_path / "a.rego").rename(tmp_path / "b.rego")
    assert len({first, second, tree_digest(tmp_path, "**/*.rego")}) == 3


def test_a_tools_cache_directory_is_this_users_alone_or_none(tmp_path):
    directory = Cache(tmp_path / "cache").directory("checkov-import")
    assert directory == tmp_path / "cache" / "checkov-import" and directory.stat().st_mode & 0o777 == 0o700
    assert Cache(tmp_path / "cache", enabled=False).directory("other") is None
    assert not (tmp_path / "cache" / "other").exists()
    directory.chmod(0o777)  # others could have written what the tool would read back
    assert Cache(tmp_path / "cache").directory("checkov-import") is None
    (tmp_path / "file").write_text("")
    assert Cache(tmp_path / "file").directory("x") is None  # cannot be made: no cache, no error
