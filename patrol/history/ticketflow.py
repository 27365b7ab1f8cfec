"""One definition of a ticket *opened*, *reopened* and *resolved*, and of its SLA clocks.

Every ticket figure of a window — the monthly report's "N opened, M resolved", ``patrol trends``
``opened_resolved`` and the SLA table of both — is computed here from the ticket moves, so they
cannot disagree. Only defect tickets count (a desk consultation answered on the spot has no repair).

A **move** is one of the ticket's events (``History.events``, action normalised by :func:`moves`)::

    opened    the ticket was created (by a finding or at the desk)         starts an SLA clock
    reopened  its finding came back after it was resolved or closed        starts an SLA clock
    resolved  a run saw the check pass (automatic ``resolved`` event), or   ends the running clock
              the workflow moved it to ``resolved`` (``patrol ticket resolve``)

A **clock** runs from an opened/reopened move to the ticket's next resolved move (``end`` is
``None`` while it runs). A window's clocks are those that started *or* ended in it, so a ticket
created in June that recurs in November counts in November. ``clocks(h)`` -> frame::

    ticket_id  priority  start                      end
    12         critical  2026-11-03 02:00:00+00:00  2026-11-04 02:00:00+00:00

(A waiver's end restarts a ticket's clocks in place: that is no new clock here.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from patrol.history.frames import History

__all__ = ["MOVES", "clocks", "counts", "is_move", "moves", "weekly", "window_moves"]

MOVES = ("opened", "reopened", "resolved")


def is_move(action: str, to_state: str | None) -> str | None:
    """The move an event is (``opened``, ``reopened``, ``resolved``), or ``None``."""
    if action in MOVES:
        return action
    if action == "state" and to_state == "resolved":
        return "resolved"
    return None


def moves(events: pd.DataFrame) -> pd.DataFrame:
    """``ticket_id, at, action`` (a move) from raw events ``ticket_id, at, action, to_state``."""
    if events.empty:
        return pd.DataFrame({"ticket_id": pd.Series(dtype="int64"), "at": pd.Series(dtype="datetime64[ns, UTC]"),
                             "action": pd.Series(dtype="object")})  # fmt: skip
    kind = [is_move(a, t) for a, t in zip(events["action"], events["to_state"], strict=True)]
    out = events.assign(action=pd.Series(kind, index=events.index, dtype="object")).dropna(subset=["action"])
    return out[["ticket_id", "at", "action"]].sort_values(["at", "ticket_id"], kind="stable").reset_index(drop=True)


def _within(at: pd.Series, since: datetime | None, until: datetime | None) -> pd.Series:
    keep = pd.Series(True, index=at.index)
    if since is not None:
        keep &= at >= pd.Timestamp(since)
    if until is not None:
        keep &= at < pd.Timestamp(until)
    return keep


def window_moves(h: History) -> pd.DataFrame:
    """The moves made in the window (``h.events`` also holds earlier moves of those tickets)."""
    return h.events[_within(h.events["at"], h.since, h.until)] if not h.events.empty else h.events


def counts(h: History) -> dict[str, int]:
    """``{"opened": 14, "reopened": 3, "resolved": 12}``: the window's moves by kind."""
    found = window_moves(h)["action"].value_counts()
    return {kind: int(found.get(kind, 0)) for kind in MOVES}


def weekly(h: History) -> pd.DataFrame:
    """Per week (Monday): ``opened`` (opened + reopened: clocks started) and ``resolved``."""
    ev = window_moves(h)
    if ev.empty:
        return pd.DataFrame(columns=["week", "opened", "resolved"])
    ev = ev.assign(week=ev["at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time,
                   kind=ev["action"].replace({"reopened": "opened"}))  # fmt: skip
    table = ev.pivot_table(index="week", columns="kind", values="ticket_id", aggfunc="count", fill_value=0)
    table = table.reindex(columns=["opened", "resolved"], fill_value=0).reset_index()
    table["week"] = table["week"].dt.strftime("%Y-%m-%d")
    return table


def _cycles(events: pd.DataFrame) -> pd.DataFrame:
    """Every clock ``ticket_id, start, end`` of the tickets' moves: each opened/reopened move, ended
    by the ticket's next move when that is a resolution (a start after a start: the first never ended)."""
    ev = events.sort_values(["ticket_id", "at"], kind="stable").reset_index(drop=True)
    nxt = ev.shift(-1)
    starts = ev["action"].isin(["opened", "reopened"])
    ended = (nxt["ticket_id"] == ev["ticket_id"]) & (nxt["action"] == "resolved")
    frame = ev.loc[starts, ["ticket_id", "at"]].rename(columns={"at": "start"})
    frame["end"] = pd.to_datetime(nxt["at"].where(ended), utc=True).loc[starts]
    frame["ticket_id"] = frame["ticket_id"].astype("int64")
    return frame.reset_index(drop=True)


def clocks(h: History) -> pd.DataFrame:
    """The SLA clocks that started or ended in the window (see the module docstring). ``end`` is
    ``None`` for a clock still running at the window's end (one that ended later included)."""
    cols = ["ticket_id", "priority", "start", "end"]
    if h.events.empty:
        stamp = pd.Series(dtype="datetime64[ns, UTC]")
        return pd.DataFrame({"ticket_id": pd.Series(dtype="int64"), "priority": pd.Series(dtype="object"),
                             "start": stamp, "end": stamp})  # fmt: skip
    frame = _cycles(h.events)
    started = _within(frame["start"], h.since, h.until)
    ended = frame["end"].notna() & _within(frame["end"].fillna(pd.Timestamp.min.tz_localize("UTC")), h.since, h.until)
    frame = frame[started | ended]
    if h.until is not None:  # resolved after the window: still running at its end
        frame.loc[frame["end"] >= pd.Timestamp(h.until), "end"] = pd.NaT
    priority = h.tickets.set_index("id")["priority"] if not h.tickets.empty else pd.Series(dtype="object")
    frame = frame.assign(priority=frame["ticket_id"].map(priority))
    return frame.dropna(subset=["priority"])[cols].reset_index(drop=True)
