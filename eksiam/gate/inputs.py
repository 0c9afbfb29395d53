"""The documents the gate checks, read from ``--input`` files and recognised by their content.

A file's name says nothing reliable (``plan.json`` may be an HCP policy input, a CI job may
rename everything ``input.json``), so the kind is decided from the JSON itself, by one
definition: ``policy/lib/kind.rego``, which the Rego adapters use too. The gate evaluates it
on a skeleton of the document (its top two levels, deeper values emptied), which is all it
reads, so a large plan is not handed to the engine twice. A document of more than one shape
is refused here and judged by no adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from opa_bindings import OpaEngine

from eksiam.errors import UsageError
from eksiam.gate import POLICY_DIR, limits
from eksiam.gate.jsonfile import read_json

_ACCEPTED = "a cdk.tf.json, terraform plan JSON, HCP policy input or IAM snapshot"
KIND_MODULE = POLICY_DIR / "lib" / "kind.rego"
_KIND_QUERY = "kind := data.eksiam.lib.kind.kind; shapes := data.eksiam.lib.kind.shapes"
# kind.rego reads the document's keys, its `plan`'s keys, and the values there: two levels.
_SKELETON_DEPTH = 2
_engine_lock = threading.Lock()


class InputKind(StrEnum):
    SYNTH = "synth"  # cdktf.out/stacks/<stack>/cdk.tf.json
    PLAN = "plan"  # terraform show -json <planfile>
    HCP = "hcp"  # HCP Terraform's OPA policy input: {"plan": <plan JSON>, "run": …}
    SNAPSHOT = "snapshot"  # aws iam get-account-authorization-details --filter Role


@dataclass(frozen=True)
class InputDocument:
    """One input file: its path as the user gave it, what it is, and its parsed JSON."""

    path: str
    kind: InputKind
    data: Mapping[str, Any]


def load_inputs(paths: Iterable[str | Path], max_bytes: int | None = None) -> tuple[InputDocument, ...]:
    return tuple(load_input(path, max_bytes) for path in paths)


def load_input(path: str | Path, max_bytes: int | None = None) -> InputDocument:
    """Read and parse ``path`` and recognise its kind; a :class:`UsageError` names the file.

    The file is read as :mod:`eksiam.gate.jsonfile` reads JSON: at most ``max_bytes`` (default
    ``$EKSIAM_MAX_INPUT_MB``), strict UTF-8, bounded nesting, no repeated keys.
    """
    data = _read_json_object(Path(path), max_bytes)
    kind, shapes = classify(data)
    if len(shapes) > 1:
        raise UsageError(
            f"{path} has the shape of more than one input kind ({', '.join(sorted(shapes))}): "
            "a plan, HCP input, snapshot or Terraform JSON file holds one of them only; pass the document as its tool wrote it"
        )
    if kind is None:
        keys = ", ".join(sorted(data)[:5]) or "no keys"
        raise UsageError(
            f"{path} is not {_ACCEPTED}: its top-level keys are {keys}; "
            "pass cdktf.out/stacks/<stack>/cdk.tf.json, `terraform show -json` output, "
            "or `aws iam get-account-authorization-details --filter Role` output"
        )
    return InputDocument(path=str(path), kind=kind, data=data)


def detect_kind(data: Mapping[str, Any]) -> InputKind | None:
    """The kind of a parsed document, or None when it is none of the four or more than one."""
    return classify(data)[0]


def classify(data: Mapping[str, Any]) -> tuple[InputKind | None, frozenset[str]]:
    """The kind ``policy/lib/kind.rego`` gives ``data`` (None unless exactly one) and every shape it has."""
    with _engine_lock:
        results = _kind_engine().eval_query(_KIND_QUERY, skeleton(data, _SKELETON_DEPTH))
    kind, shapes = results[0]["kind"], frozenset(results[0]["shapes"])
    return (InputKind(kind) if kind in InputKind._value2member_map_ else None), shapes


def skeleton(value: Any, depth: int) -> Any:
    """``value`` with objects down to ``depth`` levels; deeper objects and every array emptied, types kept."""
    if isinstance(value, Mapping):
        return {key: skeleton(item, depth - 1) for key, item in value.items()} if depth > 0 else {}
    if isinstance(value, list):
        return []
    return value


@cache
def _kind_engine() -> OpaEngine:
    engine = OpaEngine()
    engine.add_policy(KIND_MODULE.name, KIND_MODULE.read_text(encoding="utf-8"))
    engine.eval_query("true")
    return engine


def _read_json_object(path: Path, max_bytes: int | None) -> dict[str, Any]:
    if max_bytes is None:
        max_bytes = limits.max_input_bytes()
    data = read_json(path, what="input file", fix=f"pass {_ACCEPTED}", max_bytes=max_bytes, option="the --input path")
    if not isinstance(data, dict):
        raise UsageError(
            f"input file {path} holds a JSON {_json_type_name(data)}, not an object: pass {_ACCEPTED}"
        )
    return data


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {list: "array", str: "string", int: "number", float: "number"}.get(type(value), "value")
