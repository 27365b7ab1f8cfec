"""The dashboard's words added with its sortable tables, live runs and links (en / zh), merged over
:data:`patrol.service.i18n.TEXT` by :func:`words` and converted by :func:`patrol.i18n.catalogue`
to the reader's language (``en``, ``zh-Hans``, ``zh-Hant``); :class:`Tr` names the values a page
shows (ticket states, priorities, statuses, trail entries) in that language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from patrol.i18n import catalogue, is_zh, resolve, zh_text
from patrol.i18n.messages import EVENT_ZH, STATUS_ZH, event_note, finding_message, reason_text
from patrol.service.i18n import ACTIONS, TEXT

__all__ = ["MORE", "Tr", "actions", "words"]

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
    "availability": "Availability by group", "group": "Group", "healthy": "Healthy", "degraded": "Degraded",
    "unknown": "Unknown", "target": "Target (%)", "met": "Met", "target_met": "met", "target_missed": "missed",
    "no_target": "no target",
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
    "availability": "各群組可用率", "group": "群組", "healthy": "正常", "degraded": "降級",
    "unknown": "未知", "target": "目標 (%)", "met": "達標", "target_met": "達標", "target_missed": "未達標",
    "no_target": "無目標",
}
# fmt: on

MORE: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def words(lang: str) -> dict[str, str]:
    """Every dashboard word in ``lang`` (any name :func:`patrol.i18n.resolve` knows): TEXT and these."""
    return catalogue({"en": TEXT["en"] | MORE["en"], "zh": TEXT["zh"] | MORE["zh"]}, resolve(lang))


def actions(lang: str) -> dict[str, str]:
    """The workflow buttons (``analyse`` …) in ``lang``."""
    return catalogue(ACTIONS, resolve(lang))


#: Values shown on pages, in authored Chinese (English shows the value itself).
_VALUES = STATUS_ZH | {
    "pass": "通過", "fail": "未通過", "critical": "特急", "urgent": "緊急", "normal": "一般", "other": "其他",
    "respond": "響應", "resolve": "解決", "breached": "已超時", "warning": "即將超時",
    "added": "新增", "removed": "刪除", "changed": "變更", "host": "設備", "group": "組",
    "submitted": "提交", "analysing": "分析", "confirmed": "確認", "escalated": "上報", "replied": "回復",
    "resolved": "已解決", "closed": "已關閉",
    "viewer": "查看者", "operator": "操作員", "approver": "審批人", "admin": "管理員",
}  # fmt: skip


@dataclass(frozen=True)
class Tr:
    """Names of a page's values in ``lang``: ``tr.value("analysing")`` is 分析 in zh-Hant, itself in English."""

    lang: str

    def value(self, value: object) -> str:
        """A state, priority, status, outcome, clock or drift kind (an enum or its value)."""
        text = str(getattr(value, "value", value) or "")
        return zh_text(_VALUES.get(text, text), self.lang) if is_zh(self.lang) else text

    def event(self, action: str) -> str:
        """A trail entry's kind (``opened``, ``state``, ``analyse`` …)."""
        if not is_zh(self.lang):
            return action
        return actions(self.lang).get(action) or zh_text(EVENT_ZH.get(action, action), self.lang)

    def note(self, note: str) -> str:
        return event_note(note, self.lang)

    def message(self, message: str | None) -> str:
        return finding_message(message or "", self.lang)

    def reason(self, reason: str | None) -> str:
        return reason_text(reason, self.lang)

    def minutes(self, minutes: int) -> str:
        return f"{minutes} {zh_text('分鐘', self.lang)}" if is_zh(self.lang) else f"{minutes} min"

    def scope(self, scope: str) -> str:
        """A baseline's or waiver's scope word (``host``, ``group``) followed by its name."""
        return re.sub(r"^(host|group)\b", lambda m: self.value(m[1]), scope) if is_zh(self.lang) else scope
