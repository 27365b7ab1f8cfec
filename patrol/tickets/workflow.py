"""The two ticket classes' workflows: which action moves a ticket from which state to which.

Defect (系統缺陷類)::

    submitted --analyse--> analysing --confirm--> confirmed --escalate--> escalated
              --reply--> replied --resolve--> resolved --close--> closed   (close needs the fault record)

Consultation (咨詢類), answered at first line::

    submitted --reply--> replied --close--> closed ;  submitted --close--> closed (answered at once)

Two system moves are not user actions: an inspection run resolves an active ticket whose check
passed (``auto_resolve``) and reopens a resolved or closed one whose finding came back (``reopen``).
"""

from __future__ import annotations

from patrol.tickets.errors import TransitionError
from patrol.tickets.model import TicketClass, TicketState

__all__ = ["ACTIONS", "DEFECT_FLOW", "TRANSITIONS", "allowed_actions", "target_state"]

S = TicketState

#: action -> the state it leads to
ACTIONS: dict[str, TicketState] = {
    "analyse": S.ANALYSING,
    "confirm": S.CONFIRMED,
    "escalate": S.ESCALATED,
    "reply": S.REPLIED,
    "resolve": S.RESOLVED,
    "close": S.CLOSED,
}

TRANSITIONS: dict[TicketClass, dict[TicketState, tuple[str, ...]]] = {
    TicketClass.DEFECT: {
        S.SUBMITTED: ("analyse",),
        S.ANALYSING: ("confirm",),
        S.CONFIRMED: ("escalate",),
        S.ESCALATED: ("reply",),
        S.REPLIED: ("resolve",),
        S.RESOLVED: ("close",),
        S.CLOSED: (),
    },
    TicketClass.CONSULTATION: {
        S.SUBMITTED: ("reply", "close"),
        S.REPLIED: ("close",),
        S.CLOSED: (),
    },
}


#: what a refused defect move says: the contract's flow has no shortcut
DEFECT_FLOW = ("A defect always follows the contract's flow, escalation included: analyse → confirm → escalate → "
               "reply → resolve → close (系統缺陷類流程：分析 → 確認 → 上報 → 回覆 → 解決 → 關閉)")  # fmt: skip


def allowed_actions(klass: TicketClass, state: TicketState) -> tuple[str, ...]:
    return TRANSITIONS[klass].get(state, ())


def target_state(ticket_id: int, klass: TicketClass, state: TicketState, action: str) -> TicketState:
    """The state ``action`` leads to; :class:`TransitionError` listing the allowed actions otherwise."""
    allowed = allowed_actions(klass, state)
    if action not in allowed:
        flow = DEFECT_FLOW if klass is TicketClass.DEFECT else ""
        raise TransitionError(ticket_id, f"{state.value} ({state.zh}), a {klass.value}", action, allowed, flow)
    return ACTIONS[action]
