"""What an OPA decision must show before the gate believes it: that *our* rules ran.

The gate uploads ``policy/`` to whichever OPA it talks to, but a server given with
``--opa-url`` is not ours: it may be a stub that answers ``{"findings": [], "rules":
["bogus"]}`` to everything, an OPA whose bundle owns ``data.eksiam`` and ignored the upload,
or one serving last year's rules. So:

* the rule ids the policy set declares (``custom.id`` of each ``# METADATA`` block, the same
  source the reports use) must be exactly the ids a decision reports as evaluated: one
  missing means a rule did not run, one unknown means rules the gate does not know did;
* on a server of someone else's, every module the gate uploaded must read back byte for
  byte (``GET /v1/policies/<id>``): the policy set OPA evaluates is the one the gate holds.

Either failure is a :class:`~eksiam.errors.ToolError`: the gate fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from eksiam.errors import ToolError, UsageError

_SHOWN = 5


def known_rule_ids(policy_dir: Path) -> frozenset[str]:
    """Every rule id the policy set in ``policy_dir`` declares in its METADATA.

    None at all is left to the decision check: any rule a decision reports is then unknown.
    """
    from eksiam.gate.report.rules import load_rule_metadata

    try:
        return frozenset(load_rule_metadata(policy_dir))
    except UsageError as error:
        raise ToolError(f"cannot read the rules' METADATA: {error}") from None


def check_reported_rules(reported: Iterable[str], known: frozenset[str], *, where: str, opa: str) -> None:
    """Fail closed unless the decision on ``where`` reports exactly the ``known`` rules (``opa``:
    which OPA made it, e.g. ``OPA at https://opa:8181``)."""
    reported_ids = frozenset(reported)
    missing = sorted(known - reported_ids)
    unknown = sorted(reported_ids - known)
    if missing:
        raise ToolError(
            f"{opa} did not evaluate {len(missing)} of the gate's {len(known)} rules on {where} "
            f"({_listed(missing)}): it is not running this policy set; point --opa-url at an OPA the gate "
            "may load its policies into, or leave it out to use the embedded engine"
        )
    if unknown:
        raise ToolError(
            f"{opa} reported rules the gate does not know on {where} ({_listed(unknown)}): "
            "its policy set is not this one; remove those rules from the server or leave out --opa-url"
        )


def check_server_holds(modules: Mapping[str, str], read_policy: Callable[[str], Any], url: str) -> None:
    """Every uploaded module reads back unchanged from the server (``read_policy(id)`` → its JSON)."""
    for policy_id, source in modules.items():
        try:
            answer = read_policy(policy_id)
        except ToolError:
            raise
        except Exception as error:  # the client's own errors for a missing policy, among others
            raise ToolError(
                f"OPA at {url} does not hold the policy {policy_id} the gate just uploaded ({error}): "
                "it is not evaluating this policy set; use a real OPA server or leave out --opa-url"
            ) from None
        result = answer.get("result") if isinstance(answer, dict) else None
        raw = result.get("raw") if isinstance(result, dict) else None
        if raw != source:
            raise ToolError(
                f"OPA at {url} holds a different {policy_id} than the one the gate uploaded: another client "
                "changed it, or the server does not store uploads; use an OPA server no one else writes to"
            )


def _listed(ids: list[str]) -> str:
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return ", ".join(ids[:_SHOWN]) + more
