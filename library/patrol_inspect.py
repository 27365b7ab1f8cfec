#!/usr/bin/python
"""Ansible module patrol_inspect: run patrol's checks on hosts from any playbook."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from ansible.module_utils.basic import AnsibleModule

if TYPE_CHECKING:
    Json = dict[str, Any]

DOCUMENTATION = r"""
---
module: patrol_inspect
short_description: Inspect hosts with patrol (collect, check) and return the findings
description:
  - Runs a real patrol inspection run (the same as C(patrol run -i INVENTORY --limit LIMIT)) on the
    control node and returns the findings of the hosts, optionally only those of O(checks).
  - Use it with C(connection: local) and the Python that has patrol (C(ansible_playbook_python)),
    e.g. as the last task of a remediation playbook to prove the fix worked.
  - Never changes a host; C(changed) is always false. In check mode the run is kept in a temporary
    store that is thrown away, so patrol's own history does not change either.
options:
  inventory: {description: Inventory sources of the hosts., type: list, elements: path, required: true}
  limit: {description: Hosts to inspect (an Ansible pattern)., type: str, required: true}
  profiles: {description: Profile files or folders (default patrol's inspect/)., type: list, elements: path}
  checks: {description: Only report findings of these check ids., type: list, elements: str, default: []}
  vault_password_file: {description: Vault password file of the inventory., type: path}
  home: {description: patrol state folder (PATROL_HOME)., type: path}
  db: {description: patrol store URL (PATROL_DB)., type: str}
  fail_on_findings: {description: Fail the task when a reported finding remains., type: bool, default: false}
author: [patrol]
"""

EXAMPLES = r"""
- name: sshd root login is off now
  patrol_inspect:
    inventory: ["{{ inventory_dir }}"]
    limit: "{{ inventory_hostname }}"
    checks: [host.sshd.no_root_login]
    fail_on_findings: true
  delegate_to: localhost
"""

RETURN = r"""
run_id: {description: The inspection run., returned: always, type: str}
passed: {description: True when every host was inspected and no reported finding remains., returned: always}
findings: {description: "[{host, check_id, object, severity, fingerprint, message}]", returned: always, type: list}
inspected: {description: Hosts inspected., returned: always, type: list}
"""

ARGUMENT_SPEC: Json = {
    "inventory": {"type": "list", "elements": "path", "required": True},
    "limit": {"type": "str", "required": True},
    "profiles": {"type": "list", "elements": "path"},
    "checks": {"type": "list", "elements": "str", "default": []},
    "vault_password_file": {"type": "path", "no_log": False},
    "home": {"type": "path"},
    "db": {"type": "str"},
    "fail_on_findings": {"type": "bool", "default": False},
}


class InspectError(Exception):
    """patrol could not run or answer; the message says why."""


def _patrol(base: list[str], *args: str) -> str:
    """stdout of ``patrol ARGS`` (a separate process: AnsiballZ shadows the real ansible package)."""
    proc = subprocess.run([*base, *args], capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode not in (0, 1):
        raise InspectError((proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"])
    return proc.stdout


def inspect(params: Json, home: str | None, db: str | None) -> Json:
    """One patrol run; the result document of the module."""
    from patrol.paths import PROFILES_DIR, PROJECT_ROOT

    base = [sys.executable, "-m", "patrol"] + (["--home", home] if home else []) + (["--db", db] if db else [])
    given = params["profiles"] or [str(PROFILES_DIR)]  # relative paths: the cwd, else patrol's own tree
    args = ["run", "--limit", params["limit"]]
    for source in params["inventory"]:
        args += ["-i", source]
    for profile in given:
        args += ["-p", profile if os.path.exists(profile) else str(PROJECT_ROOT / profile)]
    if params["vault_password_file"]:
        args += ["--vault-password-file", params["vault_password_file"]]
    summary = next(line for line in _patrol(base, *args).splitlines() if line.startswith("run ")).split()
    run_id, status = summary[1], summary[2]
    hosts = json.loads(_patrol(base, "show", run_id, "--json"))["hosts"]
    found = json.loads(_patrol(base, "findings", "--run", run_id, "--json"))
    wanted = set(params["checks"])
    findings = [
        {key: f[key] for key in ("host", "check_id", "object", "severity", "fingerprint", "message")}
        for f in found
        if not wanted or f["check_id"] in wanted
    ]
    names = [h["host"] for h in hosts]
    inspected = [h["host"] for h in hosts if h["status"] == "ok"]
    passed = status == "completed" and sorted(inspected) == sorted(names) and not findings
    return {
        "changed": False,
        "run_id": run_id,
        "passed": passed,
        "findings": findings,
        "inspected": inspected,
        "hosts": names,
        "status": status,
    }


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if importlib.util.find_spec("patrol") is None:
        module.fail_json(
            msg="patrol is not importable by this Python: run the task with connection: local (or "
            "delegate_to: localhost) and ansible_python_interpreter set to patrol's venv Python"
        )
    p = module.params
    try:
        if module.check_mode:  # inspect, but keep the run out of patrol's store
            with tempfile.TemporaryDirectory(prefix="patrol-inspect-") as scratch:
                result = inspect(p, scratch, None)
        else:
            result = inspect(p, p["home"], p["db"])
    except (InspectError, IndexError, KeyError, ValueError, StopIteration) as exc:
        module.fail_json(msg=f"patrol could not inspect {p['limit']!r}: {exc}")
    result["check_mode"] = module.check_mode
    if p["fail_on_findings"] and not result["passed"]:
        shown = "; ".join(f"{f['host']} {f['check_id']}: {f['message']}" for f in result["findings"][:5])
        module.fail_json(
            msg=f"inspection run {result['run_id']} did not pass: {shown or 'a host was not inspected'}",
            **{k: v for k, v in result.items() if k != "changed"},
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
