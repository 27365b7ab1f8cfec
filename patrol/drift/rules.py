"""Drift rules (``inspect/drift.yml``): how severe each drift item is, and which sections keep order.

::

    drift:
      default: {severity: normal, title: {en: Configuration drift, zh: 配置漂移}}
      rules:                                  # first match wins; regex searched in the item's object
        - id: acl                             # ("interface Gi2 > ip access-group X in")
          config: 'access-list|access-group|access-class|filter '
          severity: critical
          title: {en: ACL changed since the baseline, zh: 存取控制清單自基線以來已變更}
        - id: os-version
          state: '^facts\\.os_version$'       # regex on a state field path
          severity: urgent
          title: {en: Software version changed, zh: 軟體版本已變更}
      ordered_sections: ['^(ip |ipv6 )?access-list ', '^route-map ']   # children keep their order
      ordered_lines: ['^access-list (\\S+) ']  # sibling lines with the same captured name keep order
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patrol.drift.errors import DriftDataError
from patrol.drift.yamlsrc import LINE, compile_regex, load_yaml, where
from patrol.models import Severity
from patrol.paths import PROFILES_DIR

__all__ = ["DRIFT_RULES", "DriftRule", "DriftRules", "Ordering", "load_drift_rules"]

DRIFT_RULES = PROFILES_DIR / "drift.yml"
_RULE_KEYS = {"id", "config", "state", "severity", "title", "description", LINE}


@dataclass(frozen=True)
class DriftRule:
    id: str
    target: str  # "config" | "state" | "any" (the default)
    pattern: re.Pattern[str] | None
    severity: Severity
    title_en: str
    title_zh: str


@dataclass(frozen=True)
class Ordering:
    """Which sections compare their children in order (ACL entries, route maps, banners)."""

    sections: re.Pattern[str] | None = None
    lines: re.Pattern[str] | None = None

    def ordered_section(self, key: str) -> bool:
        return self.sections is not None and self.sections.search(key) is not None

    def line_group(self, key: str) -> str | None:
        """The group name of an order-sensitive sibling line (``access-list NAME ...``), else None."""
        if self.lines is None:
            return None
        match = self.lines.search(key)
        return (match.group(1) if match.groups() else match.group(0)) if match else None


@dataclass(frozen=True)
class DriftRules:
    rules: tuple[DriftRule, ...]
    default: DriftRule
    ordering: Ordering

    def classify(self, target: str, obj: str) -> DriftRule:
        """The first rule of ``target`` whose regex is found in ``obj``; else the default."""
        for rule in self.rules:
            if rule.target == target and rule.pattern is not None and rule.pattern.search(obj):
                return rule
        return self.default


def _title(path: Path, item: dict[str, Any], rule: str) -> tuple[str, str]:
    title = item.get("title")
    if not isinstance(title, dict) or not all(isinstance(title.get(k), str) and title[k] for k in ("en", "zh")):
        raise DriftDataError(str(path), "expected {en: ..., zh: ...}", where(item), rule, "title")
    return title["en"], title["zh"]


def _severity(path: Path, item: dict[str, Any], rule: str) -> Severity:
    try:
        return Severity(str(item.get("severity")))
    except ValueError as exc:
        choices = ", ".join(s.value for s in Severity)
        raise DriftDataError(str(path), f"expected one of {choices}", where(item), rule, "severity") from exc


def _rule(path: Path, item: Any, index: int) -> DriftRule:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise DriftDataError(str(path), f"drift rule #{index + 1} must be a mapping with an id", where(item))
    rule_id = item["id"]
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise DriftDataError(str(path), f"unknown key(s) {sorted(unknown)}", where(item), rule_id)
    targets = [k for k in ("config", "state") if k in item]
    if len(targets) != 1:
        raise DriftDataError(str(path), "give exactly one of 'config' or 'state' (a regex)", where(item), rule_id)
    en, zh = _title(path, item, rule_id)
    pattern = compile_regex(path, item, targets[0], rule_id)
    return DriftRule(rule_id, targets[0], pattern, _severity(path, item, rule_id), en, zh)


def _joined(path: Path, block: dict[str, Any], key: str) -> re.Pattern[str] | None:
    patterns = block.get(key) or []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise DriftDataError(str(path), "expected a list of regular expressions", where(block), key=key)
    for pattern in patterns:
        compile_regex(path, {key: pattern, LINE: where(block)}, key, None)
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def load_drift_rules(path: Path = DRIFT_RULES) -> DriftRules:
    """The rules of ``path``; :class:`DriftDataError` naming file, line, rule and key when one is bad."""
    data = load_yaml(path) or {}
    block = data.get("drift") if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise DriftDataError(str(path), "expected a top-level 'drift:' mapping", where(data))
    default_item = block.get("default")
    if not isinstance(default_item, dict):
        raise DriftDataError(
            str(path), "expected default: {severity: ..., title: {en, zh}}", where(block), key="default"
        )
    en, zh = _title(path, default_item, "default")
    default = DriftRule("default", "any", None, _severity(path, default_item, "default"), en, zh)
    items = block.get("rules") or []
    if not isinstance(items, list):
        raise DriftDataError(str(path), "expected a list of rules", where(block), key="rules")
    rules = tuple(_rule(path, item, i) for i, item in enumerate(items))
    ordering = Ordering(_joined(path, block, "ordered_sections"), _joined(path, block, "ordered_lines"))
    return DriftRules(rules, default, ordering)
