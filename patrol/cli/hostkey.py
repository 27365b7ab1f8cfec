"""``patrol hostkey list | accept HOST | forget HOST``: patrol's SSH known_hosts (``HOME/known_hosts``).

HOST is an inventory name recorded with a learned key, an address (``10.0.0.5``, port 22) or
``[address]:port`` / ``address:port``; with ``-i`` an inventory name is looked up in the inventory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import click
import paramiko
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import EXIT_FAILURE, Context, fail, handled, out
from patrol.cli.pathtypes import CwdPath, InventorySource
from patrol.collect.hostkeys import KnownHosts, fetch_host_key, fingerprint, known_name, parse_target
from patrol.inventory import load_inventory

__all__ = ["COMMANDS"]


@dataclass(frozen=True)
class _Target:
    name: str
    address: str
    port: int


def _known(obj: Context) -> KnownHosts:
    return KnownHosts(obj.settings.known_hosts, obj.settings.user_known_hosts)


def _resolve(known: KnownHosts, host: str, inventory: tuple[str, ...], vault: str | None) -> _Target:
    """HOST as an inventory name (``-i``), a name recorded in patrol's file, or an address."""
    if inventory:
        with handled():
            hosts = load_inventory(inventory, limit=host, vault_password_file=vault).hosts
        if len(hosts) != 1:
            fail(f"{host!r} matches {len(hosts)} hosts of the inventory {', '.join(inventory)}; name one host")
        return _Target(hosts[0].name, hosts[0].address, hosts[0].port or 22)
    recorded = {key.name for key in known.by_comment(host)}
    if len(recorded) == 1:
        address, port = parse_target(recorded.pop()) or (host, 22)
        return _Target(host, address, port)
    if len(recorded) > 1:
        fail(f"{host!r} names several endpoints in {known.path} ({', '.join(sorted(recorded))}); give one of them")
    target = parse_target(host)
    if target is None:
        fail(
            f"{host!r} is neither an address nor a host recorded in {known.path}; "
            f"give its address ([ADDRESS]:PORT) or the inventory with -i"
        )
    return _Target(host, *target)


_INVENTORY = click.option("-i", "--inventory", multiple=True, metavar="PATH", type=InventorySource(),
                          help="Look HOST up in this Ansible inventory (repeatable).")  # fmt: skip
_VAULT = click.option("--vault-password-file", type=CwdPath(exists=True, dir_okay=False),
                      help="Vault password file of the inventory.")  # fmt: skip


@click.group()
def hostkey() -> None:
    """SSH host keys patrol trusts (HOME/known_hosts; the user's ~/.ssh/known_hosts is also read)."""


@hostkey.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_cmd(obj: Context, as_json: bool) -> None:
    """Every key in patrol's known_hosts: endpoint, inventory name, type, SHA256 fingerprint."""
    keys = _known(obj).entries()
    rows = [{"endpoint": k.name, "host": k.comment, "type": k.key_type, "fingerprint": k.fingerprint,
             "line": k.line} for k in keys]  # fmt: skip
    if as_json:
        out.print_json(json.dumps({"file": str(obj.settings.known_hosts), "keys": rows}))
        return
    if not rows:
        out.print(f"no host key recorded yet in {escape(str(obj.settings.known_hosts))}")
        return
    table = Table(title=str(obj.settings.known_hosts))
    for column in ("endpoint", "host", "type", "fingerprint"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(str(row[c])) for c in ("endpoint", "host", "type", "fingerprint")))
    out.print(table)


@hostkey.command("accept")
@click.argument("host")
@click.option("--expect", metavar="SHA256:…", help="Refuse unless the key presented has this fingerprint "
              "(read it on the device's console: that is what proves it is the device).")  # fmt: skip
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to reach the host.")
@_INVENTORY
@_VAULT
@click.pass_obj
def accept_cmd(obj: Context, host: str, expect: str | None, timeout: float, inventory: tuple[str, ...],
               vault_password_file: str | None) -> None:  # fmt: skip
    """Trust the key HOST presents now (after a re-key or replacement), replacing the one on record.

    Only the SSH key exchange is made: no login, no credential is sent.
    """
    known = _known(obj)
    target = _resolve(known, host, inventory, vault_password_file)
    before = known.lookup(target.address, target.port)
    try:
        key_type, blob = fetch_host_key(target.address, target.port, timeout, [k.key_type for k in before])
    except (OSError, paramiko.SSHException) as exc:
        fail(f"cannot read the host key of {target.address}:{target.port}: {exc}", EXIT_FAILURE)
    presented = fingerprint(blob)
    if expect and expect.strip() != presented:
        fail(f"{target.address}:{target.port} presents {key_type} {presented}, not {expect.strip()}: nothing recorded")
    if any(k.blob == blob and k.source == known.path for k in before):
        out.print(f"{escape(target.name)}: {key_type} {presented} is already the recorded key")
        return
    removed = known.replace(target.address, target.port, key_type, blob, comment=target.name)
    out.print(f"{escape(target.name)} ({escape(known_name(target.address, target.port))}): "
              f"now trusting {key_type} {presented}")  # fmt: skip
    for old in removed:
        out.print(f"  replaced {old.key_type} {old.fingerprint}")


@hostkey.command("forget")
@click.argument("host")
@_INVENTORY
@_VAULT
@click.pass_obj
def forget_cmd(obj: Context, host: str, inventory: tuple[str, ...], vault_password_file: str | None) -> None:
    """Remove HOST's keys from patrol's known_hosts (the next contact learns it again under accept-new)."""
    known = _known(obj)
    target = _resolve(known, host, inventory, vault_password_file)
    removed = known.forget(target.address, target.port)
    if not removed:
        fail(f"no key of {known_name(target.address, target.port)} in {known.path}")
    for old in removed:
        out.print(f"forgot {escape(old.name)} {old.key_type} {old.fingerprint}")


COMMANDS = [hostkey]
