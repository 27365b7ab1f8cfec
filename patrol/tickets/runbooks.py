"""Emergency plans (應急預案) as data: ``inspect/runbooks/<id>.yml``, linked from checks and ticket classes.

A runbook file::

    runbook: cert-renewal                     # its id (the file name without .yml)
    title: {en: Site certificate renewal, zh: 網站憑證更新}
    symptoms:   [{en: Browsers warn about the site, zh: 瀏覽器對網站發出警告}]
    prevention: [{en: ..., zh: ...}]
    immediate:  [{en: ..., zh: ...}]          # steps 1..n: contain the impact now
    resolution: [{en: ..., zh: ...}]          # steps n+1..: remove the cause
    escalation: {contact: "PKI team <pki@example.net>", after: 4h}
    playbook: playbooks/remediate/service_start.yml   # optional: the linked remediation
    vars: {services: [nginx]}                          # its variables (drill and remediation)
    drill_host: ctl1                                   # lab host a drill runs the playbook on (check mode)
    ticket_classes: [defect]                           # optional: the plan of tickets of these classes

A check names its plan with ``runbook: cert-renewal`` (:mod:`patrol.checks.profile`); a ticket's
plan is its check's, else the plan listing the ticket's class. Steps are numbered through:
immediate steps first, then resolution steps. ``record_step`` keeps a step done against a
ticket as a ``runbook_step`` event of its timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from patrol.errors import ProfileError
from patrol.i18n import is_zh, pick, zh_text
from patrol.models import utcnow
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from patrol.tickets.errors import TicketError
from patrol.tickets.model import Ticket, TicketClass

__all__ = ["RUNBOOKS_DIR", "STEP_ACTION", "Runbook", "RunbookIndex", "Step", "load_index", "load_runbooks",
           "plan_of", "record_step"]  # fmt: skip

RUNBOOKS_DIR = PROFILES_DIR / "runbooks"
#: the ticket event that records a plan step done against the ticket
STEP_ACTION = "runbook_step"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def in_(self, lang: str) -> str:
        """The text in ``lang`` (``en``, ``zh-Hans``, ``zh-Hant``; ``zh`` is ``zh-Hans``)."""
        return pick(self.en, self.zh, lang)


class Escalation(_Strict):
    contact: str = Field(min_length=1)
    after: str = ""


class Runbook(_Strict):
    runbook: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: Text
    symptoms: list[Text] = Field(min_length=1)
    prevention: list[Text] = Field(default_factory=list)
    immediate: list[Text] = Field(min_length=1)
    resolution: list[Text] = Field(min_length=1)
    escalation: Escalation
    playbook: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    drill_host: str | None = None
    ticket_classes: list[TicketClass] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return self.runbook

    def steps(self) -> list[Step]:
        """Every step, numbered from 1: immediate steps, then resolution steps."""
        phases = [("immediate", t) for t in self.immediate] + [("resolution", t) for t in self.resolution]
        return [Step(n, phase, text) for n, (phase, text) in enumerate(phases, 1)]

    def step(self, number: int) -> Step:
        steps = self.steps()
        if not 1 <= number <= len(steps):
            raise TicketError(f"runbook {self.id} has steps 1 to {len(steps)}, not {number}")
        return steps[number - 1]


@dataclass(frozen=True)
class Step:
    number: int
    phase: str  # immediate | resolution
    text: Text

    def label(self, lang: str = "en") -> str:
        if is_zh(lang):
            phase = zh_text({"immediate": "立即處置", "resolution": "解決"}[self.phase], lang)
            return zh_text(f"第 {self.number} 步（{phase}）：", lang) + self.text.in_(lang)
        return f"step {self.number} ({self.phase}): {self.text.in_(lang)}"


def _load_one(path: Path) -> Runbook:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        book = Runbook.model_validate(data)
    except yaml.YAMLError as exc:
        raise ProfileError(str(path), f"not valid YAML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ProfileError(str(path), f"{err['msg']} (runbook keys: {', '.join(Runbook.model_fields)})",
                           key=key) from None  # fmt: skip
    if book.id != path.stem:
        raise ProfileError(str(path), f"runbook id {book.id!r} must match the file name {path.stem!r}", key="runbook")
    return book


def load_runbooks(folder: Path | None = None) -> dict[str, Runbook]:
    """Every runbook of ``folder`` (default ``inspect/runbooks``) by id; none when the folder is absent."""
    where = folder or RUNBOOKS_DIR
    if not where.is_dir():
        return {}
    books = [_load_one(path) for path in sorted(where.glob("*.yml"))]
    return {book.id: book for book in books}


def plan_of(check_id: str | None, klass: TicketClass | str | None, runbooks: Mapping[str, Runbook],
            check_runbooks: Mapping[str, str | None]) -> Runbook | None:  # fmt: skip
    """The plan of a ticket: its check's ``runbook``, else the first plan listing its class."""
    linked = check_runbooks.get(check_id or "")
    if linked and linked in runbooks:
        return runbooks[linked]
    wanted = TicketClass(klass) if klass else None
    return next((book for book in runbooks.values() if wanted in book.ticket_classes), None)


def check_runbooks(checks: Iterable[Any]) -> dict[str, str | None]:
    """``{check id: runbook id}`` of loaded checks (:class:`patrol.checks.profile.Check`)."""
    return {check.id: check.runbook for check in checks}


@dataclass(frozen=True)
class RunbookIndex:
    """The plans and which check names which plan."""

    runbooks: dict[str, Runbook]
    by_check: dict[str, str | None]

    def plan(self, check_id: str | None, klass: TicketClass | str | None) -> Runbook | None:
        return plan_of(check_id, klass, self.runbooks, self.by_check)

    def checks_of(self, runbook_id: str) -> list[str]:
        return sorted(check for check, linked in self.by_check.items() if linked == runbook_id)

    def get(self, runbook_id: str) -> Runbook:
        if runbook_id not in self.runbooks:
            known = ", ".join(sorted(self.runbooks)) or "none"
            raise ProfileError(str(RUNBOOKS_DIR / f"{runbook_id}.yml"), f"no runbook {runbook_id!r} (known: {known})")
        return self.runbooks[runbook_id]


def load_index(profiles_dir: Path | None = None, runbooks_dir: Path | None = None) -> RunbookIndex:
    """Runbooks of ``runbooks_dir`` and the ``runbook`` keys of the checks of ``profiles_dir`` (defaults:
    ``inspect/runbooks``, ``inspect/``); a check naming an unknown runbook is a :class:`ProfileError`."""
    from patrol.checks.profile import load_profiles

    books = load_runbooks(runbooks_dir)
    checks = load_profiles([profiles_dir or PROFILES_DIR]).checks
    for check in checks:
        if check.runbook and check.runbook not in books:
            raise ProfileError(check.source, f"runbook {check.runbook!r} is not in {runbooks_dir or RUNBOOKS_DIR}",
                               check_id=check.id, key="runbook")  # fmt: skip
    return RunbookIndex(books, check_runbooks(checks))


def record_step(store: Store, ticket: Ticket, book: Runbook, number: int, note: str, actor: str,
                now: datetime | None = None) -> str:  # fmt: skip
    """Record step ``number`` of ``book`` as done on ``ticket`` (a timeline event); returns its note."""
    from patrol.tickets.repo import add_event

    step = book.step(number)
    text = f"{book.id} {step.label()}" + (f" — {note.strip()}" if note.strip() else "")
    with store.write() as conn:
        add_event(conn, ticket.id, now or utcnow(), STEP_ACTION, actor=actor, note=text)
    return text
