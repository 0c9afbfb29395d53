"""Where a resource sits in the JSON file it came from, so annotations land on its line.

``json`` forgets positions, so :func:`key_lines` tokenizes the text itself and records the line
of every object key by its path. A synthesized ``cdk.tf.json`` states a resource as
``"resource": {"<type>": {"<name>": {…}}}``, so ``aws_iam_role.node_role`` is the key path
``("resource", "aws_iam_role", "node_role")``. A plan names resources in ``"address"`` values
and an IAM snapshot in ``"RoleName"``/``"Arn"`` values, found by a plain text search.
"""

from __future__ import annotations

import os

import json
import re
from functools import lru_cache
from pathlib import Path

from eksiam.gate.findings import Finding

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line of every object key, by its path of keys (array items are skipped)."""
    lines: dict[tuple[str, ...], int] = {}
    stack: list[str | None] = []  # per open container: "{" or "["
    path: list[str] = []  # keys of the objects enclosing the current position
    pending_key: tuple[str, int] | None = None
    expecting_key = False
    line = 1
    position = 0
    for match in _TOKEN.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        token = match.group()
        if token == "{":
            if pending_key is not None:
                path.append(pending_key[0])
                pending_key = None
            elif stack and stack[-1] == "{":  # cannot happen in valid JSON
                path.append("")
            stack.append("{")
            expecting_key = True
        elif token == "[":
            if pending_key is not None:
                path.append(pending_key[0])
                pending_key = None
            stack.append("[")
            expecting_key = False
        elif token in "}]":
            if stack:
                stack.pop()
                if stack and stack[-1] == "{" and path:
                    path.pop()
            pending_key = None
            expecting_key = False
        elif token == ",":
            pending_key = None
            expecting_key = bool(stack) and stack[-1] == "{"
        elif token == ":":
            expecting_key = False
        elif expecting_key and token.startswith('"'):
            key = json.loads(token)
            lines.setdefault((*path, key), line)
            pending_key = (key, line)
            expecting_key = False
        else:  # a scalar value: the pending key (if any) is complete
            pending_key = None
    return lines


def _address_path(address: str) -> tuple[str, ...] | None:
    parts = address.split(".")
    if len(parts) == 2 and parts[0] not in ("data", "provider", "module"):
        return ("resource", parts[0], parts[1])
    if len(parts) == 3 and parts[0] == "data":
        return ("data", parts[1], parts[2])
    if len(parts) == 2 and parts[0] == "provider":
        return ("provider", parts[1])
    return None


def resource_line(text: str, address: str) -> int | None:
    """The line that starts ``address``'s block or record in ``text``; None when not found."""
    path = _address_path(address)
    if path is not None:
        found = _cached_key_lines(text).get(path)
        if found is not None:
            return found
    for needle in (f'"address": "{address}"', f'"address":"{address}"', f'"RoleName": "{address}"', f'"Arn": "{address}"'):
        index = text.find(needle)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    index = text.find(json.dumps(address))
    if index >= 0:
        return text.count("\n", 0, index) + 1
    return None


@lru_cache(maxsize=32)
def _cached_key_lines(text: str) -> dict[tuple[str, ...], int]:
    return key_lines(text)


def file_resource_line(file: str | Path, address: str) -> int:
    """:func:`resource_line` of a file on disk; 1 when the file or the resource is not found."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, ValueError):  # unreadable, not UTF-8, or a name no file can have (NUL, lone surrogate)
        return 1
    return resource_line(text, address) or 1


def repository_root() -> Path:
    """Where CI resolves a report's relative paths: the checkout the working directory is in
    (the nearest directory with ``.git``), so an app in a subdirectory of its repository is
    annotated at ``infra/stacks/iam.py``; else the working directory."""
    here = Path.cwd().resolve()
    return next((d for d in (here, *here.parents) if (d / ".git").exists()), here)


def repository_path(file: str | Path, base: Path | None = None) -> str:
    """``file`` (absolute, or relative to the working directory) relative to ``base`` (default:
    :func:`repository_root`) with ``/``; else a file URI."""
    path = Path(file)
    absolute = _resolved(path if path.is_absolute() else Path.cwd() / path)
    try:
        return absolute.relative_to(_resolved(base or repository_root())).as_posix()
    except ValueError:
        try:
            return absolute.as_uri()
        except UnicodeError:  # a name no URI can carry (a lone surrogate): shown as it is
            return absolute.as_posix()


def _resolved(path: Path) -> Path:
    """``path`` with symlinks resolved, or only made absolute where the file system cannot
    take its name (a lone surrogate) or resolving fails."""
    try:
        return path.resolve()
    except (OSError, UnicodeError, RuntimeError):
        return Path(os.path.abspath(path))


def origin(finding: Finding) -> str:
    """Where an app's finding comes from, for people: stack, construct path and the user's line.

    Empty for a finding outside an app's stacks (a plan, an ``--input`` file, an account).
    """
    if not finding.stack:
        return ""
    where = f"stack {finding.stack}"
    if finding.construct:
        where += f", construct {finding.construct}"
    if finding.source_file:
        return f"{where}, {finding.source_file}:{finding.source_line}"
    return f"{where} (source unknown: the resource was made before eksiam was imported; call eksiam.track_sources() first)"
