"""The one reader of dates and times typed on the command line (every ``--at``, ``--until``,
``--from``/``--to``, ``--since``).

Accepted forms (a time ``HH:MM[:SS]`` may follow any date form, after a space or ``T``)::

    2026-12-04   2026-12-04T02:00   2026-12-04 02:00Z   2026/12/04   04.12.2026 (day.month.year)
    31/12/2026 (day first: 31 > 12)   12/31/2026 (month first: 31 > 12)   04/12/2026: refused, ambiguous
    now  today  yesterday  tomorrow   +1d  -3h  +5h30m  2w   (a bare 90d counts in the option's direction)

A date without a time is a whole day in the local time zone; each option says which end of the
day it means (``Edge.END`` for "until", ``Edge.START`` for "since"/"from"). A time without a zone is
local time. What was understood is echoed back in the user's own terms by :attr:`When.text`
(``2026-11-01 (end of day)``, ``+1d (2026-12-05 17:20 UTC)``).

Bad input exits with the option named and the accepted form:
``--until: '31/13/2026' is not a date; use YYYY-MM-DD (e.g. 2027-01-03)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum

from patrol.cli.common import fail
from patrol.models import utcnow

__all__ = ["Edge", "When", "describe", "parse_when", "when"]


class Edge(Enum):
    """Which moment a bare date means for an option."""

    START = "start of day"
    END = "end of day"


@dataclass(frozen=True)
class When:
    """A moment the user named: ``at`` (aware, UTC), and how to say it back to them."""

    at: datetime
    text: str
    whole_day: bool = False
    relative: bool = False


class DateInputError(ValueError):
    """The text is not a date or time this module reads (the message says why)."""


_RELATIVE = re.compile(r"^([+-]?)((?:\d+\s*[smhdw]\s*)+)$")
_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TIME = r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
_YMD = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME + "$", re.IGNORECASE)
_DMY_DOT = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$", re.IGNORECASE)
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME + "$", re.IGNORECASE)
_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}


def _local() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def _zone(text: str | None) -> tzinfo:
    if not text:
        return _local()
    if text.upper() in ("Z", "UTC"):
        return UTC
    return datetime.strptime(text.replace(":", ""), "%z").tzinfo or UTC


def _day_month(first: int, second: int, year: int, text: str) -> tuple[int, int]:
    """``31/12/2026`` is day first, ``12/31/2026`` month first; both <= 12 and different: refused."""
    if first > 12 or first == second:
        return first, second  # day first (a month over 12 is then refused as not a date)
    if second > 12:
        return second, first
    raise DateInputError(
        f"{text!r} is ambiguous (day/month or month/day?); write it as YYYY-MM-DD "
        f"({year}-{second:02d}-{first:02d} or {year}-{first:02d}-{second:02d})"
    )


def _absolute(text: str) -> tuple[datetime, bool] | None:
    """(moment, date only) for the date forms, None when the text is none of them."""
    if m := _YMD.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY_DOT.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _SLASHED.match(text):
        year = int(m[3])
        day, month = _day_month(int(m[1]), int(m[2]), year, text)
    else:
        return None
    hour, minute, second = m[4], m[5], m[6]
    try:
        moment = datetime(year, month, day, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=_zone(m[7]))
    except ValueError as exc:
        raise DateInputError(f"{text!r} is not a date ({exc})") from exc  # 31/13/2026, 2026-02-30
    return moment, hour is None


def _day_edge(day: date, edge: Edge) -> datetime:
    moment = datetime.combine(day, time.min if edge is Edge.START else time(23, 59, 59), tzinfo=_local())
    return moment


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe(moment: datetime) -> str:
    """A moment as a user reads it: local time, with UTC alongside when the zone is not UTC."""
    local = moment.astimezone(_local())
    text = local.strftime("%Y-%m-%d %H:%M")
    return text if local.utcoffset() == timedelta(0) else f"{text} ({_utc(moment)})"


def parse_when(value: str, *, edge: Edge = Edge.END, bare_sign: int = 1, now: datetime | None = None) -> When:
    """Read one date/time the user typed (see the module docstring); :class:`DateInputError` otherwise."""
    now = now or utcnow()
    text = " ".join(value.split())
    lower = text.lower()
    if lower == "now":
        return When(now, f"now ({describe(now)})")
    if lower in _WORDS:
        day = (now.astimezone(_local()) + timedelta(days=_WORDS[lower])).date()
        return When(_day_edge(day, edge).astimezone(UTC), f"{lower}, {day:%Y-%m-%d} ({edge.value})", True)
    if m := _RELATIVE.match(lower):
        sign = -1 if m[1] == "-" else 1 if m[1] == "+" else bare_sign
        span = sum((timedelta(**{_UNIT[u]: int(n)}) for n, u in _PART.findall(m[2])), timedelta())
        moment = now + sign * span
        return When(moment, f"{text} ({describe(moment)})", relative=True)
    found = _absolute(text)
    if found is None:
        raise DateInputError(f"{value!r} is not a date")
    moment, date_only = found
    if date_only:
        return When(_day_edge(moment.date(), edge).astimezone(UTC), f"{moment:%Y-%m-%d} ({edge.value})", True)
    return When(moment.astimezone(UTC), describe(moment))


def when(option: str, value: str, *, edge: Edge = Edge.END, bare_sign: int = 1, now: datetime | None = None) -> When:
    """:func:`parse_when` for the CLI: bad input exits 2 naming ``option`` and the accepted forms."""
    try:
        return parse_when(value, edge=edge, bare_sign=bare_sign, now=now)
    except DateInputError as exc:
        example = ((now or utcnow()) + timedelta(days=30)).strftime("%Y-%m-%d")
        message = str(exc)
        hint = "" if "YYYY-MM-DD" in message else f"; use YYYY-MM-DD (e.g. {example}), YYYY-MM-DD HH:MM, +4h or -2d"
        fail(f"{option}: {message}{hint}")
