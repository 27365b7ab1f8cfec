"""The tickets stage: findings become tickets under the service contract (SERVICE.md).

``sync_run`` (after each run: open / update / auto-resolve / reopen, one ticket per fingerprint),
``check_sla`` (clocks, breaches, escalation), desk operations (``open_ticket``, ``move``,
``assign``, ``comment``, ``write_record``), waivers (``grant_waiver``, ``expire_waivers``) and the
contract (``load_contract``).
"""

from patrol.tickets.contract import ServiceContract, load_contract
from patrol.tickets.desk import DeskRequest, assign, comment, move, open_ticket, write_record
from patrol.tickets.errors import RecordMissing, ServiceFileError, TicketError, TransitionError, WaiverError
from patrol.tickets.model import Channel, Event, Ticket, TicketClass, TicketState, Waiver
from patrol.tickets.repo import TicketFilter, list_tickets
from patrol.tickets.sla import ClockState, SlaReport, check_sla, clocks
from patrol.tickets.sync import SyncReport, sync_run
from patrol.tickets.waivers import expire_waivers, grant_waiver, list_waivers

__all__ = [
    "Channel",
    "ClockState",
    "DeskRequest",
    "Event",
    "RecordMissing",
    "ServiceContract",
    "ServiceFileError",
    "SlaReport",
    "SyncReport",
    "Ticket",
    "TicketClass",
    "TicketError",
    "TicketFilter",
    "TicketState",
    "TransitionError",
    "Waiver",
    "WaiverError",
    "assign",
    "check_sla",
    "clocks",
    "comment",
    "expire_waivers",
    "grant_waiver",
    "list_tickets",
    "list_waivers",
    "load_contract",
    "move",
    "open_ticket",
    "sync_run",
    "write_record",
]
