"""``patrol diff`` in every format: the side-by-side HTML here, text and JSON from :mod:`patrol.drift.render`.

The HTML (``diff.html.j2``, looked up like the run report's templates:
:func:`patrol.report.html.template_environment`) shows secrets only as ``<redacted>``, as the
other forms do; its data is :func:`patrol.drift.render.as_data`. Its words come in ``en``
(English with the Chinese terms, as before), ``zh-Hans`` and ``zh-Hant`` (:data:`DIFF_WORDS`, authored
in Traditional and converted by :func:`patrol.i18n.catalogue`); config lines and values stay as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from patrol.drift.render import FORMATS as DATA_FORMATS
from patrol.drift.render import as_data
from patrol.drift.render import render_diff as render_data
from patrol.drift.rules import DriftRules
from patrol.drift.timetravel import DiffReport
from patrol.errors import ReportError
from patrol.i18n import catalogue, cjk_font, is_zh, resolve, zh_text
from patrol.report.html import template_environment

__all__ = ["DIFF_TEMPLATE", "DIFF_WORDS", "FORMATS", "render_diff", "render_diff_html"]

DIFF_TEMPLATE = "diff.html.j2"
FORMATS = (*DATA_FORMATS, "html")

# fmt: off
_EN = {
    "page_title": "diff",
    "title": "Configuration diff 配置差異", "from": "from", "to": "to", "config_changes": "config changes 配置變更",
    "state_changes": "state changes 狀態變更", "changes": "Changes 變更", "severity": "severity", "kind": "kind",
    "path": "path", "line": "line", "not_shown": "(value not shown)", "no_changes": "No configuration change.",
    "side_by_side": "Side by side 並排比較", "secret_changed": "secret changed", "state": "State 狀態",
    "field": "field", "before": "before", "after": "after", "no_state": "No state change.",
    "ignored": "Ignored by noise rules 雜訊規則忽略", "side": "side", "rule": "rule", "text": "text",
}
_ZH = {
    "page_title": "差異",
    "title": "配置差異", "from": "從", "to": "到", "config_changes": "項配置變更", "state_changes": "項狀態變更",
    "changes": "變更", "severity": "嚴重性", "kind": "類型", "path": "位置", "line": "行號",
    "not_shown": "（不顯示值）",
    "no_changes": "沒有配置變更。", "side_by_side": "並排比較", "secret_changed": "密碼已變更", "state": "狀態",
    "field": "欄位", "before": "之前", "after": "之後", "no_state": "沒有狀態變更。", "ignored": "雜訊規則忽略的行",
    "side": "側", "rule": "規則", "text": "內容",
    # values: severities, change kinds, sides
    "v.critical": "特急", "v.urgent": "緊急", "v.normal": "一般", "v.other": "其他", "v.added": "新增",
    "v.removed": "刪除", "v.changed": "變更", "v.secret": "密碼", "v.moved": "順序變更", "v.from": "之前",
    "v.to": "之後",
}
# fmt: on
#: The diff page's words: ``{"en": {...}, "zh": {...}}``; ``v.`` keys name values (English shows the value).
DIFF_WORDS = {"en": _EN, "zh": _ZH}


def _label(label: str, lang: str) -> str:
    """A point's label (``run ID (2026-11-26 02:00 UTC)``, ``baseline host core-sw1 v2``) in ``lang``."""
    if not is_zh(lang):
        return label
    label = re.sub(r"^run (\S+) \((.+)\)$", r"巡檢 \1（\2）", label)
    label = re.sub(r"^baseline (host|group) ", lambda m: f"基線 {'設備' if m[1] == 'host' else '組'} ", label)
    return zh_text(label, lang)


def render_diff_html(report: DiffReport, rules: DriftRules, explain: bool = False,
                     template_dir: str | Path | None = None, lang: str = "en") -> str:  # fmt: skip
    """The diff as one self-contained HTML page in ``lang``; :class:`ReportError` if the template fails."""
    env, lang = template_environment(template_dir), resolve(lang)
    words = catalogue(DIFF_WORDS, lang)
    try:
        return env.get_template(DIFF_TEMPLATE).render(
            report=report, data=as_data(report, rules, explain), explain=explain, lang=lang, t=words,
            tr=lambda value: words.get(f"v.{value}", value), font=cjk_font(lang),
            before=_label(report.before.label, lang), after=_label(report.after.label, lang),
        )
    except jinja2.TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise ReportError(f"HTML template {DIFF_TEMPLATE}{where}: {exc}") from exc


def render_diff(
    report: DiffReport, rules: DriftRules, fmt: str = "text", explain: bool = False,
    template_dir: str | Path | None = None, lang: str = "en",
) -> str:  # fmt: skip
    """The diff as ``text``, ``json`` or ``html`` (in ``lang``); :class:`ReportError` for another format."""
    if fmt == "html":
        return render_diff_html(report, rules, explain, template_dir, lang)
    if fmt in DATA_FORMATS:
        return render_data(report, rules, fmt, explain)
    raise ReportError(f"unknown diff format {fmt!r}: use one of {', '.join(FORMATS)}")
