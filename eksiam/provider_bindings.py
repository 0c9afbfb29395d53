"""The AWS provider bindings, importable a submodule at a time.

``cdktf_cdktf_provider_aws/__init__.py`` eagerly imports ~2,200 submodules (~9 s, ~600 MB). As
``import eksiam`` runs, the package is registered without running that ``__init__``, so an app
that imports eksiam before the bindings loads only the submodules it names, whether they are
eksiam's constructs or raw resources of the app's own. ``package.submodule`` still works (it is
imported on first access). An app that imported the whole package first is unaffected: the
real package is then already in ``sys.modules``. Nothing here imports cdktf or starts jsii.

The same holds in the Node process jsii starts, whose ``require`` of the package loads all its
JavaScript (~3 CPU-s of every synth): :func:`load_lazily_in_node` preloads
``provider_bindings.js`` there, through ``NODE_OPTIONS``, so a synth loads only the submodules
it uses in Node too. It must run before cdktf starts jsii, as ``import eksiam`` does.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

PACKAGE = "cdktf_cdktf_provider_aws"
NODE_PRELOAD = Path(__file__).with_name("provider_bindings.js")


def register_lazily(name: str = PACKAGE) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        return  # let the imports of its submodules raise the ordinary ImportError
    package = types.ModuleType(name)
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin

    def submodule(attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        try:
            return importlib.import_module(f"{name}.{attribute}")
        except ModuleNotFoundError as error:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from error

    package.__getattr__ = submodule  # type: ignore[method-assign]  # PEP 562: a module-level __getattr__
    sys.modules[name] = package


def load_lazily_in_node(environ: MutableMapping[str, str] | None = None) -> None:
    """Add the preload of ``provider_bindings.js`` to ``NODE_OPTIONS`` in ``environ`` (default:
    this process's, which jsii's Node and the gate's synth inherit); a user's own options stay."""
    environ = os.environ if environ is None else environ
    quoted = '"' + str(NODE_PRELOAD).replace("\\", "\\\\").replace('"', '\\"') + '"'
    preload = f"--require {quoted}"
    options = environ.get("NODE_OPTIONS", "")
    if NODE_PRELOAD.is_file() and preload not in options:  # a Node told to preload a missing file won't start
        environ["NODE_OPTIONS"] = f"{options} {preload}".strip()
