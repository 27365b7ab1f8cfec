"""Verification by re-inspection: a real patrol run limited to the hosts a change touched.

``reinspect(settings, store, plan, ["core-sw1"])`` -> ``(run_id, verdict)`` with::

    {"run_id": "20261126-020210-77aa", "hosts": ["core-sw1"], "inspected": ["core-sw1"],
     "checks": ["net.ntp.servers"], "passed": true,
     "gone": ["4be1…"],                 # the plan's finding is not in the new run
     "remaining": []}                   # [{"host", "check_id", "object", "fingerprint", "message"}]

The run evaluates the whole profile set on those hosts (so it is an ordinary inspection run for
every later stage), and the verdict looks at the plan's checks: passed when every host was
inspected and none of the plan's checks fails on them any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from patrol.config import Settings
from patrol.models import RunStatus
from patrol.paths import PROFILES_DIR
from patrol.remediate.model import Plan
from patrol.runner import RunRequest, execute_run, prepare_run
from patrol.store import Store

__all__ = ["reinspect"]


def reinspect(settings: Settings, store: Store, plan: Plan, hosts: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Inspect exactly ``hosts`` again and judge the plan's checks (see the module docstring)."""
    request = RunRequest(
        inventory=plan.inventory,
        profiles=plan.profiles or (str(PROFILES_DIR),),
        limit=",".join(hosts),
        vault_password_file=plan.vault_password_file,
    )
    summary = execute_run(settings, prepare_run(settings, request), store)
    inspected = [h.host for h in store.host_results(summary.run_id) if h.status == "ok"]
    findings = [f for f in store.findings(summary.run_id) if f.host in hosts]
    relevant = [f for f in findings if f.check_id in plan.check_ids]
    remaining = [
        {"host": f.host, "check_id": f.check_id, "object": f.object, "fingerprint": f.fingerprint, "message": f.message}
        for f in relevant
    ]
    prints = {f.fingerprint for f in relevant}
    gone = [plan.fingerprint] if plan.fingerprint and plan.fingerprint not in prints else []
    passed = summary.status is RunStatus.COMPLETED and sorted(inspected) == sorted(hosts) and not remaining
    verdict = {
        "run_id": summary.run_id,
        "hosts": list(hosts),
        "inspected": inspected,
        "checks": list(plan.check_ids),
        "passed": passed,
        "gone": gone,
        "remaining": remaining,
    }
    return summary.run_id, verdict
