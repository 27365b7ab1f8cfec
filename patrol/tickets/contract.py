"""The customer's service contract as data: SLA clocks, warning threshold, person in charge, targets.

Read from ``--service PATH``, else ``$PATROL_SERVICE``, else ``inspect/service.yml``; when none
exists the contract's own values apply (SERVICE.md)::

    customer: Example Customer
    person_in_charge: "Wang Wei <pm@example.net>"    # 負責人: escalations go to them
    next_release: "2027.1"                           # what "other" (new requirements) targets
    warning_at: 0.75                                 # warn when 75 % of a clock is used up
    sla:                                             # per priority: respond / resolve durations
      critical: {respond: 15m, resolve: 4h}          # "immediate" response is measured as 15m
      urgent:   {respond: 15m, resolve: 8h}
      normal:   {respond: 15m, resolve: 12h}
      other:    {respond: 15m, resolve: next_release}
    channels: {email: {respond: 2h}}                 # per-channel response overrides
    notify:                                          # targets: an entry point of patrol.notifiers
      - {name: noc-mail, type: smtp, host: 127.0.0.1, port: 25, sender: patrol@example.net,
         to: [noc@example.net], events: [opened, reopened, warning, breach, waiver_expired]}

Durations are ``30m``, ``4h``, ``1d12h`` or whole seconds.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from patrol.models import Severity
from patrol.paths import PROFILES_DIR
from patrol.tickets.errors import ServiceFileError

__all__ = [
    "DEFAULT_SERVICE_FILE",
    "EVENTS",
    "Clock",
    "NotifyTarget",
    "ServiceContract",
    "load_contract",
    "parse_duration",
]

DEFAULT_SERVICE_FILE = PROFILES_DIR / "service.yml"
NEXT_RELEASE = "next_release"
#: Events a notification target can subscribe to.
EVENTS = ("opened", "reopened", "resolved", "moved", "warning", "breach", "waiver_expired")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any) -> timedelta:
    """``"4h"``, ``"30m"``, ``"1d12h"``, ``90`` (seconds) -> timedelta; ValueError otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=float(value))
    match = _DURATION.match(str(value).strip())
    if not match or not any(match.groups()):
        raise ValueError(f"{value!r} is not a duration; write e.g. 30m, 4h, 1d12h or whole seconds")
    d, h, m, s = (int(g or 0) for g in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clock(_Strict):
    """One priority's clocks; ``resolve`` None means "targets the next release"."""

    respond: timedelta = timedelta(minutes=15)
    resolve: timedelta | None

    @field_validator("respond", mode="before")
    @classmethod
    def _respond(cls, value: Any) -> timedelta:
        return value if isinstance(value, timedelta) else parse_duration(value)

    @field_validator("resolve", mode="before")
    @classmethod
    def _resolve(cls, value: Any) -> timedelta | None:
        if value is None or value == NEXT_RELEASE:
            return None
        return value if isinstance(value, timedelta) else parse_duration(value)


class ChannelClock(_Strict):
    respond: timedelta

    @field_validator("respond", mode="before")
    @classmethod
    def _respond(cls, value: Any) -> timedelta:
        return value if isinstance(value, timedelta) else parse_duration(value)


class NotifyTarget(BaseModel):
    """A notification target: ``type`` names a ``patrol.notifiers`` plugin; other keys are its options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    events: tuple[str, ...] = EVENTS
    min_priority: Severity = Severity.OTHER

    @field_validator("events")
    @classmethod
    def _events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(EVENTS))
        if unknown:
            raise ValueError(f"unknown event(s) {unknown}; known: {', '.join(EVENTS)}")
        return value

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def wants(self, event: str, priority: Severity) -> bool:
        return event in self.events and priority.rank >= self.min_priority.rank


def _default_sla() -> dict[Severity, Clock]:
    hours = {Severity.CRITICAL: 4, Severity.URGENT: 8, Severity.NORMAL: 12}
    clocks = {sev: Clock(resolve=timedelta(hours=h)) for sev, h in hours.items()}
    return clocks | {Severity.OTHER: Clock(resolve=None)}


class ServiceContract(_Strict):
    """The contract's values; every key has SERVICE.md's default."""

    customer: str = ""
    person_in_charge: str = "person in charge (負責人)"
    next_release: str = "next release"
    warning_at: float = Field(default=0.75, gt=0, lt=1)
    sla: dict[Severity, Clock] = Field(default_factory=_default_sla)
    channels: dict[str, ChannelClock] = Field(
        default_factory=lambda: {"email": ChannelClock(respond=timedelta(hours=2))}
    )
    notify: tuple[NotifyTarget, ...] = ()
    #: availability % each inventory group (or application group) must reach (patrol.history.availability)
    availability_targets: dict[str, Annotated[float, Field(ge=0, le=100)]] = Field(default_factory=dict)
    source: str = "built-in defaults (SERVICE.md)"

    @field_validator("sla", mode="before")
    @classmethod
    def _merge_sla(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {**{k.value: v for k, v in _default_sla().items()}, **value}

    def clock(self, priority: Severity) -> Clock:
        return self.sla[priority]


def _service_path(path: str | Path | None) -> tuple[Path, bool]:
    """The file to read and whether it must exist (named explicitly)."""
    if path:
        return Path(path), True
    env = os.environ.get("PATROL_SERVICE")
    if env:
        return Path(env), True
    return DEFAULT_SERVICE_FILE, False


def _error_location(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    return key, f"{first['msg']} (got {first.get('input')!r})"


def load_contract(path: str | Path | None = None) -> ServiceContract:
    """The contract from ``path``/``$PATROL_SERVICE``/``inspect/service.yml``, or the defaults.

    Raises :class:`ServiceFileError` naming the file and the key for anything malformed.
    """
    file, required = _service_path(path)
    if not file.is_file():
        if required:
            raise ServiceFileError(str(file), "no such file; give the contract's YAML file (see inspect/README.md)")
        return ServiceContract()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ServiceFileError(str(file), f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ServiceFileError(str(file), f"expected a mapping of contract keys, got {type(data).__name__}")
    try:
        contract = ServiceContract.model_validate({**data, "source": str(file)})
    except ValidationError as exc:
        key, message = _error_location(exc)
        raise ServiceFileError(str(file), message, key) from exc
    _check_targets(file, contract)
    return contract


def _check_targets(file: Path, contract: ServiceContract) -> None:
    from patrol.notify import build_notifier

    names = [t.name for t in contract.notify]
    for index, target in enumerate(contract.notify):
        if names.count(target.name) > 1:
            raise ServiceFileError(str(file), f"target name {target.name!r} is used twice", f"notify.{index}.name")
        try:
            build_notifier(target.type, target.options)
        except Exception as exc:
            raise ServiceFileError(str(file), str(exc), f"notify.{index} ({target.name})") from exc
