#!/usr/bin/python
"""Ansible module patrol_net_config: set config lines on a network or security device over netmiko."""

from __future__ import annotations

import importlib.util
import re
from typing import TYPE_CHECKING, Any

from ansible.module_utils.basic import AnsibleModule, env_fallback

if TYPE_CHECKING:
    Json = dict[str, Any]

DOCUMENTATION = r"""
---
module: patrol_net_config
short_description: Make config lines of a network/security device match what is wanted (want/have -> commands)
description:
  - Logs in over SSH with netmiko (run it with C(connection: local)), reads the running configuration
    (C(have)), computes the commands that make the lines in scope match O(lines) (C(want)), sends them
    in configuration mode and reads the configuration again (C(before)/C(after)).
  - Check mode computes the same commands and the predicted C(after) and returns the diff without
    sending anything; C(changed) is true exactly when there are commands to send.
  - The lines in scope before the change are returned as C(backup): giving them back as O(lines)
    with O(state=replaced) and the same O(match)/O(parents) restores the previous configuration.
  - Lines are sent as given, never templated or passed to a shell; a line that holds a line break
    is refused before anything is sent (it would be two commands to the device).
  - A line the device rejects (C(% Invalid input) and the like) stops the change and fails the
    module, naming the line; C(commands_sent) lists what was applied before it.
options:
  host: {description: Address of the device., type: str, required: true}
  port: {description: SSH port., type: int, default: 22}
  username: {description: Login name., type: str, required: true}
  password: {description: Login password., type: str, no_log: true}
  enable_secret: {description: Enable password (privileged mode)., type: str, no_log: true}
  platform:
    description: Patrol platform of the device (selects the netmiko driver).
    type: str
    required: true
    choices: [cisco_ios, arista_eos, cisco_asa, cisco_nxos, cisco_xr, hp_comware]
  lines: {description: The wanted config lines (without indentation)., type: list, elements: str, default: []}
  parents:
    description: The block the lines live in, e.g. C(["line vty 0 4"]) (one level).
    type: list
    elements: str
    default: []
  match:
    description:
      - Regular expression selecting the lines this task manages (e.g. C(^ntp server )). Required
        for O(state=replaced): lines in scope that are not wanted are removed with C(no ...).
    type: str
  state:
    description:
      - C(merged) adds missing lines; C(replaced) also removes unwanted lines in scope; C(deleted)
        removes the given lines; C(gathered) only reads.
    type: str
    default: merged
    choices: [merged, replaced, deleted, gathered]
  save: {description: Save the running configuration (C(write memory)) after a change., type: bool, default: false}
  timeout: {description: Seconds for connect and each command., type: int, default: 30}
  host_key_checking:
    description:
      - SSH host key policy (the host's C(patrol_host_key_checking)). The key is checked after the
        key exchange and before any credential is sent; a key that differs from the known one fails
        the task (C(host_key_changed)) with both fingerprints and the command that accepts the new one.
      - C(accept-new) records a key met for the first time in O(known_hosts), then pins it;
        C(strict) accepts only keys already known; C(off) does not check.
    type: str
    default: accept-new
    choices: [strict, accept-new, off]
  known_hosts:
    description: patrol's known_hosts file (default C(PATROL_KNOWN_HOSTS)); unset, learned keys are not kept.
    type: path
  user_known_hosts:
    description: The user's known_hosts, only read (C(PATROL_USER_KNOWN_HOSTS); C(none) reads none).
    type: str
  inventory_name: {description: The host's inventory name (in messages and recorded with a learned key)., type: str}
author: [patrol]
"""

EXAMPLES = r"""
- name: NTP servers as agreed
  patrol_net_config:
    host: "{{ ansible_host }}"
    port: "{{ ansible_port | default(22) }}"
    username: "{{ ansible_user }}"
    password: "{{ ansible_password }}"
    platform: "{{ patrol_platform }}"
    lines: ["ntp server 192.0.2.123", "ntp server 192.0.2.124"]
    match: "^ntp server "
    state: replaced
    save: true
"""

RETURN = r"""
commands: {description: Commands sent (or that would be sent in check mode)., returned: always, type: list}
commands_sent: {description: Commands the device accepted., returned: always, type: list}
before: {description: Lines in scope before., returned: always, type: list}
after: {description: Lines in scope after (predicted in check mode)., returned: always, type: list}
backup: {description: "{kind: config, match, parents, lines}: what restores the previous state.", returned: always}
"""

