"""Preview, approve, apply (with backup and automatic per-host rollback), verify, roll back.

The flow of one change (each step recorded in the change log)::

    change = preview(settings, store, plan, requested_by="alice")     # ansible --check --diff
    change = approve(settings, store, plan, "bob", policy)            # refused without a preview of
                                                                      # the same plan within the window
        -> backup (check-mode run: the before state of every file / config block it touches)
        -> apply in serial batches; a failed host is restored at once; after a failure no further
           batch starts unless the failed share is within policy.max_fail_percentage
        -> verify: a real patrol run limited to the hosts touched; the finding gone or not
    change = rollback(settings, store, change.id)                      # restore the backups, re-inspect

A :class:`RemediationHook` (the ticket link) hears about previews, applies and rollbacks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypedDict

from patrol.config import Settings
from patrol.errors import ConfigError
from patrol.models import utcnow
from patrol.remediate import changelog
from patrol.remediate.errors import ApprovalError, RemediationError, RollbackError
from patrol.remediate.model import Change, ChangeHost, ChangeStatus, HostStatus, Plan
from patrol.remediate.playbook import HostRun, run_playbook
from patrol.remediate.verify import reinspect
from patrol.store import Store

__all__ = ["Policy", "RemediationHook", "approve", "preview", "rollback"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """Approval and rollout rules; :meth:`from_env` reads them from the environment.

    ``PATROL_PREVIEW_WINDOW_MINUTES`` (60): how old a preview may be when the plan is applied.
    ``PATROL_SECOND_APPROVER`` ("critical,network-wide"; "none" disables): plans that need two
    different approvers: ``critical`` priority findings, and ``network-wide`` changes, i.e. ones
    touching at least ``PATROL_NETWORK_WIDE_HOSTS`` (5) hosts.
    """

    window: timedelta = timedelta(minutes=60)
    second_approver_for: frozenset[str] = frozenset({"critical", "network-wide"})
    network_wide_hosts: int = 5
    serial: int = 1
    max_fail_percentage: float = 0.0
    clock: Callable[[], datetime] = field(default=utcnow, compare=False)

    @classmethod
    def from_env(cls, **overrides: Any) -> Policy:
        try:
            window = timedelta(minutes=float(os.environ.get("PATROL_PREVIEW_WINDOW_MINUTES", "60")))
            wide = int(os.environ.get("PATROL_NETWORK_WIDE_HOSTS", "5"))
        except ValueError as exc:
            raise ConfigError(
                f"remediation policy: {exc}; PATROL_PREVIEW_WINDOW_MINUTES and PATROL_NETWORK_WIDE_HOSTS take numbers",
                key="PATROL_PREVIEW_WINDOW_MINUTES",
            ) from exc
        rules = {r.strip() for r in os.environ.get("PATROL_SECOND_APPROVER", "critical,network-wide").split(",")}
        unknown = rules - {"critical", "network-wide", "none", ""}
        if unknown:
            raise ConfigError(
                f"PATROL_SECOND_APPROVER: unknown rule(s) {sorted(unknown)}; use critical, network-wide or none",
                key="PATROL_SECOND_APPROVER",
            )
        values = {"window": window, "second_approver_for": frozenset(rules - {"none", ""}), "network_wide_hosts": wide}
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    def approvers_needed(self, plan: Plan) -> tuple[int, str]:
        """``(1 or 2, why)``."""
        if "critical" in self.second_approver_for and plan.severity == "critical":
            return 2, "critical-priority finding"
        if "network-wide" in self.second_approver_for and len(plan.hosts) >= self.network_wide_hosts:
            return 2, f"network-wide change ({len(plan.hosts)} hosts)"
        return 1, ""


class RemediationHook(Protocol):
    """Told about a change's milestones (the ticket link implements it)."""

    def previewed(self, store: Store, change: Change) -> None: ...

    def applied(self, store: Store, change: Change) -> None: ...

    def rolled_back(self, store: Store, change: Change) -> None: ...


def _work_dir(settings: Settings, name: str) -> Any:
    path = (settings.home / "changes" / name).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


class _HostKeyFiles(TypedDict):
    known_hosts: Path | None
    user_known_hosts: Path | None


def _host_keys(settings: Settings) -> _HostKeyFiles:
    """The known_hosts files every playbook run checks SSH host keys against (issue 14)."""
    return {"known_hosts": settings.known_hosts.resolve(), "user_known_hosts": settings.user_known_hosts}


