"""The written fault record (書面文檔) of one ticket, exported as Markdown or JSON.

JSON shape::

    {"ticket": {...Ticket...}, "record": {"occurred_at": "2026-11-26 02:00 UTC", "location": "core-sw1",
     "reporter": "...", "description": "...", "cause": "...", "prevention": "...", "fix": "..."},
     "timeline": [{"at": ..., "actor": ..., "action": ..., "from_state": ..., "to_state": ..., "note": ...}],
     "runs": ["20261126-020003-9f3a", ...]}
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from patrol.i18n import catalogue, is_zh, zh_text
from patrol.i18n.messages import EVENT_ZH, event_note
from patrol.tickets.model import RECORD_FIELDS, Event, Ticket, TicketState

__all__ = ["RECORD_WORDS", "record_json", "record_markdown"]

# fmt: off
#: The Markdown record's words in Chinese (authored in Traditional; English keeps its bilingual lines).
RECORD_WORDS = {"en": {}, "zh": {
    "title": "# 故障記錄（書面文檔）— 工單 {id}", "line1": "- 類別：{klass}；優先級：{priority}",
    "line2": "- 狀態：{state}；標題：{title}", "missing": "（缺少）", "timeline": "## 處理記錄",
    "seen": "出現於 {n} 次巡檢：{runs}",
    "occurred_at": "發生時間", "location": "地點", "reporter": "報告人", "description": "描述", "cause": "原因",
    "prevention": "預防措施", "fix": "解決方法",
}}
# fmt: on


def record_json(ticket: Ticket, events: list[Event], runs: list[tuple[str, datetime]]) -> str:
    data = {
        "ticket": ticket.to_json(),
        "record": ticket.written_record,
        "timeline": [e.model_dump(mode="json", exclude={"id", "ticket_id"}) for e in events],
        "runs": [run for run, _ in runs],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def record_markdown(ticket: Ticket, events: list[Event], runs: list[tuple[str, datetime]], lang: str = "en") -> str:
    """The record in ``lang``: English (with the contract's Chinese terms), ``zh-Hans`` or ``zh-Hant``."""
    if is_zh(lang):
        return _record_zh(ticket, events, runs, lang)
    lines = [
        f"# Fault record 書面文檔 — ticket {ticket.id}",
        "",
        f"- class: {ticket.klass.value} ({ticket.klass.zh}); priority: {ticket.priority.value} ({ticket.priority.zh})",
        f"- state: {ticket.state.value} ({ticket.state.zh}); title: {ticket.title}",
        "",
    ]
    record = ticket.fault_record
    lines += [f"**{RECORD_FIELDS[key]}**: {record[key] or '(missing)'}  " for key in RECORD_FIELDS]
    lines += ["", "## Timeline", ""]
    for e in events:
        move = f" {e.from_state or ''} → {e.to_state}" if e.to_state else ""
        lines.append(f"- {e.at:%Y-%m-%d %H:%M} UTC {e.actor}: {e.action}{move} {e.note}".rstrip())
    if runs:
        lines += ["", f"Seen in {len(runs)} run(s): {', '.join(r for r, _ in runs)}"]
    return "\n".join(lines) + "\n"


def _state(state: str | None, lang: str) -> str:
    if not state or state not in TicketState.__members__.values():
        return state or ""
    return zh_text(TicketState(state).zh, lang)


def _record_zh(ticket: Ticket, events: list[Event], runs: list[tuple[str, datetime]], lang: str) -> str:
    W = catalogue(RECORD_WORDS, lang)
    record = dict(ticket.fault_record)
    if ticket.source.value == "inspection":  # "host: title (title in Chinese)", "patrol run ID"
        record["description"] = f"{ticket.host}: {ticket.title_in(lang)}" if ticket.host else ticket.title_in(lang)
        record["reporter"] = re.sub(r"^(\S+) run (\S+)$", lambda m: zh_text(f"{m[1]} 巡檢 {m[2]}", lang),
                                    record["reporter"])  # fmt: skip
    lines = [
        W["title"].format(id=ticket.id), "",
        W["line1"].format(klass=zh_text(ticket.klass.zh, lang), priority=zh_text(ticket.priority.zh, lang)),
        W["line2"].format(state=zh_text(ticket.state.zh, lang), title=ticket.title_in(lang)), "",
    ]  # fmt: skip
    lines += [f"**{W[key]}**：{record[key] or W['missing']}  " for key in RECORD_FIELDS]
    lines += ["", W["timeline"], ""]
    for e in events:
        move = f" {_state(e.from_state, lang)} → {_state(e.to_state, lang)}" if e.to_state else ""
        what = zh_text(EVENT_ZH.get(e.action, e.action), lang)
        lines.append(f"- {e.at:%Y-%m-%d %H:%M} UTC {e.actor}：{what}{move} {event_note(e.note, lang)}".rstrip())
    if runs:
        lines += ["", W["seen"].format(n=len(runs), runs=", ".join(r for r, _ in runs))]
    return "\n".join(lines) + "\n"
