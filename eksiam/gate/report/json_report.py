"""JSON, exactly the shape docs/report.md documents: ``passed``, ``findings``, ``summary``,
``fail_on``, ``inputs``, ``waived``, ``expired_waivers``, ``roles`` (each EKS role judged, and
what identified it) and ``errors``.

``summary`` always has both engines (``opa``: ``evaluated``/``failed``; ``checkov``:
``passed``/``failed``); an engine that did not run says so with ``"ran": false``.
"""

from __future__ import annotations

import json
from typing import Any

from eksiam.gate.findings import Report
from eksiam.gate.report.summary import ENGINES, ordered


def to_document(report: Report) -> dict[str, Any]:
    summary: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        counts = report.summary.get(engine)
        if engine == "checkov":
            entry = {"passed": counts.passed if counts else 0, "failed": counts.failed if counts else 0}
        else:
            entry = {"evaluated": counts.evaluated if counts else 0, "failed": counts.failed if counts else 0}
        if counts is None:
            entry["ran"] = False
        elif counts.cached:
            entry["cached"] = counts.cached  # inputs whose verdict is an identical earlier evaluation's
        summary[engine] = entry
    for engine, counts in sorted(report.summary.items()):
        if engine not in ENGINES:
            summary[engine] = {"evaluated": counts.evaluated, "failed": counts.failed, "passed": counts.passed}
    return {
        "passed": report.passed,
        "findings": [finding.to_json() for finding in ordered(report.findings)],
        "summary": summary,
        "fail_on": report.fail_on.name,
        "inputs": list(report.inputs),
        "waived": [waived.to_json() for waived in sorted(report.waived, key=lambda w: (w.finding.rule, w.finding.resource))],
        "expired_waivers": [waiver.to_json() for waiver in report.expired_waivers],
        "roles": [role.to_json() for role in report.roles],
        "errors": [{"engine": engine, "file": file, "message": message} for engine, file, message in report.tool_errors],
    }


def render(report: Report) -> str:
    return json.dumps(to_document(report), indent=2) + "\n"
