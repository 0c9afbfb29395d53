"""``eksiam.suppress``: an accepted exception written beside the construct it excuses, as
cdk-nag's ``NagSuppressions`` are.

The suppression goes into the synthesized stack's metadata (:mod:`eksiam.metadata`); the gate
reads it under the rules of a waivers file entry (a reason of at least 10 characters, an
expiry date, a known rule id, the platform team's ``[gate]`` limits), applies it to findings on
the construct and everything under it, and ignores it when ``[gate] in_code_suppressions =
false``. Checked here too, so a typo fails the app at the line that made it.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from eksiam.errors import UsageError
from eksiam.metadata import KEY, RULE_ID, SUPPRESSIONS, user_source

MIN_REASON_LENGTH = 10
_ATTRIBUTE = "_eksiam_suppressions"


def suppress(construct: Any, rule: str, reason: str, expires: datetime.date | str) -> None:
    """Accept ``rule``'s findings on ``construct`` (and the constructs under it) until ``expires``.

    ``construct`` is any construct inside a stack (an eksiam role, a raw resource, the stack
    itself); ``expires`` is the last day it holds, a date or ``"YYYY-MM-DD"``.
    """
    from eksiam.cdk import TerraformStack

    if not isinstance(rule, str) or not RULE_ID.match(rule):
        raise UsageError(f"eksiam.suppress: rule {rule!r} is not a rule id as the report prints it, e.g. \"EKSIAM-NODE-003\"")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH:
        raise UsageError(
            f"eksiam.suppress({rule}): the reason must say why in at least {MIN_REASON_LENGTH} characters "
            "(who accepted the risk, and until what)"
        )
    expiry = _date(rule, expires)
    try:
        stack = TerraformStack.of(construct)
    except Exception:  # jsii raises the JavaScript error as a plain RuntimeError
        raise UsageError(f"eksiam.suppress({rule}): {construct!r} is not a construct inside a stack: pass one") from None
    entry: dict[str, Any] = {
        "construct": construct.node.path,
        "rule": rule,
        "reason": " ".join(reason.split()),
        "expires": expiry.isoformat(),
    }
    source = user_source(sys._getframe(1))
    if source is not None:
        entry["source"] = source
    entries: list[dict[str, Any]] = getattr(stack, _ATTRIBUTE, [])
    entries.append(entry)
    setattr(stack, _ATTRIBUTE, entries)
    # The whole list each time: an override replaces the value at its path.
    stack.add_override(f"//.{KEY}.{SUPPRESSIONS}", entries)


def _date(rule: str, expires: datetime.date | str) -> datetime.date:
    if isinstance(expires, datetime.date) and not isinstance(expires, datetime.datetime):
        return expires
    if isinstance(expires, str):
        try:
            return datetime.date.fromisoformat(expires)
        except ValueError:
            pass
    raise UsageError(f"eksiam.suppress({rule}): expires {expires!r} is not a date: pass datetime.date(2027, 1, 31) or \"2027-01-31\"")