NETMIKO_TYPES = {
    "cisco_ios": "cisco_ios",
    "arista_eos": "arista_eos",
    "cisco_asa": "cisco_asa",
    "cisco_nxos": "cisco_nxos",
    "cisco_xr": "cisco_xr",
    "hp_comware": "hp_comware",
}
SHOW_CONFIG = {"cisco_asa": "show running-config", "hp_comware": "display current-configuration"}
#: the word that removes a line (Comware: ``undo ntp-service unicast-server 192.0.2.99``)
NEGATE = {"hp_comware": "undo "}
#: platforms whose changes take effect only when committed (IOS-XR: ``commit`` before leaving config mode)
COMMIT = frozenset({"cisco_xr"})
ERROR_PATTERN = (
    r"(?m)^\s*(% ?Invalid|% ?Incomplete|% ?Ambiguous|% ?Unknown|% ?Unrecognized|% ?Wrong parameter|% ?Too many"
    r"|% ?Failed|ERROR:|Error:)"
)

ARGUMENT_SPEC: Json = {
    "host": {"type": "str", "required": True},
    "port": {"type": "int", "default": 22},
    "username": {"type": "str", "required": True},
    "password": {"type": "str", "no_log": True},
    "enable_secret": {"type": "str", "no_log": True},
    "platform": {"type": "str", "required": True, "choices": sorted(NETMIKO_TYPES)},
    "lines": {"type": "list", "elements": "str", "default": []},
    "parents": {"type": "list", "elements": "str", "default": []},
    "match": {"type": "str"},
    "state": {"type": "str", "default": "merged", "choices": ["merged", "replaced", "deleted", "gathered"]},
    "save": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": 30},
    "host_key_checking": {"type": "str", "default": "accept-new", "choices": ["strict", "accept-new", "off"]},
    "known_hosts": {"type": "path", "fallback": (env_fallback, ["PATROL_KNOWN_HOSTS"])},
    "user_known_hosts": {"type": "str", "fallback": (env_fallback, ["PATROL_USER_KNOWN_HOSTS"])},
    "inventory_name": {"type": "str"},
}


def comware_sections(config: str) -> str:
    """Comware's ``#``-separated config with the one-space indentation of global statements removed."""
    out: list[str] = []
    section: list[str] = []
    for line in [*config.split("\n"), "#"]:
        if line.strip() == "#":
            body = [text for text in section if text.strip()]
            if body and body[0].startswith(" ") and not body[0].startswith("  "):
                section = [text[1:] if text.startswith(" ") else text for text in section]
            out.extend([*section, line])
            section = []
        else:
            section.append(line)
    return "\n".join(out[:-1])


def scoped_lines(
    config: str, parents: list[str], match: re.Pattern[str] | None, want: list[str], platform: str = ""
) -> list[str]:
    """The lines this task manages: top level (or children of ``parents[0]``) in ``match`` or in ``want``."""
    config = config.replace("\r\n", "\n")
    if platform == "hp_comware":
        config = comware_sections(config)
    lines = config.split("\n")
    if parents:
        children: list[str] = []
        inside = False
        for line in lines:
            if line and not line.startswith(" "):
                inside = line.strip() == parents[0]
            elif inside and line.strip():
                children.append(line.strip())
        lines = children
    else:
        lines = [line.rstrip() for line in lines if line and not line.startswith(" ")]
    return [line for line in lines if (match.search(line) if match else line in want)]


def plan_commands(state: str, want: list[str], have: list[str], negate: str = "no ") -> tuple[list[str], list[str]]:
    """``(commands, predicted_after)`` that take the scoped ``have`` to ``want`` under ``state``."""
    if state == "gathered":
        return [], list(have)
    if state == "deleted":
        removed = [line for line in want if line in have]
        return [f"{negate}{line}" for line in removed], [line for line in have if line not in removed]
    adds = [line for line in want if line not in have]
    removes = [line for line in have if line not in want] if state == "replaced" else []
    after = [line for line in have if line not in removes] + adds
    return adds + [f"{negate}{line}" for line in removes], after


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _host_key_policy(module: AnsibleModule) -> Any:
    """patrol's paramiko policy checking the device's host key before the login (patrol.collect.hostkeys)."""
    from pathlib import Path

    from patrol.collect.hostkeys import KnownHosts, VerifyingPolicy

    p = module.params
    user = p["user_known_hosts"]
    user_path = None if not user or user.strip().lower() in ("none", "off", "-") else Path(user).expanduser()
    known = KnownHosts(Path(p["known_hosts"]) if p["known_hosts"] else None, user_path)
    name = p["inventory_name"] or p["host"]
    return VerifyingPolicy(known, p["host_key_checking"], name, p["host"], p["port"])


