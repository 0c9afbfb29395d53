"""JUnit XML for GitLab's merge-request test widget (``artifacts:reports:junit``).

One ``<testsuite>`` per engine (``eksiam.opa``, ``eksiam.checkov``), one ``<testcase>`` per
finding (classname ``<engine>.<rule>`` of its primary rule, name = the resource, ``file`` = the
input; a finding several checks saw is one testcase, in its primary rule's engine's suite, its
text naming every check): a ``<failure>`` when it fails the gate, ``<skipped>`` when it is
below the threshold or waived.
Engines report counts, not every passing rule × resource, so each engine that ran also gets
one passing testcase standing for the checks that passed (the widget then shows the engine
even on a clean run); an engine that did not run gets a skipped testcase saying so. Expired
waivers fail in their own suite, ``eksiam.waivers``, where unused waivers are listed too
(skipped, or failed with ``--fail-on-unused-waivers``). Control characters from the inputs are
shown as their escapes: XML 1.0 cannot carry them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from eksiam.gate.findings import Finding, Report, Waiver
from eksiam.gate.report.escape import visible
from eksiam.gate.report.summary import ENGINES, also_seen_by, ordered, rule_info, unused_note, waiver_scope


def _finding_text(report: Report, finding: Finding) -> str:
    info = rule_info(report, finding)
    lines = [
        f"rule: {finding.rule} ({info.title})" if info.title and info.title != finding.rule else f"rule: {finding.rule}",
        f"severity: {finding.severity.name}",
        f"resource: {finding.resource}",
    ]
    if also_seen_by(finding):
        lines.append(f"also seen by: {', '.join(also_seen_by(finding))}")
    if finding.file:
        lines.append(f"file: {finding.file}")
    lines.append(f"problem: {finding.message}")
    if info.remediation:
        lines.append(f"fix: {info.remediation}")
    if info.help_uri:
        lines.append(f"see: {info.help_uri}")
    return "\n".join(lines)


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
            case = _testcase(suite, f"{engine}.{finding.rule}", finding.resource, finding.file)
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
    if report.expired_waivers or report.unused_waivers:
        suite = ET.SubElement(root, "testsuite", name="eksiam.waivers")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for waiver in report.expired_waivers:
            case = _testcase(suite, "waivers", f"{waiver.rule} on {waiver_scope(waiver)}")
            failure = ET.SubElement(case, "failure", type="EXPIRED", message=f"waiver expired on {waiver.expires.isoformat()}")
            failure.text = (
                f"The waiver{_where(waiver)} for {waiver.rule} on {waiver_scope(waiver)} ({waiver.reason}) expired on "
                f"{waiver.expires.isoformat()}: fix the finding, or renew the waiver with a new date and reason."
            )
            counts["failures"] += 1
        for waiver in report.unused_waivers:
            case = _testcase(suite, "waivers", f"{waiver.rule} on {waiver_scope(waiver)}")
            text = f"The waiver{_where(waiver)} for {waiver.rule} on {waiver_scope(waiver)} waived nothing: {unused_note(report, waiver)}."
            if report.failing_unused:
                ET.SubElement(case, "failure", type="UNUSED", message="waiver matched no finding").text = text
                counts["failures"] += 1
            else:
                ET.SubElement(case, "skipped", message=text)
                counts["skipped"] += 1
        counts["tests"] = len(report.expired_waivers) + len(report.unused_waivers)
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
        suite.set("errors", "0")
    for key, count in totals.items():
        root.set(key, str(count))
    root.set("errors", "0")
    ET.indent(root)
    return visible(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"


def _where(waiver: Waiver) -> str:
    return f" ({waiver.source})" if waiver.source else ""
