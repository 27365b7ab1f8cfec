"""Remediation playbooks: validated before use, run through ansible-runner, results per host.

``run_playbook`` runs a plan's playbook with the inspection's inventory (same sources and vault
file), limited to the given hosts, in check + diff mode (preview, backup) or for real (apply,
restore), and returns what each host did::

    PlaybookRun(status="successful", rc=0, error=None, hosts={
        "web1": HostRun(host="web1", changed=True, failed=False, unreachable=False,
                        diff="--- /etc/ssh/sshd_config\\n+++ …\\n-PermitRootLogin yes\\n+PermitRootLogin no\\n",
                        messages=[], backups=[{"kind": "file", "path": "/etc/ssh/sshd_config",
                                               "content": "…", "restorable": True}])})

Backups come from the check-mode results: the ``backup`` a patrol module returns (network
config lines in scope) and the ``before`` content of file diffs (lineinfile, copy, template,
blockinfile, replace). Diffs, messages and backups pass :func:`patrol.sanitize.scrub_text` (the
secret grammar and the inventory's own credential values); a backup that needed redaction is
kept redacted: a secret is never stored, not even for a restore. A file that holds a secret is
still restorable when the change's own lines hold none (kind ``file_edits``: the inverse line
edits, :mod:`patrol.remediate.edits`); otherwise, and for config blocks holding a secret, the
backup is marked ``restorable: False`` (restore by hand, ``patrol rollback`` says so).
ansible-runner's own files are reduced to a redacted stdout after each run
(:func:`patrol.ansible_files.keep_redacted`): its ``command`` file, events and env files hold
the extra vars (restore content), diffs and module results in clear text.
The plan's variables and ``patrol_restore`` reach the playbook as data Ansible never templates
(:mod:`patrol.remediate.datavars`): a device's text cannot run anything on this server.
"""

from __future__ import annotations

import difflib
import shlex
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.ansible_env import runner_env
from patrol.ansible_files import keep_redacted
from patrol.collect.hostkeys_ansible import hostkey_inventory, ssh_refusal
from patrol.remediate.datavars import write_vars_file
from patrol.remediate.edits import restorable_as_edits
from patrol.remediate.model import Plan
from patrol.sanitize import scrub_text

__all__ = ["HostRun", "PlaybookRun", "render_diff", "run_playbook"]

_FILE_ACTIONS = {"lineinfile", "copy", "template", "blockinfile", "replace"}
_RESULT_EVENTS = {"runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped"}


@dataclass
class HostRun:
    """What one playbook run did on one host."""

    host: str
    changed: bool = False
    failed: bool = False
    unreachable: bool = False
    diff: str = ""
    messages: list[str] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unreachable)

    def summary(self) -> dict[str, Any]:
        """JSON-safe record kept in the change log."""
        return {
            "changed": self.changed,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "diff": self.diff,
            "messages": self.messages,
            "tasks": self.tasks,
        }


@dataclass
class PlaybookRun:
    status: str
    rc: int | None
    hosts: dict[str, HostRun]
    error: str | None = None


def _text_diff(entry: Mapping[str, Any]) -> str:
    before, after = entry.get("before"), entry.get("after")
    if isinstance(before, str) and isinstance(after, str):
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=str(entry.get("before_header") or "before"),
            tofile=str(entry.get("after_header") or "after"),
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    prepared = entry.get("prepared")
    return prepared + "\n" if isinstance(prepared, str) and prepared else ""


def render_diff(diff: Any) -> str:
    """Ansible's ``diff`` result (a dict or a list of them) as unified diff text, secrets masked."""
    entries = diff if isinstance(diff, list) else [diff] if isinstance(diff, dict) else []
    return scrub_text("".join(_text_diff(e) for e in entries if isinstance(e, Mapping)))


def _protected(item: dict[str, Any], key: str) -> dict[str, Any]:
    value = item.get(key)
    text = "\n".join(value) if isinstance(value, list) else str(value or "")
    if scrub_text(text) != text:
        redacted = [scrub_text(v) for v in value] if isinstance(value, list) else scrub_text(text)
        return {**item, key: redacted, "restorable": False, "note": "held a secret: stored redacted, restore by hand"}
    return {**item, "restorable": True}


def _backups(action: str, res: Mapping[str, Any]) -> list[dict[str, Any]]:
    backup = res.get("backup")
    if isinstance(backup, dict) and backup.get("kind") == "config":
        return [_protected(dict(backup), "lines")]
    if action.rsplit(".", 1)[-1] not in _FILE_ACTIONS:
        return []
    args = (res.get("invocation") or {}).get("module_args") or {}
    path = res.get("dest") or res.get("path") or args.get("path") or args.get("dest")
    entries: list[Any] = res["diff"] if isinstance(res.get("diff"), list) else [res.get("diff") or {}]
    entry = next((e for e in entries if isinstance(e, dict) and isinstance(e.get("before"), str)), None)
    if not path or entry is None:
        return []
    item = _protected({"kind": "file", "path": str(path), "content": entry["before"]}, "content")
    return [item if item["restorable"] else restorable_as_edits(item, entry["before"], entry.get("after"))]


