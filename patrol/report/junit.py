"""The JUnit XML report: one ``<testcase>`` per host x check, so a CI system can gate on a run.

Shape (one ``<testsuite>`` per host, ``classname`` = ``patrol.<domain>.<host>``)::

    <testsuites name="patrol run 20261126-020003-9f3a" tests="120" failures="9" errors="1" skipped="3">
      <testsuite name="core-sw1" tests="14" failures="4" errors="0" skipped="1">
        <testcase classname="patrol.network.core-sw1" name="ntp.synced">
          <failure type="urgent" message="NTP not synchronised">object: -  ...</failure>
        </testcase>
        <testcase classname="patrol.network.branch-sw9" name="inspection">
          <error type="unreachable" message="connection refused"/>           # host not inspected
        </testcase>
        <testcase ... name="snmp.community"><skipped message="not_applicable"/></testcase>

A failed check becomes ``<failure>`` (type = the worst finding's priority), a check that could
not be evaluated ``<error>``, a not-applicable one ``<skipped>``; a host that was not inspected
is one ``<testcase name="inspection">`` with ``<error>`` naming why.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from patrol.i18n import is_zh, pick
from patrol.i18n.messages import finding_message, reason_text
from patrol.models import Finding
from patrol.report.labels import labels, status_label
from patrol.report.model import HostReport, RunReport

__all__ = ["render_junit"]


def _finding_text(findings: list[Finding], lang: str) -> tuple[str, str, str]:
    worst = max(findings, key=lambda f: f.severity.rank)
    title = pick(worst.title_en, worst.title_zh, lang)
    body = "\n".join(f"{f.object or '-'}: {finding_message(f.message, lang)}" for f in findings)
    return worst.severity.value, title, body


def _host_suite(host: HostReport, lang: str) -> tuple[ET.Element, Counter[str]]:
    suite = ET.Element("testsuite", name=host.host)
    classname = f"patrol.{host.device_class.value if host.device_class else 'unknown'}.{host.host}"
    tally: Counter[str] = Counter()
    if host.status != "ok":
        case = ET.SubElement(suite, "testcase", classname=classname, name="inspection")
        why = reason_text(host.error, lang) or status_label(host.status, lang)
        ET.SubElement(case, "error", type=host.status, message=why)
        tally.update(tests=1, errors=1)
    by_check: dict[str, list[Finding]] = {}
    for f in host.findings:
        by_check.setdefault(f.check_id, []).append(f)
    for line in host.checks:
        case = ET.SubElement(suite, "testcase", classname=classname, name=line.check_id)
        tally["tests"] += 1
        if line.outcome == "fail":
            kind, title, body = _finding_text(by_check[line.check_id], lang) if line.check_id in by_check else (
                "fail", finding_message(line.message, lang), ", ".join(line.failed_objects))  # fmt: skip
            ET.SubElement(case, "failure", type=kind, message=title).text = body
            tally["failures"] += 1
        elif line.outcome in ("error", "not_evaluated"):
            ET.SubElement(case, "error", type=line.outcome, message=finding_message(line.message or line.outcome, lang))
            tally["errors"] += 1
        elif line.outcome == "not_applicable":
            ET.SubElement(case, "skipped", message=labels(lang)[line.outcome] if is_zh(lang) else line.outcome)
            tally["skipped"] += 1
    for key in ("tests", "failures", "errors", "skipped"):
        suite.set(key, str(tally[key]))
    return suite, tally


def render_junit(report: RunReport) -> str:
    """The run as JUnit XML text (UTF-8, with declaration)."""
    root = ET.Element("testsuites", name=f"patrol run {report.run.run_id}")
    total: Counter[str] = Counter()
    for host in report.hosts:
        suite, tally = _host_suite(host, report.lang)
        root.append(suite)
        total.update(tally)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(total[key]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
