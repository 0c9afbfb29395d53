"""The AWS provider bindings, importable a submodule at a time.

``cdktf_cdktf_provider_aws/__init__.py`` eagerly imports ~2,200 submodules (~9 s, ~600 MB). As
``import eksiam`` runs, the package is registered without running that ``__init__``, so an app
that imports eksiam before the bindings loads only the submodules it names, whether they are
eksiam's constructs or raw resources of the app's own. ``package.submodule`` still works (it is
imported on first access). An app that imported the whole package first is unaffected: the
real package is then already in ``sys.modules``. Nothing here imports cdktf or starts jsii.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

PACKAGE = "cdktf_cdktf_provider_aws"


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
