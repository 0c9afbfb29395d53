"""The report of a run that did not finish (exit 2 or 3), in every format, so a CI step that
uploads the report always has a file, and the file says why there are no findings.

SARIF says ``executionSuccessful: false`` with the error as a notification; JSON carries
``"error"`` and the exit code; JUnit one erroring test case; Markdown and text the error.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from eksiam.gate.report import codequality, sarif


def _sarif(message: str) -> str:
    document: dict[str, Any] = {
        "$schema": sarif.SCHEMA,
        "version": sarif.VERSION,
        "runs": [{
            "tool": {"driver": {"name": "eksiam", "informationUri": sarif.INFORMATION_URI, "version": sarif._tool_version(), "rules": []}},
            "invocations": [{
                "executionSuccessful": False,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": message}, "descriptor": {"id": "EKSIAM-ERROR"}}],
            }],
            "results": [],
            "columnKind": "utf16CodeUnits",
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _junit(message: str) -> str:
    root = ET.Element("testsuites", name="eksiam", tests="1", failures="0", errors="1", skipped="0")
    suite = ET.SubElement(root, "testsuite", name="eksiam", tests="1", failures="0", errors="1", skipped="0")
    case = ET.SubElement(suite, "testcase", classname="eksiam", name="the policy gate ran", time="0")
    ET.SubElement(case, "error", type="EKSIAM-ERROR", message=message).text = message
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render_error(fmt: str, message: str, exit_code: int) -> str:
    """``fmt``'s document for a run that ended with ``message`` and ``exit_code``."""
    if fmt == "sarif":
        return _sarif(message)
    if fmt == "junit":
        return _junit(message)
    if fmt == "json":
        return json.dumps({"passed": False, "error": message, "exit_code": exit_code, "findings": []}, indent=2) + "\n"
    if fmt == "codequality":
        return codequality.render_error(message)
    if fmt == "markdown":
        return f"### :x: eksiam policy gate did not run to the end (exit {exit_code})\n\n{message}\n"
    return f"eksiam policy gate did not run to the end (exit {exit_code}): {message}\n"
