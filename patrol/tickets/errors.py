"""Errors of the tickets stage, rooted in :class:`patrol.errors.PatrolError`::

    PatrolError
    ├── ConfigError
    │   └── ServiceFileError   inspect/service.yml that cannot be used (.path, .key)
    └── TicketError            a ticket operation refused (nothing was changed)
        ├── TransitionError    an action the ticket's class and state do not allow (.allowed)
        ├── RecordMissing      closing a defect whose written fault record is incomplete (.missing)
        └── WaiverError        a waiver without approver/reason, or expiring in the past

Unknown ticket ids raise :class:`patrol.errors.NotFoundError` ("no ticket '42'").
"""

from __future__ import annotations

from collections.abc import Sequence

from patrol.errors import ConfigError, PatrolError

__all__ = ["RecordMissing", "ServiceFileError", "TicketError", "TransitionError", "WaiverError"]


class ServiceFileError(ConfigError):
    """The service contract file is malformed; the message names file and key and the fix."""

    def __init__(self, path: str, message: str, key: str | None = None) -> None:
        super().__init__(f"{path}: " + (f"{key}: " if key else "") + message, key=key)
        self.path = path


class TicketError(PatrolError):
    """A ticket operation that was refused; ``ticket_id`` names the ticket when there is one."""

    def __init__(self, message: str, ticket_id: int | None = None) -> None:
        super().__init__(message)
        self.ticket_id = ticket_id


class TransitionError(TicketError):
    """An action not allowed from the ticket's state; ``allowed`` lists those that are."""

    def __init__(self, ticket_id: int, state: str, action: str, allowed: Sequence[str], flow: str = "") -> None:
        choices = ", ".join(allowed) if allowed else "none (the ticket is closed)"
        super().__init__(
            f"ticket {ticket_id} is {state}: {action!r} is not allowed from there; allowed: {choices}"
            + (f". {flow}" if flow else ""),
            ticket_id,
        )
        self.allowed = list(allowed)


class RecordMissing(TicketError):
    """A defect cannot close before its written fault record is complete."""

    def __init__(self, ticket_id: int, missing: Sequence[str]) -> None:
        options = " ".join(f"--{name.replace('_', '-')} ..." for name in missing)
        super().__init__(
            f"ticket {ticket_id} cannot close: its written fault record lacks {', '.join(missing)}; "
            f"fill it with `patrol ticket record {ticket_id} {options}`",
            ticket_id,
        )
        self.missing = list(missing)


class WaiverError(TicketError):
    """A waiver that cannot be granted as asked."""
