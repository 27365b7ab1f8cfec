"""The ticket link of remediation, through the tickets stage's public functions.

``plan_for_ticket(store, "12")`` plans the remediation of the ticket's finding. :class:`TicketLink`
is a :class:`~patrol.remediate.engine.RemediationHook` that writes each milestone of a change on
the ticket's timeline (previewed, applied with its verification run, rolled back). The ticket
resolves only through the verification run (the tickets stage resolves a ticket whose check
passed on an inspected host); when the finding is still there the ticket is escalated to the
person in charge with the evidence (walking the defect flow: analyse -> confirm -> escalate).
"""

from __future__ import annotations

from typing import Any

from patrol.errors import PatrolError
from patrol.remediate.errors import PlanError
from patrol.remediate.model import Change, Plan
from patrol.remediate.plan import plan_for_finding
from patrol.store import Store

__all__ = ["TicketLink", "is_ticket_ref", "plan_for_ticket"]

_TO_ESCALATED = ("analyse", "confirm", "escalate")


def is_ticket_ref(ref: str) -> bool:
    """``12``, ``#12``, ``T12`` name a ticket; a hex fingerprint names a finding."""
    text = ref.strip().lstrip("#")
    return text.isdigit() or (text[:1] in ("T", "t") and text[1:].isdigit())


def plan_for_ticket(store: Store, ref: str, *, vault_password_file: str | None = None) -> Plan:
    from patrol.tickets.repo import get_ticket

    with store.read() as conn:
        ticket = get_ticket(conn, ref)
    if not ticket.fingerprint:
        raise PlanError(f"ticket {ticket.id}", "was opened at the desk, not from a finding: there is no check to "
                        "remediate; use --playbook and --limit for a one-off change")  # fmt: skip
    return plan_for_finding(store, ticket.fingerprint, vault_password_file=vault_password_file, ticket_id=ticket.id)


def _evidence(change: Change) -> str:
    remaining = change.verification.get("remaining") or []
    shown = "; ".join(f"{r['host']} {r['check_id']}: {r['message']}" for r in remaining[:3])
    failed = [f"{h.host}: {h.error}" for h in change.host_results if h.error]
    return "; ".join(x for x in (shown, *failed[:3]) if x) or str(change.verification.get("error") or "no detail")


class TicketLink:
    """Writes a change's milestones on its ticket (``actor`` is who ran the command)."""

    def __init__(self, actor: str) -> None:
        self.actor = actor

    def _comment(self, store: Store, ticket_id: int, text: str) -> None:
        from patrol.tickets.desk import comment

        comment(store, str(ticket_id), text, self.actor)

    def previewed(self, store: Store, change: Change) -> None:
        if change.plan.ticket_id is None:
            return
        changed = sorted(h for h, r in change.preview.items() if r.get("changed"))
        self._comment(store, change.plan.ticket_id, f"change {change.id} previewed: {change.plan.playbook} would "
                      f"change {', '.join(changed) or 'nothing'}; approve with `patrol remediate "
                      f"{change.plan.ticket_id} --approve --by NAME`")  # fmt: skip

    def applied(self, store: Store, change: Change) -> None:
        ticket_id = change.plan.ticket_id
        if ticket_id is None:
            return
        who = ", ".join(a.approver for a in change.approvals)
        self._comment(store, ticket_id, f"change {change.id} {change.status.value} (approved by {who}); "
                      f"verification run {change.verify_run_id}: "
                      f"{'finding gone' if change.verified else 'finding still present'}")  # fmt: skip
        if not change.verified:
            self._escalate(store, ticket_id, f"change {change.id} did not remove the finding: {_evidence(change)}")

    def rolled_back(self, store: Store, change: Change) -> None:
        if change.plan.ticket_id is not None:
            self._comment(store, change.plan.ticket_id, f"change {change.id} rolled back by {self.actor}; "
                          f"re-inspection run {change.rollback_run_id}")  # fmt: skip

    def _escalate(self, store: Store, ticket_id: int, note: str) -> None:
        from patrol.tickets.contract import load_contract
        from patrol.tickets.desk import move
        from patrol.tickets.repo import get_ticket

        contract: Any = load_contract()
        for action in _TO_ESCALATED:
            with store.read() as conn:
                ticket = get_ticket(conn, str(ticket_id))
            if not ticket.active or ticket.state.value == "escalated":
                break
            try:
                move(store, contract, str(ticket_id), action, note, self.actor)
            except PatrolError:  # not a step on this ticket's way (a later state): try the next one
                continue