def _connect(module: AnsibleModule) -> Any:
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    from patrol.errors import HostKeyChanged, HostKeyUnknown

    p = module.params
    where = f"{p['host']}:{p['port']}"
    try:
        conn = ConnectHandler(
            device_type=NETMIKO_TYPES[p["platform"]],
            host=p["host"],
            port=p["port"],
            username=p["username"],
            password=p["password"] or "",
            secret=p["enable_secret"] or "",
            conn_timeout=p["timeout"],
            read_timeout_override=p["timeout"],
            use_keys=False,
            allow_agent=False,
            ssh_config_file=None,
            fast_cli=p["platform"] != "hp_comware",  # as the Comware driver: its paging prompt arrives late
            ssh_strict=True,  # refuse, should the policy below not be in place
            auto_connect=False,
        )
        conn.key_policy = _host_key_policy(module)
        conn._open()  # key exchange, host key check, then the login
        if not conn.check_enable_mode():
            conn.enable()
    except (HostKeyChanged, HostKeyUnknown) as exc:
        module.fail_json(msg=f"{exc.kind}: {exc}", host_key=exc.kind)
    except NetmikoAuthenticationException:
        module.fail_json(
            msg=f"login to {where} as {p['username']!r} was refused: check ansible_user / "
            "ansible_password (and ansible_become_password for enable) of this host"
        )
    except (NetmikoTimeoutException, OSError) as exc:
        module.fail_json(
            msg=f"cannot reach {where} over SSH ({exc}): is the device up and ansible_host/"
            "ansible_port right? Nothing was changed."
        )
    return conn


def _send(module: AnsibleModule, conn: Any, parents: list[str], commands: list[str]) -> list[str]:
    """Send ``commands`` (inside ``parents``); fail naming the first line the device rejects.

    On IOS-XR the accepted lines are committed before config mode is left (a rejected line
    leaves them uncommitted: XR discards them, nothing changed)."""
    sent: list[str] = []
    conn.config_mode()
    commit = module.params["platform"] in COMMIT
    try:
        for command in [*parents, *commands]:
            output = conn.send_config_set([command], enter_config_mode=False, exit_config_mode=False)
            if re.search(ERROR_PATTERN, output):
                reply = next((line.strip() for line in output.splitlines() if re.search(ERROR_PATTERN, line)), "")
                module.fail_json(
                    msg=f"the device rejected {command!r} ({reply}); the {len(sent)} commands before it were "
                    "applied: restore the lines returned as 'backup' (patrol rolls back automatically)",
                    commands=commands,
                    commands_sent=sent,
                    failed_command=command,
                )
            if command not in parents:
                sent.append(command)
        if commit:
            conn.commit()
            commit = False
    finally:
        if commit:  # a line was rejected before the commit: leave config mode dropping the others
            conn.send_command_timing("abort")
        else:
            conn.exit_config_mode()
    return sent


def run(module: AnsibleModule) -> Json:
    """The module's work; returns the result (``fail_json`` on errors)."""
    p = module.params
    if len(p["parents"]) > 1:
        module.fail_json(msg="parents: only one level is supported; give the block's header line only")
    broken = next((line for line in [*p["lines"], *p["parents"]] if "\n" in line or "\r" in line), None)
    if broken is not None:
        module.fail_json(msg=f"config line {broken!r} holds a line break: give each line separately; nothing was sent")
    if p["state"] == "replaced" and not p["match"]:
        module.fail_json(msg="state=replaced needs match: a regex of the lines it manages, e.g. '^ntp server '")
    try:
        match = re.compile(p["match"]) if p["match"] else None
    except re.error as exc:
        module.fail_json(msg=f"match {p['match']!r} is not a valid regular expression: {exc}")
    want = [line.strip() for line in p["lines"] if line.strip()]
    scope = p["match"] or "^(?:" + "|".join(re.escape(line) for line in want) + ")$"
    conn = _connect(module)
    try:
        show = SHOW_CONFIG.get(p["platform"], "show running-config")
        before = scoped_lines(conn.send_command(show), p["parents"], match, want, p["platform"])
        commands, predicted = plan_commands(p["state"], want, before, NEGATE.get(p["platform"], "no "))
        result: Json = {
            "changed": bool(commands),
            "commands": commands,
            "commands_sent": [],
            "before": before,
            "after": predicted,
            "saved": False,
            "backup": {"kind": "config", "match": scope, "parents": p["parents"], "lines": before},
        }
        if commands and not module.check_mode:
            result["commands_sent"] = _send(module, conn, p["parents"], commands)
            result["after"] = scoped_lines(conn.send_command(show), p["parents"], match, want, p["platform"])
            result["changed"] = result["after"] != before or bool(result["commands_sent"])
            if p["save"]:
                if p["platform"] not in COMMIT:  # a commit is already persistent on XR
                    conn.save_config()
                result["saved"] = True
    finally:
        conn.disconnect()
    header = f"{p['host']}:{p['port']} running-config" + (f" [{p['parents'][0]}]" if p["parents"] else "")
    result["diff"] = {
        "before": _text(before),
        "after": _text(result["after"]),
        "before_header": header,
        "after_header": header,
    }
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if importlib.util.find_spec("netmiko") is None or importlib.util.find_spec("patrol") is None:
        module.fail_json(
            msg="netmiko or patrol is not installed for this Python: run the task with connection: local and "
            "ansible_python_interpreter set to the Python that has them (patrol's venv)"
        )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
