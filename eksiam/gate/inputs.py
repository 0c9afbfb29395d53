"""The documents the gate checks, read from ``--input`` files and recognised by their content.

A file's name says nothing reliable (``plan.json`` may be an HCP policy input, a CI job may
rename everything ``input.json``), so the kind is decided from the JSON itself. The kind only
tells the user what the gate took the file for; the Rego adapters in ``policy/lib`` read the
raw document unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError

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


def load_inputs(paths: Iterable[str | Path]) -> tuple[InputDocument, ...]:
    return tuple(load_input(path) for path in paths)


def load_input(path: str | Path) -> InputDocument:
    """Read and parse ``path`` and recognise its kind; a :class:`UsageError` names the file."""
    data = _read_json_object(Path(path))
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


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"input file {path} does not exist: check the --input path") from None
    except IsADirectoryError:
        raise UsageError(f"input {path} is a directory: pass the JSON file inside it") from None
    except UnicodeDecodeError:
        raise UsageError(f"input file {path} is not UTF-8 text: pass {_ACCEPTED}") from None
    except OSError as error:
        raise UsageError(f"cannot read input file {path}: {error.strerror or error}") from None
    if not text.strip():
        raise UsageError(f"input file {path} is empty: pass {_ACCEPTED}")
    try:
        data = json.loads(text, parse_constant=_reject_non_json_constant)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"input file {path} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}): pass {_ACCEPTED}"
        ) from None
    except ValueError as error:
        raise UsageError(f"input file {path} is not valid JSON ({error}): pass {_ACCEPTED}") from None
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


def _reject_non_json_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; OPA (and every other JSON reader) does not.
    raise ValueError(f"{name} is not a JSON value")
