"""Errors of the service stage, rooted in :mod:`patrol.errors`::

    ConfigError
    └── ScheduleError      a schedule that cannot be used: bad cron/time zone, duplicate or unknown
                           name, bad inspect/schedules.yml entry (.schedule, .key)
        └── TokenError     an API token name/role that cannot be used (.schedule is the token name)
    PatrolError
    └── ServiceError       the service cannot do it now
        └── LeaseHeld      another run (or report delivery) of the schedule holds its lease

Messages name the schedule, the file and key where there is one, and say how to fix it.
"""

from __future__ import annotations

from datetime import datetime

from patrol.errors import ConfigError, PatrolError

__all__ = ["LeaseHeld", "ScheduleError", "ServiceError", "TokenError"]


class ScheduleError(ConfigError):
    """A schedule (or its declaration) that cannot be used; names the schedule and the key."""

    def __init__(self, schedule: str, message: str, key: str | None = None, source: str | None = None) -> None:
        where = (f"{source}: " if source else "") + f"schedule {schedule!r}" + (f": {key}" if key else "")
        super().__init__(f"{where}: {message}", key=key)
        self.schedule, self.source, self.detail = schedule, source, message


class TokenError(ConfigError):
    """An API token that cannot be added or removed."""


class ServiceError(PatrolError):
    """The service cannot do this now."""


class LeaseHeld(ServiceError):
    """A lease (one schedule's run) is held by another process until ``expires_at``."""

    def __init__(self, name: str, holder: str, expires_at: datetime) -> None:
        super().__init__(
            f"{name} is already running (held by {holder} until {expires_at:%Y-%m-%d %H:%M:%S} UTC); "
            "wait for it to finish"
        )
        self.name, self.holder, self.expires_at = name, holder, expires_at
