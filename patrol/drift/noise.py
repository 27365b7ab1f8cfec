"""Noise rules: config lines and state fields that change without anyone changing anything.

Rules are data, shared by every command (``inspect/noise/*.yml``)::

    noise:
      - id: ios.last-change                           # unique across the files
        description: IOS stamps the time of the last change into the running config
        applies_to: {platform: [cisco_ios, arista_eos]}   # optional: platform / device_class
        config: '^! Last configuration change at'      # regex searched in the stripped line
        block: false                                   # true: the line and every line under it
      - id: state.interface-counters
        description: error counters grow with traffic
        state: '^interfaces\\[.*\\]\\.(in_errors|out_errors)$'   # regex on a state field path

A rule has exactly one of ``config`` / ``state``. The first matching rule (files in name order,
rules in file order) hides the line, and the diff remembers which rule did (``--explain``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.drift.errors import DriftDataError
from patrol.drift.yamlsrc import LINE, compile_regex, load_yaml, where
from patrol.paths import PROFILES_DIR

__all__ = ["NOISE_DIR", "LineNoise", "NoiseRule", "NoiseSet", "load_noise"]

NOISE_DIR = PROFILES_DIR / "noise"
_KEYS = {"id", "description", "applies_to", "config", "state", "block", LINE}
_APPLIES = {"platform", "device_class", LINE}
#: Hidden lines remembered per :class:`LineNoise` (they repeat: ``!``, ``#``).
CACHE_SIZE = 4096


@dataclass(frozen=True)
class NoiseRule:
    """One rule; ``target`` is ``config`` or ``state``; ``source`` is ``file:line``."""

    id: str
    description: str
    target: str
    pattern: re.Pattern[str]
    block: bool = False
    platforms: tuple[str, ...] = ()
    device_classes: tuple[str, ...] = ()
    source: str = ""

    def applies(self, platform: str, device_class: str) -> bool:
        return (not self.platforms or platform in self.platforms) and (
            not self.device_classes or device_class in self.device_classes
        )


@dataclass
class LineNoise:
    """The rules of one target for one platform, matched with a single combined regex."""

    rules: tuple[NoiseRule, ...] = ()
    _any: re.Pattern[str] | None = field(default=None, repr=False)
    _hits: dict[str, NoiseRule] = field(default_factory=dict, repr=False)

    _by_char: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """One combined regex per possible first character of a line (rules that say ``^x``)."""
        if not self.rules:
            return
        firsts = [_first_chars(r.pattern.pattern) for r in self.rules]
        self._any = _combined([r for r, chars in zip(self.rules, firsts, strict=True) if chars is None])
        for char in {c for chars in firsts if chars for c in chars}:
            bucket = [r for r, chars in zip(self.rules, firsts, strict=True) if chars is None or char in chars]
            self._by_char[char] = _combined(bucket)

    def match(self, text: str) -> NoiseRule | None:
        """The first rule that hides ``text``, or None (one regex search when nothing matches).

        Hidden lines repeat (``!``, ``#``), so the rule found for a line is remembered (up to
        :data:`CACHE_SIZE` lines per instance).
        """
        found = self._hits.get(text)
        if found is not None:
            return found
        combined = self._by_char.get(text[:1], self._any)
        if combined is None or combined.search(text) is None:
            return None
        found = next((r for r in self.rules if r.pattern.search(text)), None)
        if found is not None and len(self._hits) < CACHE_SIZE:
            self._hits[text] = found
        return found


_LITERAL = re.compile(r"\^(?:([^\\()\[\].*+?{}|^$])|\[([^\]\\^-]+)\])")


def _first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match must start with (``^!`` -> {"!"}, ``^[#/]`` -> {"#", "/"}); None if unknown."""
    if _top_level_alternation(pattern):
        return None
    match = _LITERAL.match(pattern)
    if match is None:
        return None
    return frozenset(match.group(1) or match.group(2))


def _top_level_alternation(pattern: str) -> bool:
    depth, escaped = 0, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def _combined(rules: list[NoiseRule]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules)) if rules else None


@dataclass(frozen=True)
class NoiseSet:
    """Every loaded rule; ``for_host`` picks those of one platform."""

    rules: tuple[NoiseRule, ...] = ()

    def for_host(self, platform: str, device_class: str, target: str = "config") -> LineNoise:
        return LineNoise(tuple(r for r in self.rules if r.target == target and r.applies(platform, device_class)))


def _strings(path: Path, item: dict[str, Any], key: str, rule: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DriftDataError(str(path), "expected a list of names", where(item), rule, key)
    return tuple(value)


def _applies(path: Path, item: dict[str, Any], rule: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    scope = item.get("applies_to") or {}
    if not isinstance(scope, dict) or set(scope) - _APPLIES:
        raise DriftDataError(
            str(path), "expected a mapping with platform and/or device_class lists", where(item), rule, "applies_to"
        )
    return _strings(path, scope, "platform", rule), _strings(path, scope, "device_class", rule)


def _rule(path: Path, item: Any, index: int) -> NoiseRule:
    if not isinstance(item, dict):
        raise DriftDataError(str(path), f"noise rule #{index + 1} must be a mapping with id, description, config|state")
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise DriftDataError(str(path), f"noise rule #{index + 1} needs an id", where(item), key="id")
    unknown = set(item) - _KEYS
    if unknown:
        known = ", ".join(sorted(_KEYS - {LINE}))
        raise DriftDataError(str(path), f"unknown key(s) {sorted(unknown)}; known: {known}", where(item), rule_id)
    targets = [k for k in ("config", "state") if k in item]
    if len(targets) != 1:
        raise DriftDataError(str(path), "give exactly one of 'config' or 'state' (a regex)", where(item), rule_id)
    if not isinstance(item.get("description"), str) or not item["description"].strip():
        raise DriftDataError(str(path), "say why the line is noise", where(item), rule_id, "description")
    platforms, classes = _applies(path, item, rule_id)
    return NoiseRule(
        id=rule_id,
        description=item["description"].strip(),
        target=targets[0],
        pattern=compile_regex(path, item, targets[0], rule_id),
        block=bool(item.get("block", False)),
        platforms=platforms,
        device_classes=classes,
        source=f"{path}:{where(item)}",
    )


def _files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml")))
        elif path.is_file():
            files.append(path)
        else:
            raise DriftDataError(str(path), "no such noise rule file or folder")
    return files


def load_noise(paths: Sequence[Path] = (NOISE_DIR,)) -> NoiseSet:
    """Every rule of the files (folders: their ``*.yml``); :class:`DriftDataError` on the first bad one."""
    rules: list[NoiseRule] = []
    seen: dict[str, str] = {}
    for path in _files(paths):
        data = load_yaml(path) or {}
        items = data.get("noise") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise DriftDataError(str(path), "expected a top-level 'noise:' list of rules", where(data))
        for index, item in enumerate(items):
            rule = _rule(path, item, index)
            if rule.id in seen:
                raise DriftDataError(str(path), f"id already used at {seen[rule.id]}", where(item), rule.id, "id")
            seen[rule.id] = rule.source
            rules.append(rule)
    return NoiseSet(tuple(rules))
