"""The Node half of eksiam.provider_bindings: preloaded into jsii's Node process, it makes the AWS
provider bindings' index.js load each submodule on first access (eksiam/provider_bindings.js).

The index.js is the real one, out of the bindings' jsii tarball; its 2,135 submodules are stubs
that record their loading, so the cases run without cdktf, in a second."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from eksiam import provider_bindings
from eksiam.jsii_node import select_node

PROBE = """
globalThis.loaded = [];
const root = process.argv[1];
const bindings = require(root);
const atLoad = globalThis.loaded.length;
const keys = Object.keys(bindings);
const first = bindings.iamRole, second = bindings.iamRole;
const loaded = globalThis.loaded.slice();
const same = first === second && first === require(root + "/lib/iam-role");
bindings.iamRole = "replaced";
console.log(JSON.stringify({ atLoad, keys, loaded, same, replaced: bindings.iamRole }));
"""


@functools.cache
def real_index() -> tuple[str, str]:
    """The bindings' package.json and lib/index.js, as jsii unpacks them."""
    spec = importlib.util.find_spec("cdktf_cdktf_provider_aws")
    assert spec is not None and spec.submodule_search_locations
    (tarball,) = Path(next(iter(spec.submodule_search_locations)), "_jsii").glob("*.jsii.tgz")
    with tarfile.open(tarball) as archive:
        files = [archive.extractfile(f"package/{name}") for name in ("package.json", "lib/index.js")]
        manifest, index = (file.read().decode("utf-8") for file in files if file is not None)
    return manifest, index


def package_of_stubs(root: Path, manifest: str, index: str) -> Path:
    """A package with this manifest and index.js, each submodule a stub that records its load."""
    (root / "lib").mkdir(parents=True)
    (root / "package.json").write_text(manifest)
    (root / "lib" / "index.js").write_text(index)
    for submodule in re.findall(r'require\("\./([^"]+)"\)', index):
        (root / "lib" / submodule).mkdir()
        (root / "lib" / submodule / "index.js").write_text(
            f"globalThis.loaded.push({json.dumps(submodule)}); exports.name = {json.dumps(submodule)};\n"
        )
    return root


@pytest.fixture(scope="module")
def bindings(tmp_path_factory) -> Path:
    return package_of_stubs(tmp_path_factory.mktemp("bindings") / "provider-aws", *real_index())


@pytest.fixture(scope="module")
def node() -> str:
    found = select_node(dict(os.environ))
    assert found, "no Node.js: run make setup"
    return found


def run_probe(node: str, package: Path, node_options: str | None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "NODE_OPTIONS"}
    if node_options is not None:
        env["NODE_OPTIONS"] = node_options
    done = subprocess.run([node, "-e", PROBE, str(package)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def preloading() -> str:
    env: dict[str, str] = {}
    provider_bindings.load_lazily_in_node(env)
    return env["NODE_OPTIONS"]


def test_the_real_index_loads_a_submodule_only_when_it_is_used(node, bindings):
    eager = run_probe(node, bindings, None)
    lazy = run_probe(node, bindings, preloading())
    assert eager["atLoad"] > 2000  # as written, every submodule loads with the package
    assert lazy["atLoad"] == 0 and lazy["loaded"] == ["iam-role"]
    assert lazy["keys"] == eager["keys"]  # the same exports, in the same order
    assert lazy["same"] and eager["same"]
    assert lazy["replaced"] == eager["replaced"] == "replaced"


def test_another_package_of_the_same_form_loads_as_written(node, tmp_path):
    manifest, index = real_index()
    other = package_of_stubs(tmp_path / "other", manifest.replace('"@cdktf/provider-aws"', '"@example/bindings"'), index)
    assert run_probe(node, other, preloading())["atLoad"] > 2000


def test_a_users_node_options_stay_and_an_awkward_path_still_preloads(node, bindings, tmp_path, monkeypatch):
    awkward = tmp_path / 'a dir with "quotes" and \\ in it' / "provider_bindings.js"
    awkward.parent.mkdir()
    shutil.copyfile(provider_bindings.NODE_PRELOAD, awkward)
    monkeypatch.setattr(provider_bindings, "NODE_PRELOAD", awkward)
    env = {"NODE_OPTIONS": "--max-old-space-size=512"}
    provider_bindings.load_lazily_in_node(env)
    provider_bindings.load_lazily_in_node(env)  # a second import changes nothing
    assert env["NODE_OPTIONS"].startswith("--max-old-space-size=512 ") and env["NODE_OPTIONS"].count("--require") == 1
    assert run_probe(node, bindings, env["NODE_OPTIONS"])["atLoad"] == 0


def test_a_missing_preload_is_not_asked_for(monkeypatch, tmp_path):
    monkeypatch.setattr(provider_bindings, "NODE_PRELOAD", tmp_path / "gone.js")
    env = {"NODE_OPTIONS": "--max-old-space-size=512"}
    provider_bindings.load_lazily_in_node(env)
    assert env == {"NODE_OPTIONS": "--max-old-space-size=512"}  # Node would refuse to start
