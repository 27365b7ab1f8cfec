"""Preview, approve, apply (with backup and automatic per-host rollback), verify, roll back.

The flow of one change (each step recorded in the change log)::

    change = preview(settings, store, plan, requested_by="alice")     # ansible --check --diff
    change = approve(settings, store, plan, "bob", policy)            # refused without a preview of
                                                                      # the same plan within the window
        -> the approval recorded and, once complete, the change claimed: applying (compare-and-set:
           of two concurrent final approvals one applies, the other is refused; see ``applying``)
        -> backup (check-mode run: the before state of every file / config block it touches), stored
           with the change before any host is touched: a crash leaves it ``interrupted``, restorable
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
from patrol.remediate import applying, changelog
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
    change_id: str | None = None,
) -> Change:
    """Record ``approver`` on the matching preview (or change ``change_id``); apply once enough
    people approved. Exactly one of several concurrent final approvals applies (see
    :mod:`patrol.remediate.applying`); the others get :class:`ApprovalError`."""
    change = _approvable(store, plan, policy, change_id)
    broken = [h for h, r in change.preview.items() if r.get("failed") or r.get("unreachable")]
    if broken:
        raise ApprovalError(
            f"the preview {change.id} failed on {', '.join(broken)}: fix that and preview again", change.id
        )
    needed, why = policy.approvers_needed(change.plan)
    if needed > 1 and approver == change.requested_by:
        raise ApprovalError(
            f"{approver} requested {change.id}, a {why}: it needs two approvers other than the requester; "
            "ask two colleagues to approve it",
            change.id,
        )
    if not applying.record_approval(store, change.id, approver, needed, policy.clock()):
        changelog.update_change(store, change.id, options={**change.options, "awaiting": f"a second approver ({why})"})
        return changelog.get_change(store, change.id)
    return _apply(settings, store, changelog.get_change(store, change.id), policy, hooks)


def _approvable(store: Store, plan: Plan, policy: Policy, change_id: str | None) -> Change:
    """The change to approve: ``change_id``, else the newest preview of ``plan`` within the window."""
    now, minutes = policy.clock(), int(policy.window.total_seconds() // 60)
    if change_id is not None:
        change: Change | None = changelog.get_change(store, change_id)
        if change and (change.preview_at is None or change.preview_at < now - policy.window):
            raise ApprovalError(
                f"the preview {change.id} is older than {minutes} minutes: preview the plan again", change.id
            )
    else:
        change = changelog.latest_preview(store, plan, policy.window, now=now)
    if change is None:
        raise ApprovalError(
            f"no preview of this plan (same playbook, variables and hosts) in the last {minutes} "
            "minutes: run the same command with --check first, review the diff, then approve"
        )
    if change.status.value not in applying.OPEN:
        with store.read() as conn:
            raise ApprovalError(applying.refusal(conn, change.id, change.status.value), change.id)
    return change


def _backup(settings: Settings, change: Change) -> dict[str, HostRun]:
    """A fresh check-mode run: the before state of each host, which must still match the preview."""
    run = run_playbook(
        change.plan, _work_dir(settings, change.id), change.plan.hosts, check=True, **_host_keys(settings)
    )
    drifted = [h for h, r in run.hosts.items() if r.diff != change.preview.get(h, {}).get("diff") or not r.ok]
    if drifted:
        raise ApprovalError(
            f"{', '.join(drifted)} no longer gives the previewed diff (changed since the preview, or "
            "unreachable): nothing was applied; preview again and approve the new diff",
            change.id,
        )
    return run.hosts


def _apply(
    settings: Settings, store: Store, change: Change, policy: Policy, hooks: Sequence[RemediationHook]
) -> Change:
    """The change is ``applying`` (claimed by this process): back up, store the backups, then roll out."""
    try:
        backups = _backup(settings, change)
    except BaseException as exc:  # nothing was touched: the change is previewed again, saying why
        applying.release(store, change.id, str(exc) if isinstance(exc, ApprovalError) else f"{type(exc).__name__}: "
                         f"{exc}; nothing was applied")  # fmt: skip
        raise
    for host in change.plan.hosts:  # stored before any host is touched: a crash leaves them to roll back
        changelog.save_host(store, change.id, ChangeHost(host=host, status=HostStatus.PENDING,
                                                          backup=backups[host].backups))  # fmt: skip
    try:
        failures = _rollout(settings, store, change, policy, backups)
    except BaseException as exc:  # an error or Ctrl-C half-way: hosts may be changed; say so
        applying.interrupt(store, change.id, f"{type(exc).__name__}: {exc}")
        raise
    status = ChangeStatus.FAILED if failures else ChangeStatus.APPLIED
    applying.finish(store, change.id, status, applied_at=utcnow())
    _verify(settings, store, changelog.get_change(store, change.id))
    done = changelog.get_change(store, change.id)
    _notify(hooks, "applied", store, done)
    return done


def _rollout(settings: Settings, store: Store, change: Change, policy: Policy, backups: dict[str, HostRun]) -> int:
    """Serial batches; after a failure no further batch starts unless within max_fail_percentage."""
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
    return failures


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
    """Restore the backups of the hosts a change applied (an interrupted change: also the hosts it
    may have been changing), then re-inspect them."""
    change = changelog.get_change(store, change_id)
    if change.status is ChangeStatus.ROLLED_BACK:
        raise RollbackError(
            f"{change.id} was already rolled back at {change.rolled_back_at:%Y-%m-%d %H:%M} UTC", change.id
        )
    if change.status is ChangeStatus.APPLYING:
        with store.read() as conn:
            raise RollbackError(applying.refusal(conn, change.id, change.status.value), change.id)
    touched = {HostStatus.APPLIED} | ({HostStatus.PENDING} if change.status is ChangeStatus.INTERRUPTED else set())
    applied = [h for h in change.host_results if h.status in touched]
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
