"""JUnit XML for GitLab's merge-request test widget (``artifacts:reports:junit``).

One ``<testsuite>`` per engine (``eksiam.opa``, ``eksiam.checkov``), one ``<testcase>`` per
finding (classname ``<engine>.<rule>``, name = the resource, ``file`` = the input): a
``<failure>`` when it fails the gate, ``<skipped>`` when it is below the threshold or waived.
Engines report counts, not every passing rule × resource, so each engine that ran also gets
one passing testcase standing for the checks that passed (the widget then shows the engine
even on a clean run); an engine that did not run gets a skipped testcase saying so. Expired
waivers fail in their own suite, ``eksiam.waivers``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from eksiam.gate.findings import Finding, Report
from eksiam.gate.report.locations import origin
from eksiam.gate.report.summary import ENGINES, ordered, rule_info


def _finding_text(report: Report, finding: Finding) -> str:
    info = rule_info(report, finding)
    lines = [
        f"rule: {finding.rule} ({info.title})" if info.title and info.title != finding.rule else f"rule: {finding.rule}",
        f"severity: {finding.severity.name}",
        f"resource: {finding.resource}",
    ]
    if finding.file:
        lines.append(f"file: {finding.file}")
    if finding.stack:
        lines.append(f"at: {origin(finding)}")
    lines.append(f"problem: {finding.message}")
    if info.remediation:
        lines.append(f"fix: {info.remediation}")
    if info.help_uri:
        lines.append(f"see: {info.help_uri}")
    return "\n".join(lines)


def _name(finding: Finding) -> str:
    """The resource, named by its stack and construct in an app (one name per stack)."""
    return f"{finding.stack}: {finding.resource} ({finding.construct})" if finding.stack else finding.resource


def _testcase(suite: ET.Element, classname: str, name: str, file: str = "") -> ET.Element:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    if file:
        case.set("file", file)
    return case


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="eksiam")
    others = ({f.engine for f in report.findings} | set(report.summary)) - set(ENGINES)
    engines = [*ENGINES, *sorted(others)]
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for engine in engines:
        suite = ET.SubElement(root, "testsuite", name=f"eksiam.{engine}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for finding in ordered([f for f in report.findings if f.engine == engine]):
            case = _testcase(suite, f"{engine}.{finding.rule}", _name(finding), finding.source_file or finding.file)
            counts["tests"] += 1
            if report.fails(finding):
                failure = ET.SubElement(case, "failure", type=finding.severity.name, message=finding.message)
                failure.text = _finding_text(report, finding)
                counts["failures"] += 1
            else:
                ET.SubElement(
                    case, "skipped",
                    message=f"{finding.severity.name} is below the gate's threshold {report.fail_on.name}: {finding.message}",
                )
                counts["skipped"] += 1
        for waived in [w for w in report.waived if w.finding.engine == engine]:
            finding = waived.finding
            case = _testcase(suite, f"{engine}.{finding.rule}", finding.resource, finding.file)
            ET.SubElement(
                case, "skipped",
                message=f"waived until {waived.waiver.expires.isoformat()}: {waived.waiver.reason}",
            )
            counts["tests"] += 1
            counts["skipped"] += 1
        summary = report.summary.get(engine)
        if summary is None:
            case = _testcase(suite, engine, f"{engine} did not run")
            ET.SubElement(case, "skipped", message=f"{engine} was not run for this report")
            counts["tests"] += 1
            counts["skipped"] += 1
        else:
            passed = summary.passed if engine == "checkov" else max(summary.evaluated - summary.failed, 0)
            label = "checks" if engine == "checkov" else "rules"
            _testcase(suite, engine, f"{passed} {label} passed")
            counts["tests"] += 1
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
        suite.set("errors", "0")
    if report.expired_waivers:
        suite = ET.SubElement(root, "testsuite", name="eksiam.waivers")
        for waiver in report.expired_waivers:
            case = _testcase(suite, "waivers", f"{waiver.rule} on {waiver.resource}")
            failure = ET.SubElement(case, "failure", type="EXPIRED", message=f"waiver expired on {waiver.expires.isoformat()}")
            where = f" ({waiver.source})" if waiver.source else ""
            failure.text = (
                f"The waiver{where} for {waiver.rule} on {waiver.resource} ({waiver.reason}) expired on "
                f"{waiver.expires.isoformat()} and still matches a finding: fix the finding, or renew the "
                "waiver with a new date and reason."
            )
        count = len(report.expired_waivers)
        suite.set("tests", str(count))
        suite.set("failures", str(count))
        suite.set("skipped", "0")
        suite.set("errors", "0")
        totals["tests"] += count
        totals["failures"] += count
    for key, count in totals.items():
        root.set(key, str(count))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
