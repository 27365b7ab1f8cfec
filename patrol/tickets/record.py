"""The written fault record (書面文檔) of one ticket, exported as Markdown or JSON.

JSON shape::

    {"ticket": {...Ticket...}, "record": {"occurred_at": "2026-11-26 02:00 UTC", "location": "core-sw1",
     "reporter": "...", "description": "...", "cause": "...", "prevention": "...", "fix": "..."},
     "timeline": [{"at": ..., "actor": ..., "action": ..., "from_state": ..., "to_state": ..., "note": ...}],
     "runs": ["20261126-020003-9f3a", ...]}
"""

from __future__ import annotations

import json
from datetime import datetime

from patrol.tickets.model import RECORD_FIELDS, Event, Ticket

__all__ = ["record_json", "record_markdown"]


def record_json(ticket: Ticket, events: list[Event], runs: list[tuple[str, datetime]]) -> str:
    data = {
        "ticket": ticket.to_json(),
        "record": ticket.written_record,
        "timeline": [e.model_dump(mode="json", exclude={"id", "ticket_id"}) for e in events],
        "runs": [run for run, _ in runs],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def record_markdown(ticket: Ticket, events: list[Event], runs: list[tuple[str, datetime]]) -> str:
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
