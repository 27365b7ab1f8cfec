"""Host key checking for Ansible over OpenSSH (Linux host collection, remediation playbooks).

Every ansible-runner run patrol starts gets :func:`ansible_env` (``ANSIBLE_HOST_KEY_CHECKING=True``,
and the known_hosts paths for ``library/patrol_net_config.py``) and one more inventory source,
:func:`hostkey_inventory`, written into the run's private folder, whose ``all`` vars set
``ansible_ssh_extra_args`` from each host's ``patrol_host_key_checking``::

    accept-new  -o StrictHostKeyChecking=accept-new -o 'UserKnownHostsFile="<home>/known_hosts"
                "<user>/.ssh/known_hosts"' -o HashKnownHosts=no -o UpdateHostKeys=no
    strict      -o StrictHostKeyChecking=yes  (same files)
    off         -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null

ssh records a key met for the first time in the first file (patrol's). ssh keeps the first value
it is given for an option, and Ansible passes ``ANSIBLE_SSH_ARGS`` (patrol's carry no host key
option), then ``ansible_ssh_common_args``, then ``ansible_ssh_extra_args``: a host key option in
an inventory's own ``ansible_ssh_common_args`` therefore wins over patrol's, and an
``ansible_ssh_extra_args`` set on a host or child group replaces patrol's (ssh then falls back
to its default, ``ask``, which without a terminal refuses unknown keys).

With strict checking OpenSSH stops before authentication when the key differs ("REMOTE HOST
IDENTIFICATION HAS CHANGED … Host key verification failed."): :func:`ssh_refusal` turns that
output into ``host_key_changed`` / ``host_key_unknown`` and :func:`refusal_message` into the
same message the netmiko collector gives (old and new fingerprints, the accept command).
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from pathlib import Path

import yaml

from patrol.collect.hostkeys import KnownHosts, changed_message, known_name
from patrol.models import DEFAULT_HOST_KEY_POLICY, HOST_KEY_POLICIES, HOST_KEY_POLICY_VAR, HostStatus

__all__ = ["ansible_env", "hostkey_inventory", "refusal_message", "ssh_host_key_args", "ssh_refusal"]

INVENTORY_NAME = "patrol_host_keys.yml"
_UNKNOWN = re.compile(r"No \S+ host key is known for \S+ and you have requested strict checking", re.I)
_CHANGED = re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed|"
                      r"Host key verification failed", re.I)  # fmt: skip
_PRESENTED = re.compile(r"(\S+) key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]{43})", re.I)
_KEY_TYPES = {"ED25519": "ssh-ed25519", "RSA": "ssh-rsa", "ECDSA": "ecdsa-sha2", "DSA": "ssh-dss"}
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def ssh_host_key_args(known_hosts: Path | None, user_known_hosts: Path | None) -> dict[str, str]:
    """ssh options for each policy (``{"strict": "-o …", "accept-new": …, "off": …}``)."""
    files = [str(known_hosts) if known_hosts else "/dev/null"] + ([str(user_known_hosts)] if user_known_hosts else [])
    known = "-o " + shlex.quote("UserKnownHostsFile=" + " ".join(f'"{f}"' for f in files))
    common = f"{known} -o HashKnownHosts=no -o UpdateHostKeys=no"
    return {
        "strict": f"-o StrictHostKeyChecking=yes {common}",
        "accept-new": f"-o StrictHostKeyChecking=accept-new {common}",
        "off": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }


def hostkey_inventory(folder: Path, known_hosts: Path | None, user_known_hosts: Path | None) -> Path:
    """Write the inventory source that sets each host's ssh host key options; returns its path."""
    args = ssh_host_key_args(known_hosts, user_known_hosts)
    assert set(args) == set(HOST_KEY_POLICIES)
    choose = (
        "{{ patrol_ssh_host_key_args[(" + HOST_KEY_POLICY_VAR + " | default('" + DEFAULT_HOST_KEY_POLICY + "'))"
        " | string | lower | trim] | default(patrol_ssh_host_key_args['strict']) }}"
    )
    data = {"all": {"vars": {"patrol_ssh_host_key_args": args, "ansible_ssh_extra_args": choose}}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / INVENTORY_NAME
    fd, tmp = tempfile.mkstemp(prefix=".hostkeys.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by patrol for this run: SSH host key checking per patrol_host_key_checking.\n")
        yaml.safe_dump(data, handle, sort_keys=False, width=1000)
    os.replace(tmp, path)
    return path


def ansible_env(known_hosts: Path | None, user_known_hosts: Path | None) -> dict[str, str]:
    """Environment of an ansible-runner run: host key checking on, known_hosts for patrol's modules."""
    env = {"ANSIBLE_HOST_KEY_CHECKING": "True"}
    if known_hosts:
        env["PATROL_KNOWN_HOSTS"] = str(known_hosts)
    env["PATROL_USER_KNOWN_HOSTS"] = str(user_known_hosts) if user_known_hosts else "none"
    return env


def ssh_refusal(text: str) -> HostStatus | None:
    """``host_key_changed`` / ``host_key_unknown`` when ssh's output says it refused the host key."""
    if _UNKNOWN.search(text):
        return HostStatus.HOST_KEY_UNKNOWN
    if _CHANGED.search(text):
        return HostStatus.HOST_KEY_CHANGED
    return None


def refusal_message(status: HostStatus, host_name: str, address: str, port: int | None, text: str,
                    known: KnownHosts) -> str:  # fmt: skip
    """The operator's message for an ssh refusal (fingerprints from ssh's output and patrol's files)."""
    match = _PRESENTED.search(text)
    presented = f"{_KEY_TYPES.get(match.group(1).upper(), match.group(1))} {match.group(2)}" if match else "another key"
    if status is HostStatus.HOST_KEY_UNKNOWN:
        found = _FINGERPRINT.search(text)
        return (
            f"no host key of {address}:{port or 22} is known and patrol_host_key_checking is strict"
            + (f" (it presents {found.group(0)})" if found else "")
            + "; nothing was sent to it. Check the fingerprint on the host's console, then record it: "
            f"patrol hostkey accept {known_name(address, port)}"
        )
    return changed_message(host_name, address, port, presented, known.lookup(address, port))
