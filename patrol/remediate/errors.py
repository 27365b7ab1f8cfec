"""Errors of the remediation stage (all under :class:`patrol.errors.PatrolError`)::

    PatrolError
    └── RemediationError        a change that cannot go ahead (.change_id when there is one)
        ├── PlanError           bad input: playbook missing / not parsing, finding without a
        │                       remediation, host not in the inventory, unknown finding/ticket (.what)
        ├── ApprovalError       apply refused: no matching preview, same approver twice, the requester
        │                       as one of two approvers, already being applied / applied (.change_id)
        └── RollbackError       a change that has nothing to restore (.change_id)

Every message says what to do instead. Nothing has been changed on any host when one is raised.
"""

from __future__ import annotations

from patrol.errors import PatrolError

__all__ = ["ApprovalError", "PlanError", "RemediationError", "RollbackError"]


class RemediationError(PatrolError):
    """A change that cannot go ahead; ``change_id`` names it when it exists."""

    def __init__(self, message: str, change_id: str | None = None) -> None:
        super().__init__(message)
        self.change_id = change_id


class PlanError(RemediationError):
    """The plan cannot be built from the user's input; ``what`` names the argument or file."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(f"{what}: {message}")
        self.what = what


class ApprovalError(RemediationError):
    """Apply refused (no matching preview within the window, approver already recorded ...)."""


class RollbackError(RemediationError):
    """A change that cannot be rolled back (never applied, no backup, already rolled back)."""
