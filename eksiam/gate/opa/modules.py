"""The Rego modules of the policy set: read from the policy directory, ordered for upload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from typing import TYPE_CHECKING

from eksiam.errors import ToolError
from eksiam.gate.policy_set import policy_files

if TYPE_CHECKING:
    from opa_client.errors import RegoParseError


def policy_modules(policy_dir: str | Path) -> dict[str, str]:
    """Every Rego module under ``policy_dir`` except tests, keyed by its relative path."""
    root = Path(policy_dir)
    modules: dict[str, str] = {}
    for path in policy_files(root):
        policy_id = path.relative_to(root).as_posix()
        try:
            modules[policy_id] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ToolError(f"cannot read policy {path}: {error}: restore the file") from None
    if not modules:
        raise ToolError(f"no Rego policies under {root}: reinstall eksiam or run from the project root")
    return modules


_PACKAGE_LINE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_UNDEFINED_FUNCTION = re.compile(r"^undefined function (data\.[\w.]+)\.\w+$")


def function_cycle(failures: Mapping[str, RegoParseError], modules: Mapping[str, str]) -> list[str]:
    """The modules that failed only for calling functions of one another, if that is all that failed.

    Rego allows such mutual calls when every module is compiled together (conftest, HCP
    Terraform policy sets), but not when each upload must compile on its own.
    """
    packages = {
        f"data.{match[1]}": policy_id
        for policy_id in failures
        if (match := _PACKAGE_LINE.search(modules[policy_id]))
    }
    for error in failures.values():
        details = [e for e in error.errors if isinstance(e, dict)]
        if not details:
            return []
        for detail in details:
            match = _UNDEFINED_FUNCTION.match(str(detail.get("message", "")))
            if detail.get("code") != "rego_type_error" or not match or match[1] not in packages:
                return []
    return sorted(failures)


_IMPORT_LINE = re.compile(r"^import\s+(data\.[\w.]+)", re.MULTILINE)


def upload_order(modules: Mapping[str, str]) -> list[str]:
    """Policy ids with every module after the modules whose packages it imports."""
    package_of = {policy_id: f"data.{m[1]}" for policy_id, source in modules.items() if (m := _PACKAGE_LINE.search(source))}
    providers: dict[str, list[str]] = {}
    for policy_id, package in package_of.items():
        providers.setdefault(package, []).append(policy_id)
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(policy_id: str) -> None:
        if policy_id in ordered or policy_id in visiting:
            return  # a cycle is left to the retry rounds, which report it
        visiting.add(policy_id)
        for imported in _IMPORT_LINE.findall(modules[policy_id]):
            for dependency in providers.get(imported, []):
                visit(dependency)
        visiting.discard(policy_id)
        ordered.append(policy_id)

    for policy_id in sorted(modules):
        visit(policy_id)
    return ordered


