"""What an app's synthesized JSON records for the gate: where the user's code made each
resource, and what it suppressed in code. The SDK writes it at synth time; the gate reads it
(:mod:`eksiam.gate.app_metadata`). One writer, one reader, one shape::

    "resource": {"aws_iam_role_policy_attachment": {"admin": {
        "//": {"metadata": {"path": "prod/admin", …},          # cdktf's own
               "eksiam": {"source": {"file": "stacks/iam.py", "line": 30}}},
        …}}},
    "//": {"metadata": {…}, "eksiam": {"suppressions": [
        {"construct": "prod/workers", "rule": "EKSIAM-NODE-003", "reason": "…",
         "expires": "2027-01-31", "source": {"file": "stacks/iam.py", "line": 41}}]}}

``"//"`` is a comment in Terraform's JSON syntax, at any level: Terraform, checkov and the
Rego adapters all pass over it. Paths are relative to the app's working directory (the
project), so the output holds no absolute path of the machine and is the same on every one.

The source of a resource is the first frame of the Python stack that is the app's own code:
not eksiam, not an installed package, not the standard library. An eksiam construct's
resources therefore point at the line that made the construct; a raw cdktf resource at the
line that made it. The recording is installed when the constructs load (``eksiam.cdk``) or by
:func:`track_sources`, so it works under ``eksiam synth``/``check`` and plain ``cdktf synth``
alike; resources made before it is installed have no source, and the gate says so.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path
from types import FrameType
from typing import Any

KEY = "eksiam"
SOURCE = "source"
SUPPRESSIONS = "suppressions"
# A rule id as reports print it: EKSIAM-NODE-003, CKV_AWS_274.
RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_PACKAGE_DIR = Path(__file__).resolve().parent
_LIBRARY_PARTS = frozenset({"site-packages", "dist-packages"})
_STDLIB_DIRS = tuple(
    Path(p).resolve() for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]} if p
)


@lru_cache(maxsize=512)
def _is_library(filename: str) -> bool:
    if filename.startswith("<"):
        return True
    path = Path(filename).resolve()
    if _LIBRARY_PARTS.intersection(path.parts):
        return True
    return any(path.is_relative_to(d) for d in (_PACKAGE_DIR, *_STDLIB_DIRS))


def user_source(frame: FrameType | None) -> dict[str, Any] | None:
    """``{"file", "line"}`` of the first frame from ``frame`` outward that is the app's own code,
    relative to the working directory; None when that code lies outside it (or there is none)."""
    project = Path.cwd().resolve()
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_library(filename):
            try:
                relative = Path(os.path.abspath(filename)).resolve().relative_to(project)
            except ValueError:
                return None
            return {"file": relative.as_posix(), "line": frame.f_lineno}
        frame = frame.f_back
    return None


_installed = False


def track_sources() -> None:
    """Record, in each resource's and data source's ``"//"`` metadata, the line of the app that
    made it. Idempotent; eksiam's constructs call it when they load, an app that uses none of
    them calls it once before it makes its resources."""
    global _installed
    if _installed:
        return
    import jsii
    from cdktf import TerraformDataSource, TerraformResource

    create = jsii.create

    def create_and_record(klass: Any, obj: Any, args: Any = None, *rest: Any) -> Any:
        reference = create(klass, obj, args, *rest)
        if isinstance(obj, (TerraformResource, TerraformDataSource)):
            source = user_source(sys._getframe(1))
            if source is not None:
                obj.add_override(f"//.{KEY}.{SOURCE}", source)
        return reference

    # The generated bindings call ``jsii.create(...)`` through the module at each construction,
    # so every resource class, the provider's and the app's own subclasses alike, passes here.
    jsii.create = create_and_record
    _installed = True
