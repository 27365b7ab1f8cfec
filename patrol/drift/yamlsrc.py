"""YAML data files of the drift stage, read with the line number of every mapping.

``load_yaml(path)`` returns plain data where each mapping also carries ``"__line__"`` (1-based),
so a bad value can be reported as ``inspect/noise/network.yml:12: rule 'x': key 'config': ...``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from patrol.drift.errors import DriftDataError

__all__ = ["LINE", "compile_regex", "load_yaml", "where"]

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records each mapping's line as ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in yaml.SafeLoader.construct_mapping(loader, node, deep=True).items()}
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """The file's data (mappings carry ``__line__``); :class:`DriftDataError` naming the file/line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DriftDataError(str(path), f"cannot read: {exc.strerror}") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DriftDataError(str(path), f"not valid YAML: {getattr(exc, 'problem', exc)}", line=line) from exc


def where(item: Any) -> int | None:
    """The line recorded for a mapping (None for other values)."""
    return item.get(LINE) if isinstance(item, dict) else None


def compile_regex(path: Path, item: dict[str, Any], key: str, rule: str | None) -> re.Pattern[str]:
    """``item[key]`` compiled; :class:`DriftDataError` naming file, line, rule and key when invalid."""
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise DriftDataError(str(path), f"expected a regular expression string, got {value!r}", where(item), rule, key)
    try:
        return re.compile(value)
    except re.error as exc:
        raise DriftDataError(
            str(path), f"invalid regular expression {value!r}: {exc}; fix the pattern", where(item), rule, key
        ) from exc
