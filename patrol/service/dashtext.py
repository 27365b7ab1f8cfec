"""The dashboard's words added with its sortable tables, live runs and links (en / zh), merged over
:data:`patrol.service.i18n.TEXT` by :func:`words`; a language without its own table here uses
the Chinese words for ``zh*`` and the English ones otherwise."""

from __future__ import annotations

from patrol.service.i18n import TEXT

__all__ = ["MORE", "words"]

# fmt: off
_EN = {
    "filter": "Filter…", "filter_label": "Filter rows", "sort_hint": "click a column heading to sort",
    "refresh_every": "auto-refresh every", "seconds": "s", "pause": "Pause", "resume": "Resume",
    "refresh_paused": "auto-refresh paused", "updated": "updated",
    "in_progress": "Run in progress", "hosts_done": "hosts done", "pending": "pending",
    "axis_run": "Run (start, UTC)", "axis_findings": "Findings", "links": "Links", "ticket": "Ticket",
    "history": "History", "drift_link": "Drift", "no_ticket": "no ticket", "check_history": "History of check",
    "passed": "passed", "not_inspected": "not inspected", "result": "Result", "events": "Trail",
    "at": "When (UTC)", "actor": "Who", "action": "Action", "first_seen": "First seen", "last_seen": "Last seen",
    "occurrences": "Occurrences", "assignee": "Assignee", "ticket_missing": "No such ticket.",
    "description": "Description", "runs_seen": "Runs",
}
_ZH = {
    "filter": "篩選…", "filter_label": "篩選行", "sort_hint": "點擊列標題排序",
    "refresh_every": "自動刷新間隔", "seconds": "秒", "pause": "暫停", "resume": "繼續",
    "refresh_paused": "自動刷新已暫停", "updated": "更新於",
    "in_progress": "巡檢進行中", "hosts_done": "台設備已完成", "pending": "等待中",
    "axis_run": "巡檢 (開始時間, UTC)", "axis_findings": "問題數", "links": "鏈接", "ticket": "工單",
    "history": "歷史", "drift_link": "偏差", "no_ticket": "無工單", "check_history": "檢查項歷史",
    "passed": "通過", "not_inspected": "未巡檢", "result": "結果", "events": "處理記錄",
    "at": "時間 (UTC)", "actor": "操作人", "action": "操作", "first_seen": "首次發現", "last_seen": "最近發現",
    "occurrences": "出現次數", "assignee": "處理人", "ticket_missing": "沒有此工單。",
    "description": "描述", "runs_seen": "巡檢",
}
# fmt: on

MORE: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def words(lang: str) -> dict[str, str]:
    """Every dashboard word in ``lang``: :data:`patrol.service.i18n.TEXT` and these."""
    base = TEXT.get(lang) or TEXT["en"]
    return base | (MORE.get(lang) or MORE["zh" if lang.startswith("zh") else "en"])
