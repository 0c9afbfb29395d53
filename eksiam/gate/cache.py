"""A content-addressed cache of what the gate computes from its inputs (``.eksiam/cache/``).

A plan is a pure function of the synthesized stack, the plan override, the CLI config and the
terraform binary; an engine's verdict on a file is a pure function of the file, the policy set
(or checkov's version and checks) and the settings. Each is stored under the SHA-256 of
everything it depends on, so a hit is provably the same evaluation.

An entry is trusted only when it is a regular file owned by this user, not writable by others,
whose recorded key is the key asked for and whose recorded digest matches its value; anything
else (corrupt, truncated, foreign, planted) is ignored and the work is done again. Writes are
atomic (a temporary file renamed into place), so racing runs never read half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(".eksiam") / "cache"
# Part of every key: entries of another layout or another eksiam are never read.
FORMAT = "eksiam-cache-1"


def canonical(value: Any) -> bytes:
    """The one JSON serialization keys and digests are computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def cache_key(kind: str, parts: Mapping[str, Any]) -> str:
    """SHA-256 over the entry's kind and everything its value depends on."""
    return hashlib.sha256(canonical({"format": FORMAT, "kind": kind, "parts": parts})).hexdigest()


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(root: str | Path, pattern: str = "**/*") -> str:
    """SHA-256 over the relative paths and contents of every file under ``root`` matching ``pattern``."""
    digest = hashlib.sha256()
    base = Path(root)
    for path in sorted(p for p in base.glob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(file_digest(path).encode() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Cache:
    """Entries under ``root``; ``enabled=False`` (``--no-cache``) reads and writes nothing."""

    root: Path = DEFAULT_ROOT
    enabled: bool = True

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json"

    def get(self, kind: str, key: str) -> Any | None:
        """The value stored under ``key``, or None when there is no entry to trust."""
        if not self.enabled:
            return None
        path = self._path(kind, key)
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or not _this_users_alone(info):
                return None
            entry = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("kind") != kind or "value" not in entry:
            return None
        if entry.get("digest") != hashlib.sha256(canonical(entry["value"])).hexdigest():
            return None
        return entry["value"]

    def directory(self, kind: str) -> Path | None:
        """A directory of this user's alone under the root, for a tool's own cache files (what
        checkov's parser writes as it imports); None when the cache is off or it cannot be made."""
        if not self.enabled:
            return None
        path = self.root / kind
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            info = path.lstat()
        except OSError:
            return None
        if not stat.S_ISDIR(info.st_mode) or not _this_users_alone(info):
            return None
        return path

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` under ``key``; a cache that cannot be written is simply not used."""
        if not self.enabled:
            return
        path = self._path(kind, key)
        entry = {"key": key, "kind": kind, "digest": hashlib.sha256(canonical(value)).hexdigest(), "value": value}
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(prefix=".entry.", dir=path.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(canonical(entry))
            os.replace(temporary, path)
        except OSError:
            return


def _this_users_alone(info: os.stat_result) -> bool:
    """Whether only this user could have written what ``info`` describes (its owner, and
    writable by neither group nor others): nothing another user wrote is trusted."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
