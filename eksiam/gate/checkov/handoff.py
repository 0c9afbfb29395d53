"""The hand-off from OPA to checkov: which file checkov reads is which input, and its roles.

One object per checkov run, of the shape ``policy/schema/checkov_handoff.json`` states: for each
file checkov is given, the input it is a copy of and OPA's identity of its roles (``data.eksiam.main.checkov``, policy/main.rego). The runner writes it here
(:func:`write_handoff`), the one writer; the CKV_EKSIAM checks read it
(``policy/checkov/eksiam_checkov_lib.py``), the one reader, finding their file's entry by the
name checkov hands them (:meth:`HandoffFile.named`). checkov's results and a file's failure are mapped back to the input
through the same entries (:meth:`Handoff.input_of`), never by taking paths or messages apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from eksiam.gate import POLICY_DIR

VERSION = 1
SCHEMA_FILE = POLICY_DIR / "schema" / "checkov_handoff.json"
# A file the gate has an identity for none of whose roles is an EKS role.
NO_ROLES: Mapping[str, Any] = {"roles": {}, "links": {}}


@dataclass(frozen=True)
class HandoffFile:
    """One file checkov reads: ``target`` (as given to ``--file``, an absolute path) is a copy
    of ``input``; ``identity`` is None when the gate gives none."""

    input: str
    target: str
    identity: Mapping[str, Any] | None = None

    def named(self, checkov_name: str) -> bool:
        """Whether checkov's name for a file (``file_path`` in its results, ``scanned_file``
        to a check) is this one's: its path from the root checkov picked for the run (its
        working directory, or the common directory of its files) ends the target."""
        name = PurePosixPath(checkov_name).parts
        name = name[1:] if name[:1] == ("/",) else name
        target = PurePosixPath(self.target).parts
        return bool(name) and target[len(target) - len(name):] == name

    def to_json(self) -> dict[str, Any]:
        identity = None if self.identity is None else dict(self.identity)
        return {"input": self.input, "target": self.target, "identity": identity}


@dataclass(frozen=True)
class Handoff:
    files: tuple[HandoffFile, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "files": [entry.to_json() for entry in self.files]}

    def input_of(self, reported: str) -> str | None:
        """The input whose copy checkov reported as ``reported`` (a name of checkov's, or the
        target as given, as checkov reports a file it could not parse); None when no file or
        more than one is (each copy is in a directory of its own, so one is)."""
        named = [entry.input for entry in self.files if entry.named(reported)]
        return named[0] if len(named) == 1 else None


def handoff(
    targets: Mapping[str, Path], identities: Mapping[str, Mapping[str, Any]] | None
) -> Handoff:
    """The hand-off for ``targets`` (each input's copy, an absolute path, in a directory of its own).

    Without ``identities`` every file's identity is None; with them, a file the gate has no
    identity for holds no EKS role (:data:`NO_ROLES`).
    """
    return Handoff(tuple(
        HandoffFile(
            input=path,
            target=target.as_posix(),
            identity=None if identities is None else identities.get(path, NO_ROLES),
        )
        for path, target in targets.items()
    ))


def write_handoff(value: Handoff, path: Path) -> Path:
    path.write_text(json.dumps(value.to_json()), encoding="utf-8")
    return path
