"""Run hook of the drift stage (entry point ``patrol.processors: drift``).

For each inspected host, ``host_done`` compares the (already redacted) snapshot with the
host's effective baselines and returns one failed check result and one finding per drift item
(see :mod:`patrol.drift.engine`); the runner stores them with the host's other results. A golden
template is rendered with the host's current inventory variables (secrets in it masked:
lines are compared by their masked text, so a template can require a secret line without its value).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from patrol.drift.baselines import effective
from patrol.drift.engine import DriftData, drift_results, host_drift
from patrol.drift.errors import DriftDataError
from patrol.drift.golden import from_source
from patrol.models import CheckResult, Finding, Host, HostResult, Outcome, RunStatus
from patrol.redact import redact_text
from patrol.store import Store

__all__ = ["DriftProcessor"]

log = logging.getLogger(__name__)


class DriftProcessor:
    name = "drift"

    def __init__(self, data: DriftData | None = None) -> None:
        self._data = data

    @property
    def data(self) -> DriftData:
        if self._data is None:
            self._data = DriftData.load()
        return self._data

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]:
        snapshot = result.snapshot
        if snapshot is None:
            return (), ()
        baseline = effective(store, host.name, host.groups, "snapshot")
        golden = effective(store, host.name, host.groups, "template")
        rendered, error = None, None
        if golden is not None and golden.template is not None:
            try:
                template = from_source(golden.template_path or "template", golden.template)
                rendered = redact_text(template.render(host.name, host.vars))
            except DriftDataError as exc:
                error = CheckResult(host=host.name, check_id="golden.render", outcome=Outcome.ERROR, message=str(exc))
        drift = host_drift(self.data, snapshot, baseline, golden, rendered)
        checks, findings = drift_results(run_id, host.name, host.device_class, drift, self.data.rules)
        return ([error] if error else []) + checks, findings

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None:
        return None
