"""The notification interface: one :class:`Message`, many targets (entry-point group ``patrol.notifiers``).

A target is built from its options in ``service.yml`` (``build_notifier("smtp", {...})``) and
sends one message at a time; it raises :class:`NotifyError` when delivery fails, and the outbox
(:mod:`patrol.notify.outbox`) retries and records it. A message as adapters receive it::

    Message(event="breach", ticket_id=12, subject="[patrol] ticket 12 critical 特急: resolve clock breached",
            body="Ticket 12 …", payload={"event": "breach", "ticket": {"id": 12, "state": "submitted", …}},
            external_ref=None)   # e.g. the Jira issue key this target created for the ticket earlier

Every subject, body and payload is redacted before it is queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from patrol import plugins
from patrol.errors import PatrolError

__all__ = ["GROUP", "Message", "Notifier", "NotifierOptions", "NotifyError", "build_notifier"]

GROUP = "patrol.notifiers"


class NotifyError(PatrolError):
    """A delivery that failed (``target`` names the configured target's type)."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(f"{target}: {message}")
        self.target = target


@dataclass(frozen=True)
class Message:
    """One notification (see the module docstring)."""

    event: str
    subject: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)
    ticket_id: int | None = None
    external_ref: str | None = None


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
