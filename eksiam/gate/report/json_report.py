"""JSON, exactly the shape INTERFACE.md documents, plus ``fail_on``, ``inputs``, ``waived``,
``expired_waivers``, ``unused_waivers`` and ``roles`` (each EKS role judged, and what
identified it).

``summary`` always has both engines (``opa``: ``evaluated``/``failed``; ``checkov``:
``passed``/``failed``); an engine that did not run says so with ``"ran": false``. An engine's
``failed`` counts the listed findings it saw, and ``summary.findings`` counts the findings as
listed (``total``, ``failing``, ``waived``) and the ``unused_waivers``, so the counts always
agree with the lists. Strings are written as JSON escapes them: a control character from an
input is ``\u001b`` in the file, never the character.
"""

from __future__ import annotations

import json
from typing import Any

from eksiam.gate.findings import Report
from eksiam.gate.report.summary import ENGINES, finding_counts, ordered, shown_failed


def to_document(report: Report) -> dict[str, Any]:
    summary: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        counts = report.summary.get(engine)
        if engine == "checkov":
            entry = {"passed": counts.passed if counts else 0, "failed": shown_failed(report, engine)}
        else:
            entry = {"evaluated": counts.evaluated if counts else 0, "failed": shown_failed(report, engine)}
        if counts is None:
            entry["ran"] = False
        elif counts.cached:
            entry["cached"] = counts.cached  # inputs whose verdict is an identical earlier evaluation's
        summary[engine] = entry
    for engine, counts in sorted(report.summary.items()):
        if engine not in ENGINES:
            summary[engine] = {"evaluated": counts.evaluated, "failed": shown_failed(report, engine), "passed": counts.passed}
    summary["findings"] = finding_counts(report)
    return {
        "passed": report.passed,
        "findings": [finding.to_json() for finding in ordered(report.findings)],
        "summary": summary,
        "fail_on": report.fail_on.name,
        "inputs": list(report.inputs),
        "waived": [waived.to_json() for waived in sorted(report.waived, key=lambda w: (w.finding.rule, w.finding.resource))],
        "expired_waivers": [waiver.to_json() for waiver in report.expired_waivers],
        "unused_waivers": [waiver.to_json() for waiver in report.unused_waivers],
        "fail_on_unused_waivers": report.fail_on_unused_waivers,
        "roles": [role.to_json() for role in report.roles],
        "errors": [{"engine": engine, "file": file, "message": message} for engine, file, message in report.tool_errors],
    }


def render(report: Report) -> str:
    # ensure_ascii (the default) is what escapes control characters and lone surrogates.
    return json.dumps(to_document(report), indent=2, ensure_ascii=True) + "\n"
