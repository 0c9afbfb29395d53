"""The documents the gate checks, read from ``--input`` files and recognised by their content.

A file's name says nothing reliable (``plan.json`` may be an HCP policy input, a CI job may
rename everything ``input.json``), so the kind is decided from the JSON itself. The kind only
tells the user what the gate took the file for; the Rego adapters in ``policy/lib`` read the
raw document unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError
from eksiam.gate import limits
from eksiam.gate.jsonfile import read_json

_ACCEPTED = "a cdk.tf.json, terraform plan JSON, HCP policy input or IAM snapshot"
# Top-level keys only a Terraform JSON configuration (what cdktf synthesizes) carries;
# cdktf always writes "//" (its metadata) and "terraform" (required providers).
_SYNTH_KEYS = frozenset({"resource", "terraform", "//"})


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
    kind = detect_kind(data)
    if kind is None:
        keys = ", ".join(sorted(data)[:5]) or "no keys"
        raise UsageError(
            f"{path} is not {_ACCEPTED}: its top-level keys are {keys}; "
            "pass cdktf.out/stacks/<stack>/cdk.tf.json, `terraform show -json` output, "
            "or `aws iam get-account-authorization-details --filter Role` output"
        )
    return InputDocument(path=str(path), kind=kind, data=data)


def detect_kind(data: Mapping[str, Any]) -> InputKind | None:
    """The kind of a parsed document, or None when it is none of the four.

    A plan is tested before a synthesized configuration because a plan embeds a
    ``configuration`` block, never top-level ``resource`` keys, while the reverse is
    never true; the HCP wrapper is recognised by the plan it carries.
    """
    if _is_plan(data):
        return InputKind.PLAN
    if isinstance(data.get("plan"), Mapping) and _is_plan(data["plan"]):
        return InputKind.HCP
    if isinstance(data.get("RoleDetailList"), list):
        return InputKind.SNAPSHOT
    if _SYNTH_KEYS & data.keys():
        return InputKind.SYNTH
    return None


def _is_plan(data: Mapping[str, Any]) -> bool:
    # `terraform show -json` of a *state* also has both version keys, but no planned values.
    return (
        "format_version" in data
        and "terraform_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    )


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
