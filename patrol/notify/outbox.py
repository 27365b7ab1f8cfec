"""The outbox: notifications are queued in the same transaction as the ticket change that caused
them, then delivered; a failed delivery is retried (bounded) and recorded, never lost or blocking.

Row states: ``pending`` (due at ``next_attempt_at``) -> ``sending`` (claimed by one process) ->
``sent`` | ``pending`` again (attempt failed, retried later with back-off) | ``failed`` (gave up
after :data:`MAX_ATTEMPTS`; ``last_error`` says why). ``patrol notifications`` shows them.

A message's attachments are queued as paths in ``outbox_attachments`` (one row each, in order) and
read when the message is sent: a file deleted in between fails that attempt like any delivery
error (retried, then recorded with the path in ``last_error``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from patrol.models import Severity, utcnow
from patrol.notify.base import Attachment, Message, Notifier, NotifyError, build_notifier
from patrol.sanitize import scrub_text, scrub_value
from patrol.store import Store
from patrol.store.schema_notify import outbox_attachments
from patrol.store.schema_tickets import outbox, ticket_links

__all__ = ["MAX_ATTEMPTS", "Delivery", "deliver", "enqueue", "enqueue_ids", "outbox_rows"]

log = logging.getLogger(__name__)

#: attempts in one delivery pass (immediately retried with a short pause) and in total
PASS_ATTEMPTS, MAX_ATTEMPTS = 3, 9
RETRY_PAUSE = 0.2
BACKOFF = timedelta(minutes=5)
STALE_CLAIM = timedelta(minutes=10)


def redact_payload(value: Any) -> Any:
    """``value`` with every string redacted (dicts and lists walked; see :func:`patrol.sanitize.scrub_value`)."""
    return scrub_value(value)


def _rows(targets: Sequence[Any], message: Message, priority: Severity, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "created_at": now,
            "target": target.name,
            "event": message.event,
            "ticket_id": message.ticket_id,
            "subject": scrub_text(message.subject),
            "body": scrub_text(message.body),
            "payload": redact_payload(message.payload),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for target in targets
        if target.wants(message.event, priority)
    ]


def enqueue(
    conn: Connection,
    targets: Sequence[Any],
    message: Message,
    priority: Severity,
    now: datetime,
) -> int:
    """Queue ``message`` for every target (a ``NotifyTarget``) that wants its event and priority."""
    if message.attachments:
        return len(enqueue_ids(conn, targets, message, priority, now))
    rows = _rows(targets, message, priority, now)
    if rows:
        conn.execute(insert(outbox), rows)
    return len(rows)


def enqueue_ids(conn: Connection, targets: Sequence[Any], message: Message, priority: Severity,
                now: datetime) -> list[int]:  # fmt: skip
    """Like :func:`enqueue`, one row at a time: the outbox ids queued, in ``targets`` order."""
    ids = []
    for row in _rows(targets, message, priority, now):
        outbox_id = conn.execute(insert(outbox).values(row).returning(outbox.c.id)).scalar_one()
        if message.attachments:
            conn.execute(insert(outbox_attachments), [
                {"outbox_id": outbox_id, "position": i, "filename": a.filename, "content_type": a.content_type,
                 "path": a.path}
                for i, a in enumerate(message.attachments)
            ])  # fmt: skip
        ids.append(outbox_id)
    return ids


def _attachments(store: Store, rows: Sequence[Any]) -> dict[int, tuple[Attachment, ...]]:
    """The queued attachments of ``rows`` by outbox id (rows without any are absent)."""
    if not rows:
        return {}
    a = outbox_attachments.c
    query = select(outbox_attachments).where(a.outbox_id.in_([r.id for r in rows])).order_by(a.outbox_id, a.position)
    found: dict[int, list[Attachment]] = {}
    with store.read() as conn:
        for r in conn.execute(query):
            found.setdefault(r.outbox_id, []).append(Attachment(r.filename, r.content_type, r.path))
    return {k: tuple(v) for k, v in found.items()}


@dataclass
class Delivery:
    """What one delivery pass did: ``{"sent": 2, "retrying": 1, "failed": 0, "left": 0}``."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    left: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(store: Store, now: datetime) -> list[Any]:
    with store.write() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.state == "sending", outbox.c.next_attempt_at < now - STALE_CLAIM)
            .values(state="pending")
        )
        rows = conn.execute(
            select(outbox).where(outbox.c.state == "pending", outbox.c.next_attempt_at <= now).order_by(outbox.c.id)
        ).all()
        if rows:
            conn.execute(
                update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(state="sending", next_attempt_at=now)
            )
    return list(rows)


