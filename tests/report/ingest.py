"""Feed runs into a store through patrol's own ingest path (what ``patrol run`` does after collection).

``ingest(store, run_id, cases, at=...)``: Store.create_run -> record_host_result -> checks
(evaluate + findings_for) -> each run processor's ``host_done`` (drift) -> record_checks ->
finish_run -> the ticket stage's ``sync_run`` at the run's time (the ticket processor without
notification delivery, so clocks follow the synthetic calendar).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from patrol.checks import evaluate, findings_for
from patrol.checks.profile import ProfileSet
from patrol.models import Host, HostResult, HostStatus, RunStatus, Snapshot
from patrol.runner import RunProcessor
from patrol.store import Store
from patrol.tickets import load_contract, sync_run

Case = tuple[Host, Snapshot | None, HostStatus, str | None]


def ingest(
    store: Store, run_id: str, cases: Sequence[Case], profiles: ProfileSet, at: datetime,
    processors: Sequence[RunProcessor] = (), tickets: bool = True,
) -> None:  # fmt: skip
    store.create_run(run_id, inventory=["synthetic"], profiles=["inspect"], limit=None, forks=10,
                     hosts=[c[0] for c in cases])  # fmt: skip
    for host, snapshot, status, error in cases:
        if snapshot is not None:
            snapshot = snapshot.model_copy(update={"collected_at": at})
        result = HostResult(host=host.name, status=status, collector=host.collector, error=error, snapshot=snapshot,
                            started_at=at, finished_at=at)  # fmt: skip
        store.record_host_result(run_id, result)
        checks = evaluate(profiles, host, snapshot, status, now=at)
        found = findings_for(run_id, host, checks, profiles, result)
        for processor in processors:
            more_checks, more_found = processor.host_done(store, run_id, host, result)
            checks, found = [*checks, *more_checks], [*found, *more_found]
        store.record_checks(run_id, checks, found)
    store.finish_run(run_id, RunStatus.COMPLETED)
    if tickets:
        sync_run(store, run_id, load_contract(), now=at)
