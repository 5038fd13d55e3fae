"""``--format junit``: JUnit XML for CI test-report widgets (GitLab, Jenkins, Azure, ...).

One ``<testsuite>`` per file with findings and one ``<testcase>`` per finding, failed with the rule
as ``type``; ``classname`` and ``file`` are the path, ``line`` the line, and the failure ``message``
starts with ``path:line:column:`` (JUnit has no column attribute), so widgets group by file and
link to the spot. A clean run is one
passing test case, so "0 tests" never reads as "nothing ran". ``--statistics`` becomes
``<properties>`` of the root suite.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from .common import ReportOptions, mask_message, statistics, summary

if TYPE_CHECKING:
    from ..engine import Result


def render(result: Result, options: ReportOptions) -> str:
    counts = summary(result)
    root = ET.Element("testsuites", name="homeops-lint", tests=str(max(len(result.findings), 1)),
                      failures=str(len(result.findings)), errors="0")
    by_file: dict[str, list[Any]] = {}
    for finding in result.findings:
        by_file.setdefault(finding.path, []).append(finding)
    if options.statistics:
        props = ET.SubElement(root, "properties")
        for rule, severity, count in statistics(result.findings):
            ET.SubElement(props, "property", name=f"{rule} ({severity})", value=str(count))
    if not by_file:
        suite = ET.SubElement(root, "testsuite", name="homeops-lint", tests="1", failures="0",
                              errors="0", skipped="0")
        ET.SubElement(suite, "testcase", name=f"{counts['files']} files, {counts['documents']} documents",
                      classname="homeops-lint")
    for path, findings in sorted(by_file.items()):
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(findings)),
                              failures=str(len(findings)), errors="0", skipped="0")
        for finding in findings:
            message = mask_message(result, finding)
            case = ET.SubElement(suite, "testcase", name=f"{finding.rule} {path}:{finding.line}:{finding.column}",
                                 classname=path, file=path, line=str(finding.line))
            failure = ET.SubElement(case, "failure", type=finding.rule,
                                    message=f"{path}:{finding.line}:{finding.column}: {message}")
            detail = [f"{path}:{finding.line}:{finding.column}: {finding.rule} ({finding.severity.value})",
                      message]
            if finding.resource:
                detail.append(f"resource: {finding.resource}")
            if finding.key:
                detail.append(f"key: {finding.key}")
            failure.text = "\n".join(detail)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
