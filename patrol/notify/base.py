"""The notification interface: one :class:`Message`, many targets (entry-point group ``patrol.notifiers``).

A target is built from its options in ``service.yml`` (``build_notifier("smtp", {...})``) and
sends one message at a time; it raises :class:`NotifyError` when delivery fails, and the outbox
(:mod:`patrol.notify.outbox`) retries and records it. A message as adapters receive it::

    Message(event="breach", ticket_id=12, subject="[patrol] ticket 12 critical 特急: resolve clock breached",
            body="Ticket 12 …", payload={"event": "breach", "ticket": {"id": 12, "state": "submitted", …}},
            external_ref=None,   # e.g. the Jira issue key this target created for the ticket earlier
            attachments=(Attachment("period-2026-10.xlsx", "application/vnd.openxml…", "/srv/…/period-2026-10.xlsx"),))

Every subject, body and payload is redacted before it is queued. An attachment is a file's path,
not its bytes (the outbox stores the path); the e-mail adapter attaches the file, the webhook and
Jira adapters only name it (:meth:`Attachment.describe`: file name, type and size). A file that
vanished before delivery is a :class:`NotifyError` naming the path, retried and recorded by the outbox.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from patrol import plugins
from patrol.errors import PatrolError

__all__ = [
    "GROUP",
    "Attachment",
    "Message",
    "Notifier",
    "NotifierOptions",
    "NotifyError",
    "attachment_note",
    "build_notifier",
]

GROUP = "patrol.notifiers"


class NotifyError(PatrolError):
    """A delivery that failed (``target`` names the configured target's type)."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(f"{target}: {message}")
        self.target = target


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: its name for the recipient, MIME type and where it lies on disk."""

    filename: str
    content_type: str
    path: str

    @classmethod
    def of(cls, path: Path | str, filename: str | None = None) -> Attachment:
        """``Attachment.of("out/r.html")`` -> ``Attachment("r.html", "text/html", "/abs/out/r.html")``."""
        resolved = Path(path).resolve()
        name = filename or resolved.name
        return cls(name, mimetypes.guess_type(name)[0] or "application/octet-stream", str(resolved))

    def read(self, target: str) -> bytes:
        """The file's bytes; :class:`NotifyError` naming the path if it is gone or unreadable."""
        try:
            return Path(self.path).read_bytes()
        except OSError as exc:
            raise NotifyError(target, self._gone(exc)) from exc

    def describe(self, target: str) -> dict[str, Any]:
        """``{"filename": "r.html", "content_type": "text/html", "size": 18234}`` (never the content)."""
        try:
            size = Path(self.path).stat().st_size
        except OSError as exc:
            raise NotifyError(target, self._gone(exc)) from exc
        return {"filename": self.filename, "content_type": self.content_type, "size": size}

    def _gone(self, exc: OSError) -> str:
        return (f"attachment {self.filename!r} cannot be read at {self.path} ({exc.strerror or exc}); "
                "the file was moved or deleted after the message was queued; put it back at that path "
                "and the outbox's next attempt sends it")  # fmt: skip


@dataclass(frozen=True)
class Message:
    """One notification (see the module docstring)."""

    event: str
    subject: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)
    ticket_id: int | None = None
    external_ref: str | None = None
    attachments: tuple[Attachment, ...] = ()


def attachment_note(target: str, message: Message) -> str:
    """``"\n\nAttachments (not uploaded): r.html (text/html, 18234 bytes)"``, or ``""`` without any."""
    if not message.attachments:
        return ""
    described = [a.describe(target) for a in message.attachments]
    names = ", ".join(f"{d['filename']} ({d['content_type']}, {d['size']} bytes)" for d in described)
    return f"\n\nAttachments (not uploaded): {names}"


class Notifier(Protocol):
    """A delivery adapter. ``send`` returns a reference to keep for the ticket (an issue key) or None."""

    name: str

    def send(self, message: Message) -> str | None: ...


class NotifierOptions(BaseModel):
    """Base of adapters' option models: unknown keys are an error that names them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def build_notifier(kind: str, options: dict[str, Any]) -> Notifier:
    """The adapter registered as ``kind``, configured with ``options``; ValueError/PluginError if unusable."""
    adapter = plugins.load(GROUP, kind)
    try:
        built: Notifier = adapter.from_options(options)
        return built
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{kind} option {key!r}: {first['msg']}") from exc
