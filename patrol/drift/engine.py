"""Drift of one host's snapshot against its effective baselines, as check results and findings.

::

    rules = DriftData.load()                       # noise + drift rules (inspect/)
    drift = host_drift(rules, snapshot, baseline, golden=None)
    drift.config      # [DiffItem("added", ("interface Gi2",), "ip access-group BLOCK in", ...)]
    drift.state       # [StateChange("facts.os_version", "16.3", "17.3")]
    checks, findings = drift_results(run_id, "core-sw1", DeviceClass.NETWORK, drift, rules)

Check ids: ``drift.config.added|removed|secret|moved``, ``drift.state.added|removed|changed``,
``golden.missing|forbidden|extra``, and ``drift.baseline`` (host level: pass, or
not_applicable without a baseline). ``Finding.object`` is the hierarchical path of the
drifted line, so unchanged drift keeps its fingerprint run after run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patrol.drift.baselines import Baseline
from patrol.drift.confdiff import SEP, ConfigTree, DiffItem, Ignored, diff_configs, parse_config
from patrol.drift.golden import compliance, parse_golden
from patrol.drift.noise import NOISE_DIR, NoiseSet, load_noise
from patrol.drift.rules import DRIFT_RULES, DriftRule, DriftRules, load_drift_rules
from patrol.drift.state import StateChange, diff_state, state_fields
from patrol.models import CheckResult, DeviceClass, Finding, Outcome, Severity, Snapshot

__all__ = ["DriftData", "HostDrift", "describe", "drift_results", "excerpt", "host_drift"]

OBJECT_MAX = 500
_GOLDEN_TITLES = {
    "missing": ("Required golden config line missing", "缺少黃金配置要求的配置行"),
    "forbidden": ("Forbidden config line present", "存在黃金配置禁止的配置行"),
    "extra": ("Config line not in the golden config", "配置行不在黃金配置內"),
}


@dataclass(frozen=True)
class DriftData:
    """The rules every drift comparison uses."""

    noise: NoiseSet
    rules: DriftRules

    @classmethod
    def load(cls, noise: Sequence[Path] = (NOISE_DIR,), rules: Path = DRIFT_RULES) -> DriftData:
        return cls(load_noise(noise), load_drift_rules(rules))

    def parse(self, config: str, platform: str, device_class: str) -> ConfigTree:
        return parse_config(config, platform, self.noise.for_host(platform, device_class))


@dataclass
class HostDrift:
    """What changed on one host since its baselines (empty lists: no drift)."""

    host: str
    baseline: Baseline | None = None
    golden: Baseline | None = None
    config: list[DiffItem] = field(default_factory=list)
    state: list[StateChange] = field(default_factory=list)
    compliance: list[DiffItem] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def host_drift(
    data: DriftData,
    snapshot: Snapshot,
    baseline: Baseline | None,
    golden: Baseline | None = None,
    golden_config: str | None = None,
) -> HostDrift:
    """Config + state drift against ``baseline`` and compliance against ``golden_config`` (rendered)."""
    platform, device_class = snapshot.platform, snapshot.device_class.value
    drift = HostDrift(snapshot.host, baseline, golden)
    noise = data.noise.for_host(platform, device_class)
    if baseline is not None:
        if baseline.config is not None and snapshot.config is not None:
            drift.config = diff_configs(baseline.config, snapshot.config, platform, noise, data.rules.ordering)
        if baseline.scope == "host" and baseline.state is not None:
            noise = data.noise.for_host(platform, device_class, "state")
            drift.state, hidden = diff_state(baseline.state, state_fields(snapshot), noise)
            drift.ignored.extend(hidden)
    if golden is not None and golden_config is not None:
        current = parse_config(snapshot.config or "", platform, noise)
        drift.ignored.extend(current.ignored)
        drift.compliance = compliance(parse_golden(golden_config, platform, noise), current)
    return drift


def _object(text: str) -> str:
    if len(text) <= OBJECT_MAX:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return text[: OBJECT_MAX - 15] + f" …#{digest}"


def excerpt(item: DiffItem) -> str:
    """The item under its parents, diff-marked: ``interface Gi2\\n+  ip access-group BLOCK in``."""
    mark = {"added": "+", "removed": "-", "secret": "~", "moved": "↕", "missing": "-", "forbidden": "!", "extra": "+"}
    lines = [f"  {'  ' * depth}{parent}" for depth, parent in enumerate(item.path)]
    indent = "  " * len(item.path)
    lines.append(f"{mark.get(item.kind, '?')} {indent}{item.text}")
    lines.extend(f"{mark.get(item.kind, '?')} {indent}  {line}" for line in item.block)
    return "\n".join(lines)


def describe(item: DiffItem) -> str:
    """One sentence: ``added under interface Gi2: ip access-group BLOCK in``."""
    where = f" under {SEP.join(item.path)}" if item.path else ""
    if item.kind == "secret":
        return f"secret changed on line {item.line_to}{where}: {item.text} (value not shown)"
    if item.kind == "moved":
        return f"order changed{where}: {item.text} (line {item.line_from} -> {item.line_to})"
    line = item.line_to if item.line_to is not None else item.line_from
    size = f" (block of {len(item.block) + 1} lines)" if item.block else ""
    return f"{item.kind}{where}: {item.text}{size}" + (f" [line {line}]" if line else "")


def _finding(
    run_id: str, host: str, domain: DeviceClass, check: CheckResult, rule: DriftRule, sev: Severity
) -> Finding:
    return Finding(
        run_id=run_id, host=host, check_id=check.check_id, object=check.object, severity=sev, domain=domain,
        title_en=rule.title_en, title_zh=rule.title_zh, message=check.message, evidence=check.evidence,
    )  # fmt: skip


def _config_results(
    run_id: str, host: str, domain: DeviceClass, drift: HostDrift, rules: DriftRules
) -> tuple[list[CheckResult], list[Finding]]:
    checks, findings = [], []
    for prefix, items, base in (
        ("drift.config", drift.config, drift.baseline),
        ("golden", drift.compliance, drift.golden),
    ):
        for item in items:
            rule = rules.classify("config", item.object)
            if prefix == "golden":
                en, zh = _GOLDEN_TITLES[item.kind]
                rule = DriftRule(rule.id, rule.target, rule.pattern, rule.severity, en, zh)
            severity = Severity.OTHER if item.kind == "extra" else rule.severity
            evidence = {"kind": item.kind, "path": list(item.path), "line": item.text, "rule": rule.id,
                        "line_from": item.line_from, "line_to": item.line_to, "excerpt": excerpt(item),
                        "baseline": base.summary() if base else None}  # fmt: skip
            check = CheckResult(host=host, check_id=f"{prefix}.{item.kind}", object=_object(item.object),
                                outcome=Outcome.FAIL, message=describe(item), evidence=evidence)  # fmt: skip
            checks.append(check)
            findings.append(_finding(run_id, host, domain, check, rule, severity))
    return checks, findings


def _state_results(
    run_id: str, host: str, domain: DeviceClass, drift: HostDrift, rules: DriftRules
) -> tuple[list[CheckResult], list[Finding]]:
    checks, findings = [], []
    for change in drift.state:
        rule = rules.classify("state", change.path)
        message = f"{change.path} {change.kind}: {change.before!r} -> {change.after!r}"
        evidence = {"kind": change.kind, "path": change.path, "before": change.before, "after": change.after,
                    "rule": rule.id, "baseline": drift.baseline.summary() if drift.baseline else None}  # fmt: skip
        check = CheckResult(host=host, check_id=f"drift.state.{change.kind}", object=_object(change.path),
                            outcome=Outcome.FAIL, message=message, evidence=evidence)  # fmt: skip
        checks.append(check)
        findings.append(_finding(run_id, host, domain, check, rule, rule.severity))
    return checks, findings


def _summary(host: str, drift: HostDrift) -> list[CheckResult]:
    """The host-level result: no baseline (not applicable) or no drift (pass); drift items speak for themselves."""
    if drift.baseline is None and drift.golden is None:
        return [CheckResult(
            host=host, check_id="drift.baseline", outcome=Outcome.NOT_APPLICABLE,
            message="no baseline approved: `patrol baseline approve` or `patrol baseline template`",
        )]  # fmt: skip
    if drift.config or drift.state or drift.compliance:
        return []
    labels = "; ".join(b.label for b in (drift.baseline, drift.golden) if b is not None)
    message = f"no drift against {labels}"
    evidence = {"ignored": len(drift.ignored)}
    return [CheckResult(host=host, check_id="drift.baseline", outcome=Outcome.PASS, message=message, evidence=evidence)]


def drift_results(
    run_id: str, host: str, domain: DeviceClass, drift: HostDrift, rules: DriftRules
) -> tuple[list[CheckResult], list[Finding]]:
    """One failed check result and one finding per drift item, plus the host-level summary result."""
    config_checks, config_findings = _config_results(run_id, host, domain, drift, rules)
    state_checks, state_findings = _state_results(run_id, host, domain, drift, rules)
    return [*_summary(host, drift), *config_checks, *state_checks], [*config_findings, *state_findings]
