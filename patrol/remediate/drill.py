"""Drills of emergency plans: walk a runbook on the lab and record that it was practised.

``run_drill(settings, store, book, host=..., inventory=[...])`` reads out every step of the plan,
runs its linked playbook in check mode (``--check --diff``: nothing changes) on one lab host, and
records the drill in ``runbook_drills``::

    Drill(id=1, runbook="disk-full", host="ctl1", outcome="passed", steps=["step 1 (immediate): …"],
          detail="ok: changed=False", playbook="/…/playbooks/remediate/log_cleanup.yml")

``outcome`` is ``passed`` (the playbook ran on the host without failure), ``failed`` (it failed or the
host was unreachable: the plan's remediation would not work today) or ``walked`` (the plan links no
playbook: its steps were read out only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from patrol.config import Settings
from patrol.models import utcnow
from patrol.remediate.plan import plan_for_playbook
from patrol.remediate.playbook import run_playbook
from patrol.store import Store
from patrol.store.schema_runbooks import runbook_drills
from patrol.tickets.runbooks import Runbook

__all__ = ["Drill", "list_drills", "run_drill"]


@dataclass
class Drill:
    runbook: str
    at: datetime
    actor: str
    host: str | None
    outcome: str
    steps: list[str] = field(default_factory=list)
    detail: str = ""
    playbook: str | None = None
    id: int | None = None


def _practise(settings: Settings, book: Runbook, host: str, inventory: Sequence[str],
              vault_password_file: str | None) -> tuple[str, str, str]:  # fmt: skip
    """(outcome, detail, playbook path) of the linked playbook's check-mode run on ``host``."""
    assert book.playbook is not None
    plan = plan_for_playbook(book.playbook, host, inventory=inventory, variables=book.vars,
                             vault_password_file=vault_password_file)  # fmt: skip
    work = (settings.home / "drills").resolve()
    work.mkdir(parents=True, exist_ok=True)
    run = run_playbook(plan, work, plan.hosts, check=True, known_hosts=settings.known_hosts.resolve(),
                       user_known_hosts=settings.user_known_hosts)  # fmt: skip
    result = run.hosts.get(host)
    if result is None:
        return "failed", f"the playbook did not run on {host}: {run.error or run.status}", plan.playbook
    if not result.ok:
        why = "unreachable" if result.unreachable else "failed"
        return "failed", f"{why}: " + "; ".join(result.messages)[:500], plan.playbook
    return "passed", f"ok: changed={result.changed} (check mode, nothing was changed)", plan.playbook


def run_drill(settings: Settings, store: Store, book: Runbook, *, host: str | None, inventory: Sequence[str],
              actor: str, vault_password_file: str | None = None, now: datetime | None = None) -> Drill:  # fmt: skip
    """Walk ``book``; run its playbook in check mode on ``host`` (default: its ``drill_host``); record it."""
    target = host or book.drill_host
    steps = [step.label() for step in book.steps()]
    drill = Drill(book.id, now or utcnow(), actor, target, "walked", steps, "no linked playbook: steps read out")
    if book.playbook and target:
        drill.outcome, drill.detail, drill.playbook = _practise(settings, book, target, inventory,
                                                                vault_password_file)  # fmt: skip
    elif book.playbook:
        drill.detail = "no host to practise the playbook on: give --host or drill_host in the runbook"
    with store.write() as conn:
        row = {k: v for k, v in drill.__dict__.items() if k != "id"}
        inserted = conn.execute(insert(runbook_drills).values(row)).inserted_primary_key
        drill.id = int(inserted[0]) if inserted else None
    return drill


def list_drills(store: Store, runbook: str | None = None) -> list[Drill]:
    """Recorded drills, newest first."""
    query = select(runbook_drills).order_by(runbook_drills.c.at.desc(), runbook_drills.c.id.desc())
    if runbook:
        query = query.where(runbook_drills.c.runbook == runbook)
    with store.read() as conn:
        rows: list[Any] = list(conn.execute(query).mappings())
    return [Drill(**dict(row)) for row in rows]