def _link(store: Store, ticket_id: int | None, target: str) -> str | None:
    if ticket_id is None:
        return None
    with store.read() as conn:
        link = ticket_links.c
        ref = conn.execute(select(link.external_ref).where(link.ticket_id == ticket_id, link.target == target)).scalar()
    return None if ref is None else str(ref)


def _attempt(notifier: Notifier, message: Message, tries: int) -> tuple[str | None, str | None, int]:
    """Send with up to ``tries`` attempts: (external ref, last error, attempts made)."""
    error = None
    for attempt in range(1, tries + 1):
        try:
            return notifier.send(message), None, attempt
        except NotifyError as exc:
            error = scrub_text(str(exc))
            if attempt < tries:
                time.sleep(RETRY_PAUSE * attempt)
    return None, error, tries


def _record(store: Store, row: Any, ref: str | None, error: str | None, tries: int, now: datetime) -> str:
    attempts = row.attempts + tries
    if error is None:
        values: dict[str, Any] = {"state": "sent", "sent_at": utcnow(), "attempts": attempts, "external_ref": ref}
    elif attempts >= MAX_ATTEMPTS:
        values = {"state": "failed", "attempts": attempts, "last_error": error}
    else:
        values = {"state": "pending", "attempts": attempts, "last_error": error,
                  "next_attempt_at": now + BACKOFF * (attempts // PASS_ATTEMPTS)}  # fmt: skip
    with store.write() as conn:
        conn.execute(update(outbox).where(outbox.c.id == row.id).values(values))
        if ref and row.ticket_id is not None and not _has_link(conn, row.ticket_id, row.target):
            conn.execute(insert(ticket_links).values(ticket_id=row.ticket_id, target=row.target, external_ref=ref))
    return str(values["state"])


def _has_link(conn: Connection, ticket_id: int, target: str) -> bool:
    query = select(ticket_links.c.external_ref).where(ticket_links.c.ticket_id == ticket_id,
                                                       ticket_links.c.target == target)  # fmt: skip
    return conn.execute(query).first() is not None


def _notifiers(targets: Sequence[Any]) -> dict[str, Notifier | str]:
    built: dict[str, Notifier | str] = {}
    for target in targets:
        try:
            built[target.name] = build_notifier(target.type, target.options)
        except Exception as exc:  # a broken target must not stop the others
            built[target.name] = f"target {target.name} unusable: {exc}"
    return built


def deliver(store: Store, targets: Sequence[Any], now: datetime | None = None, budget: float = 20.0) -> Delivery:
    """Deliver every due message; stops starting new ones after ``budget`` seconds."""
    now = now or utcnow()
    started, report = time.monotonic(), Delivery()
    notifiers = _notifiers(targets)
    rows = _claim(store, now)
    attachments = _attachments(store, rows)
    for index, row in enumerate(rows):
        if time.monotonic() - started > budget:
            _release(store, rows[index:])
            report.left = len(rows) - index
            break
        notifier = notifiers.get(row.target) or f"target {row.target!r} is no longer in the service file"
        error: str | None
        if isinstance(notifier, str):
            ref, error, tries = None, notifier, MAX_ATTEMPTS
        else:
            message = Message(row.event, row.subject, row.body, row.payload or {}, row.ticket_id,
                              _link(store, row.ticket_id, row.target), attachments.get(row.id, ()))  # fmt: skip
            ref, error, tries = _attempt(notifier, message, PASS_ATTEMPTS)
        state = _record(store, row, ref, error, tries, now)
        _count(report, state, error, row)
    return report


def _count(report: Delivery, state: str, error: str | None, row: Any) -> None:
    if state == "sent":
        report.sent += 1
        return
    report.errors.append(f"{row.target} ({row.event}, ticket {row.ticket_id}): {error}")
    if state == "failed":
        report.failed += 1
        log.warning("notification %s to %s failed for good: %s", row.id, row.target, error)
    else:
        report.retrying += 1


def _release(store: Store, rows: Sequence[Any]) -> None:
    with store.write() as conn:
        conn.execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(state="pending"))


def outbox_rows(
    store: Store, state: str | None = None, limit: int = 100, ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Newest first: ``[{"id": 3, "target": "noc-mail", "event": "breach", "ticket_id": 12,
    "state": "sent", "attempts": 1, "last_error": None, "subject": "...", "created_at": ...}]``."""
    query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(outbox.c.state == state)
    if ids is not None:
        query = query.where(outbox.c.id.in_(list(ids)))
    with store.read() as conn:
        rows = conn.execute(query).all()
    keys = ("id", "created_at", "target", "event", "ticket_id", "state", "attempts", "last_error", "subject",
            "sent_at", "external_ref")  # fmt: skip
    return [{k: getattr(r, k) for k in keys} for r in rows]