class _Collector:
    """ansible-runner event handler: per-host results of every task (loop items included)."""

    def __init__(self, hosts: Sequence[str]) -> None:
        self.hosts = {name: HostRun(name) for name in hosts}

    def __call__(self, event: Mapping[str, Any]) -> bool:
        kind, data = event.get("event"), event.get("event_data") or {}
        host = data.get("host")
        if kind not in _RESULT_EVENTS or not isinstance(host, str):
            return False  # False: ansible-runner writes no event file (results hold before-contents)
        run = self.hosts.setdefault(host, HostRun(host))
        res = data.get("res") or {}
        action, task = str(data.get("task_action", "")), str(data.get("task", ""))
        items: list[Any] = res["results"] if isinstance(res.get("results"), list) else [res]
        failed = kind == "runner_on_failed" and not data.get("ignore_errors")
        status = {
            "runner_on_failed": "failed",
            "runner_on_unreachable": "unreachable",
            "runner_on_skipped": "skipped",
        }.get(str(kind), "changed" if res.get("changed") else "ok")
        run.tasks.append({"task": task, "status": status})
        for item in (i for i in items if isinstance(i, Mapping)):
            run.changed |= bool(item.get("changed")) and kind == "runner_on_ok"
            run.diff += render_diff(item.get("diff"))
            run.backups += _backups(action, item)
        if kind == "runner_on_unreachable":
            run.unreachable = True
            refused = ssh_refusal(str(res.get("msg", "")))  # ssh stopped at the host key: nothing sent
            prefix = f"{refused.value} (nothing was sent; see `patrol hostkey`)" if refused else "unreachable"
            run.messages.append(scrub_text(f"{prefix}: {res.get('msg', '')}".strip()))
        elif failed:
            run.failed = True
            run.messages.append(scrub_text(f"task {task!r} failed: {res.get('msg') or res.get('stderr') or ''}"))
        return False


#: SSH connect and per-task limits of a remediation run (seconds); a task on a slow device may take long
CONNECT_TIMEOUT, TASK_TIMEOUT = 10.0, 600.0


def _envvars(known_hosts: Path | None, user_known_hosts: Path | None) -> dict[str, str]:
    return runner_env(known_hosts, user_known_hosts, connect_timeout=CONNECT_TIMEOUT, task_timeout=TASK_TIMEOUT)


def _runner_error(runner: Any) -> str:
    try:
        text = runner.stdout.read()
    except (AttributeError, OSError, ValueError):
        text = ""
    lines = [line.strip() for line in text.splitlines() if "ERROR" in line or "error" in line.lower()]
    detail = scrub_text("; ".join(lines[-3:])[:800])
    return f"ansible-playbook ended {runner.status} (rc {runner.rc})" + (f": {detail}" if detail else "")


def run_playbook(
    plan: Plan,
    work_dir: Path,
    hosts: Sequence[str],
    *,
    check: bool,
    extravars: Mapping[str, Any] | None = None,
    known_hosts: Path | None = None,
    user_known_hosts: Path | None = None,
) -> PlaybookRun:
    """Run ``plan.playbook`` on ``hosts`` (check + diff mode when ``check``); one :class:`HostRun` each.

    SSH host keys are checked against ``known_hosts`` (patrol's, learned keys appended; None:
    not kept) and ``user_known_hosts`` (read only), per host by ``patrol_host_key_checking``.
    Afterwards the run's ansible-runner folder keeps only a redacted stdout (see the module docstring).
    """
    private = work_dir / uuid.uuid4().hex[:8]
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return _run_playbook(plan, private, hosts, check=check, extravars=extravars,
                             known_hosts=known_hosts, user_known_hosts=user_known_hosts)  # fmt: skip
    finally:
        keep_redacted(private)


def _run_playbook(
    plan: Plan,
    private: Path,
    hosts: Sequence[str],
    *,
    check: bool,
    extravars: Mapping[str, Any] | None,
    known_hosts: Path | None,
    user_known_hosts: Path | None,
) -> PlaybookRun:
    import ansible_runner  # heavy: only when a playbook runs

    options = ["--diff"] + (["--check"] if check else [])
    if plan.vault_password_file:
        options += ["--vault-password-file", shlex.quote(plan.vault_password_file)]
    data = write_vars_file(private / "patrol-vars.yml", {**plan.vars, **(extravars or {})})
    options += ["-e", shlex.quote(f"@{data}")]  # never templated: see patrol.remediate.datavars
    collector = _Collector(hosts)
    runner = ansible_runner.run(
        private_data_dir=str(private),
        playbook=plan.playbook,
        inventory=[*plan.inventory, str(hostkey_inventory(private, known_hosts, user_known_hosts))],
        limit=",".join(hosts),
        cmdline=" ".join(options),
        envvars=_envvars(known_hosts, user_known_hosts),
        event_handler=collector,
        quiet=True,
        suppress_env_files=True,
        forks=max(1, len(hosts)),
    )
    data.unlink(missing_ok=True)  # backups are configuration: not left on disk after the run
    missing = [h for h in hosts if not collector.hosts[h].tasks]
    error = _runner_error(runner) if missing and runner.rc else None
    for host in missing:
        run = collector.hosts[host]
        run.failed = bool(runner.rc)
        run.messages.append(error or "no task ran on this host (is every task skipped by a condition?)")
    return PlaybookRun(str(runner.status), runner.rc, collector.hosts, error)