def _notify(hooks: Sequence[RemediationHook], step: str, store: Store, change: Change) -> None:
    for hook in hooks:
        try:
            getattr(hook, step)(store, change)
        except Exception:  # the change itself is done and recorded; a hook must not undo that
            log.exception("remediation hook %s failed on %s of %s", type(hook).__name__, step, change.id)


def preview(
    settings: Settings,
    store: Store,
    plan: Plan,
    *,
    requested_by: str | None = None,
    hooks: Sequence[RemediationHook] = (),
    options: dict[str, Any] | None = None,
) -> Change:
    """Run the playbook in check + diff mode (nothing changes) and record the per-host diff."""
    run = run_playbook(plan, _work_dir(settings, "previews"), plan.hosts, check=True, **_host_keys(settings))
    if run.error and not any(h.tasks for h in run.hosts.values()):
        raise RemediationError(f"the preview of {plan.playbook} could not run: {run.error}; nothing was changed")
    shown = {name: host.summary() for name, host in run.hosts.items()}
    change = changelog.create_change(store, plan, preview=shown, requested_by=requested_by, options=options or {})
    _notify(hooks, "previewed", store, change)
    return change


def approve(
    settings: Settings,
    store: Store,
    plan: Plan,
    approver: str,
    policy: Policy,
    *,
    hooks: Sequence[RemediationHook] = (),
) -> Change:
    """Record ``approver`` on the matching preview; apply once enough people approved."""
    change = changelog.matching_preview(store, plan, policy.window, now=policy.clock())
    minutes = int(policy.window.total_seconds() // 60)
    if change is None:
        raise ApprovalError(
            f"no preview of this plan (same playbook, variables and hosts) in the last {minutes} "
            "minutes: run the same command with --check first, review the diff, then approve"
        )
    broken = [h for h, r in change.preview.items() if r.get("failed") or r.get("unreachable")]
    if broken:
        raise ApprovalError(
            f"the preview {change.id} failed on {', '.join(broken)}: fix that and preview again", change.id
        )
    if approver in {a.approver for a in change.approvals}:
        raise ApprovalError(
            f"{approver} already approved {change.id}; the second approval must come from someone else", change.id
        )
    changelog.add_approval(store, change.id, approver, policy.clock())
    needed, why = policy.approvers_needed(plan)
    if len(change.approvals) + 1 < needed:
        changelog.update_change(
            store,
            change.id,
            status=ChangeStatus.AWAITING_APPROVAL,
            error=None,
            options={**change.options, "awaiting": f"a second approver ({why})"},
        )
        return changelog.get_change(store, change.id)
    return _apply(settings, store, changelog.get_change(store, change.id), policy, hooks)


def _backup(settings: Settings, store: Store, change: Change) -> dict[str, HostRun]:
    """A fresh check-mode run: the before state of each host, which must still match the preview."""
    run = run_playbook(
        change.plan, _work_dir(settings, change.id), change.plan.hosts, check=True, **_host_keys(settings)
    )
    drifted = [h for h, r in run.hosts.items() if r.diff != change.preview.get(h, {}).get("diff") or not r.ok]
    if drifted:
        message = (
            f"{', '.join(drifted)} no longer gives the previewed diff (changed since the preview, or "
            "unreachable): nothing was applied; preview again and approve the new diff"
        )
        changelog.update_change(store, change.id, error=message)
        raise ApprovalError(message, change.id)
    return run.hosts


def _apply(
    settings: Settings, store: Store, change: Change, policy: Policy, hooks: Sequence[RemediationHook]
) -> Change:
    backups = _backup(settings, store, change)
    hosts = list(change.plan.hosts)
    serial = max(1, int(change.options.get("serial") or policy.serial))
    max_fail = float(change.options.get("max_fail_percentage", policy.max_fail_percentage))
    failures = 0
    for start in range(0, len(hosts), serial):
        batch = hosts[start : start + serial]
        failures += _apply_batch(settings, store, change, batch, backups)
        if failures and 100.0 * failures / len(hosts) > max_fail:
            for host in hosts[start + serial :]:
                note = f"not started: stopped after {failures} failed host(s) (max_fail_percentage {max_fail:g})"
                changelog.save_host(store, change.id, ChangeHost(host=host, status=HostStatus.SKIPPED, error=note))
            break
    status = ChangeStatus.FAILED if failures else ChangeStatus.APPLIED
    changelog.update_change(store, change.id, status=status, applied_at=utcnow())
    _verify(settings, store, changelog.get_change(store, change.id))
    done = changelog.get_change(store, change.id)
    _notify(hooks, "applied", store, done)
    return done


def _apply_batch(
    settings: Settings, store: Store, change: Change, batch: list[str], backups: dict[str, HostRun]
) -> int:
    run = run_playbook(change.plan, _work_dir(settings, change.id), batch, check=False, **_host_keys(settings))
    failed = [h for h in batch if not run.hosts[h].ok]
    restored = _restore(settings, change, failed, {h: backups[h].backups for h in failed}) if failed else {}
    for host in batch:
        result, backup = run.hosts[host], backups[host].backups
        if result.ok:
            status = HostStatus.APPLIED if result.changed else HostStatus.UNCHANGED
            changelog.save_host(
                store, change.id, ChangeHost(host=host, status=status, backup=backup, apply=result.summary())
            )
            continue
        back = restored[host]
        changelog.save_host(
            store,
            change.id,
            ChangeHost(
                host=host,
                status=HostStatus.FAILED if back.ok else HostStatus.ROLLBACK_FAILED,
                backup=backup,
                apply=result.summary(),
                rollback=back.summary(),
                error="; ".join(result.messages)
                + (" — restored from the backup" if back.ok else " — RESTORE FAILED: " + "; ".join(back.messages)),
            ),
        )
    return len(failed)


def _restore(
    settings: Settings, change: Change, hosts: list[str], backups: dict[str, list[dict[str, Any]]]
) -> dict[str, HostRun]:
    restore = {h: [b for b in backups[h] if b.get("restorable")] for h in hosts}
    run = run_playbook(
        change.plan, _work_dir(settings, change.id), hosts, check=False, extravars={"patrol_restore": restore},
        **_host_keys(settings),
    )
    return run.hosts


def _verify(settings: Settings, store: Store, change: Change) -> None:
    touched = [h.host for h in change.host_results if h.status not in (HostStatus.SKIPPED,)]
    if not touched:
        return
    try:
        run_id, verdict = reinspect(settings, store, change.plan, touched)
    except Exception as exc:  # the change is applied; a failed verification is recorded, not raised
        log.exception("verification of %s failed", change.id)
        changelog.update_change(
            store, change.id, verified=False, verification={"error": f"{type(exc).__name__}: {exc}"}
        )
        return
    failed = any(
        h.status is not HostStatus.APPLIED and h.status is not HostStatus.UNCHANGED for h in change.host_results
    )
    changelog.update_change(
        store, change.id, verify_run_id=run_id, verified=verdict["passed"] and not failed, verification=verdict
    )


def rollback(settings: Settings, store: Store, change_id: str, *, hooks: Sequence[RemediationHook] = ()) -> Change:
    """Restore the backups of the hosts a change applied, then re-inspect them."""
    change = changelog.get_change(store, change_id)
    if change.status is ChangeStatus.ROLLED_BACK:
        raise RollbackError(
            f"{change.id} was already rolled back at {change.rolled_back_at:%Y-%m-%d %H:%M} UTC", change.id
        )
    applied = [h for h in change.host_results if h.status is HostStatus.APPLIED]
    if not applied:
        raise RollbackError(
            f"{change.id} ({change.status.value}) changed no host, so there is nothing to roll back; "
            "`patrol changes` shows what each change did",
            change.id,
        )
    unrestorable = [h.host for h in applied if not any(b.get("restorable") for b in h.backup)]
    if unrestorable:
        raise RollbackError(
            f"{change.id} has no restorable backup for {', '.join(unrestorable)} (e.g. deleted log "
            "files, or a config that held a secret): restore by hand; nothing was changed",
            change.id,
        )
    restored = _restore(settings, change, [h.host for h in applied], {h.host: h.backup for h in applied})
    for host in applied:
        back = restored[host.host]
        status = HostStatus.ROLLED_BACK if back.ok else HostStatus.ROLLBACK_FAILED
        changelog.save_host(
            store,
            change.id,
            host.model_copy(
                update={"status": status, "rollback": back.summary(), "error": "; ".join(back.messages) or None}
            ),
        )
    run_id, _ = reinspect(settings, store, change.plan, [h.host for h in applied])
    changelog.update_change(
        store, change.id, status=ChangeStatus.ROLLED_BACK, rolled_back_at=utcnow(), rollback_run_id=run_id
    )
    done = changelog.get_change(store, change.id)
    _notify(hooks, "rolled_back", store, done)
    return done
