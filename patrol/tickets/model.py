"""Typed tickets, their audit trail and waivers, with the contract's bilingual terms (SERVICE.md).

A ticket as :meth:`Ticket.to_json` gives it (an inspection finding, priority = severity)::

    {"id": 12, "class": "defect", "source": "inspection", "state": "submitted",
     "priority": "critical", "title": "Telnet management is enabled; it must be disabled",
     "title_zh": "Telnet 管理已啟用；必須禁用", "host": "core-sw1",
     "check_id": "net.telnet.disabled", "object": "", "fingerprint": "4be1…",
     "description": "core-sw1: Telnet management is enabled; it must be disabled (Telnet 管理已啟用；必須禁用)",
     "message": "security.telnet_enabled is True, expected False",
     "evidence": {"matched_lines": ["transport input telnet ssh"]}, "occurrences": 3,
     "recurrence": 0, "first_seen": "2026-11-26T02:00:05Z", "last_seen": …, "first_run_id": …,
     "last_run_id": …, "clock_start": …, "responded_at": None, "resolved_at": None,
     "reporter": "patrol", "location": "core-sw1", "channel": None, "assignee": None,
     "release": None, "waiver_id": None, "record": {"cause": "…", "prevention": "…", "fix": "…"}}
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from patrol.i18n import pick
from patrol.models import Severity

__all__ = [
    "ACTIVE_STATES",
    "CLOSED_STATES",
    "PRIORITY_ZH",
    "RECORD_FIELDS",
    "Channel",
    "Event",
    "Source",
    "Ticket",
    "TicketClass",
    "TicketState",
    "Waiver",
]


class TicketClass(StrEnum):
    """The contract's two classes of reported problems."""

    CONSULTATION = "consultation"
    DEFECT = "defect"

    @property
    def zh(self) -> str:
        return {"consultation": "咨詢類", "defect": "系統缺陷類"}[self.value]


class TicketState(StrEnum):
    """Workflow states (the defect flow: 提交 → 分析 → 確認 → 上報 → 回復, then resolved and closed)."""

    SUBMITTED = "submitted"
    ANALYSING = "analysing"
    CONFIRMED = "confirmed"
    ESCALATED = "escalated"
    REPLIED = "replied"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def zh(self) -> str:
        return {
            "submitted": "提交",
            "analysing": "分析",
            "confirmed": "確認",
            "escalated": "上報",
            "replied": "回復",
            "resolved": "已解決",
            "closed": "已關閉",
        }[self.value]


CLOSED_STATES = frozenset({TicketState.RESOLVED, TicketState.CLOSED})
ACTIVE_STATES = frozenset(TicketState) - CLOSED_STATES


class Source(StrEnum):
    INSPECTION = "inspection"
    DESK = "desk"


class Channel(StrEnum):
    """Service channels (all 7×24)."""

    HOTLINE = "hotline"
    ONLINE = "online"
    REMOTE = "remote"
    EMAIL = "email"
    ONSITE = "onsite"
    PHONE = "phone"
    TRAINING = "training"

    @property
    def zh(self) -> str:
        return {
            "hotline": "熱線電話",
            "online": "在線支持",
            "remote": "遠程服務",
            "email": "郵件",
            "onsite": "現場服務",
            "phone": "電話訪問",
            "training": "培訓",
        }[self.value]


PRIORITY_ZH = {s.value: s.zh for s in Severity}

#: The written fault record (書面文檔): every field is required before a defect closes.
RECORD_FIELDS: dict[str, str] = {
    "occurred_at": "time it occurred (發生時間)",
    "location": "location (地點)",
    "reporter": "reporter (報告人)",
    "description": "description (描述)",
    "cause": "cause (原因)",
    "prevention": "prevention (預防措施)",
    "fix": "fix (解決方法)",
}


class Ticket(BaseModel):
    """One ticket as stored (see the module docstring for an example)."""

    model_config = ConfigDict(extra="ignore")

    id: int
    klass: TicketClass
    source: Source
    state: TicketState
    priority: Severity
    title: str
    description: str
    #: the Chinese title of the latest finding (not stored on the ticket; see patrol.tickets.repo)
    title_zh: str | None = None
    message: str = ""
    host: str | None = None
    check_id: str | None = None
    object: str | None = None
    fingerprint: str | None = None
    domain: str | None = None
    groups: list[str] = Field(default_factory=list)
    channel: Channel | None = None
    reporter: str
    location: str = ""
    assignee: str | None = None
    release: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    occurrences: int = 1
    recurrence: int = 0
    first_seen: datetime
    last_seen: datetime
    first_run_id: str | None = None
    last_run_id: str | None = None
    clock_start: datetime
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    waiver_id: int | None = None
    record: dict[str, str] = Field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def to_json(self, include: set[str] | None = None) -> dict[str, Any]:
        """The ticket as users read it in JSON (``--json``, exports, webhooks): ``class``, not ``klass``."""
        data = self.model_dump(mode="json", include=include)
        return {("class" if key == "klass" else key): value for key, value in data.items()}

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (Chinese falls back to the stored English title)."""
        return pick(self.title, self.title_zh, lang)

    @property
    def fault_record(self) -> dict[str, str]:
        """The written record with the fields the ticket itself knows filled in."""
        known = {
            "occurred_at": self.first_seen.strftime("%Y-%m-%d %H:%M UTC"),
            "location": self.location or (self.host or ""),
            "reporter": self.reporter,
            "description": self.description,
        }
        return {key: (self.record.get(key) or known.get(key) or "") for key in RECORD_FIELDS}

    @property
    def consultation_record(self) -> dict[str, str]:
        """The consultation record template: time, channel, reporter, location, question, answer."""
        return {
            "time": self.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "channel": self.channel.value if self.channel else "",
            "reporter": self.reporter,
            "location": self.location,
            "question": self.description,
            "answer": self.record.get("answer", ""),
            "answered_by": self.record.get("answered_by", ""),
        }

    @property
    def written_record(self) -> dict[str, str]:
        """The record this ticket's class keeps: the fault record or the consultation record."""
        return self.consultation_record if self.klass is TicketClass.CONSULTATION else self.fault_record

    @property
    def missing_record_fields(self) -> list[str]:
        return [key for key, value in self.fault_record.items() if not value.strip()]


class Event(BaseModel):
    """One audit-trail entry: who, when, what (from → to), why, and the run involved.

    ``{"ticket_id": 12, "at": …, "actor": "patrol", "action": "resolved", "from_state": "analysing",
    "to_state": "resolved", "note": "resolved automatically: run 2026… inspected core-sw1 and …",
    "run_id": "2026…"}``
    """

    id: int
    ticket_id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None = None
    to_state: str | None = None
    note: str = ""
    run_id: str | None = None


class Waiver(BaseModel):
    """A check waived for a host or group until a date, with reason and approver."""

    id: int
    check_id: str
    host: str | None = None
    group_name: str | None = None
    reason: str
    approver: str
    created_by: str
    created_at: datetime
    until: datetime
    expired_at: datetime | None = None

    def covers(self, check_id: str | None, host: str | None, groups: list[str]) -> bool:
        if check_id != self.check_id:
            return False
        if self.host is not None and host != self.host:
            return False
        return self.group_name is None or self.group_name in groups

    @property
    def scope(self) -> str:
        return f"host {self.host}" if self.host else f"group {self.group_name}" if self.group_name else "all hosts"
