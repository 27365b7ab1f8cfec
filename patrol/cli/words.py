"""Fixed words of the CLI tables that take ``--lang`` (``patrol tickets``, ``patrol propose``).

English output stays as it was (bilingual cells such as ``critical 特急`` are kept: an English
terminal still shows the contract's terms); Chinese output shows Chinese only, authored here in
Traditional characters and converted to the reader's script by :func:`patrol.i18n.catalogue`.
"""

from __future__ import annotations

from patrol.i18n import catalogue, is_zh

__all__ = ["CLI_WORDS", "cli_words", "is_zh"]

# fmt: off
_EN = {
    "tickets_title": "tickets ({state}{as_at}): {n}", "as_at": ", SLA clocks as at {at}", "location": "location",
    "id": "id", "priority": "priority", "state": "state",
    "class": "class", "host": "host", "title": "title", "seen": "seen", "sla": "SLA", "assignee": "assignee",
    "times": "{n}x", "reopened_times": " (reopened {n}x)", "waived": "waived 豁免",
    "clock": "{clock} {status} ({left})", "release": "release {release}",
    "proposals_title": "improvement proposals, ranked", "rank": "#", "proposal": "proposal", "assets": "assets",
    "timeline": "timeline",
    "no_proposal": "no proposal: nothing in the history since {since} matches a rule (or there is no data)",
}
_ZH = {
    "tickets_title": "工單（{state}{as_at}）：{n}", "as_at": "，SLA 計時按 {at}", "location": "地點",
    "id": "編號", "priority": "優先級", "state": "狀態",
    "class": "類別", "host": "設備", "title": "標題", "seen": "出現次數", "sla": "SLA", "assignee": "負責人",
    "times": "{n} 次", "reopened_times": "（重開 {n} 次）", "waived": "已豁免",
    "clock": "{clock}{status}（{left}）", "release": "隨版本 {release} 解決",
    "proposals_title": "改進建議（按優先順序）", "rank": "#", "proposal": "建議", "assets": "涉及資產",
    "timeline": "建議時程",
    "no_proposal": "沒有建議：自 {since} 以來的歷史中沒有符合規則的情況（或沒有數據）",
    # the ``--state`` filter of ``patrol tickets``
    "filter.open": "未關閉", "filter.breached": "已超時", "filter.waived": "已豁免", "filter.all": "全部",
    # SLA clocks and their states (patrol/tickets/sla.py)
    "clock.respond": "響應", "clock.resolve": "解決",
    "status.breached": "已超時", "status.late": "逾時完成", "status.warning": "即將超時", "status.met": "已達成",
    "status.running": "計時中", "status.release": "隨版本解決", "status.waived": "已豁免",
}
# fmt: on

#: ``{"en": {...}, "zh": {...}}``: the English side has no ``filter.``/``clock.``/``status.`` keys
#: (English shows the value itself).
CLI_WORDS = {"en": _EN, "zh": _ZH}


def cli_words(lang: str) -> dict[str, str]:
    """The CLI's words in ``lang`` (``en``, ``zh-Hans``, ``zh-Hant``)."""
    return catalogue(CLI_WORDS, lang)
