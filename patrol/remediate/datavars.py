"""The variables patrol gives ansible-playbook, as data that Ansible never templates.

Ansible templates extra variables: a device's banner, an interface description, a file's
content or a finding's evidence that holds ``{{ lookup('pipe', 'id') }}`` would run a command on
the patrol server if it reached ``ansible-playbook`` as a plain extra variable (ansible-runner's
``extravars`` are such variables). Every value patrol passes (a plan's variables, resolved from
findings, inventory and ``-e``, and ``patrol_restore``, the backups taken from the devices) is
written instead to a YAML file whose root mapping carries Ansible's ``!unsafe`` tag, which makes
every string in it, keys included, unsafe; it is handed over as ``-e @FILE``::

    !unsafe
    "ntp_servers": ["192.0.2.123"]
    "patrol_restore":
      "web1":
      - {"kind": "file", "path": "/etc/motd", "content": "Welcome {{ lookup('pipe', 'id') }}\\n", "restorable": true}

(Only the root is tagged: ansible-core re-resolves a tagged *scalar* as if it were plain, so
``!unsafe "yes"`` would load as ``True`` and ``!unsafe ""`` as ``None``; under a tagged mapping
every value keeps the type its quoting gives it.)

An unsafe string is never templated, also when a task copies it (``set_fact``, a loop
item, a filter's result) or passes it to a module: the module receives the exact text
(measured with ansible-core 2.19; ``tests/security/test_template_injection.py`` proves it against
lab devices). Templating belongs in the playbook, whose own ``{{ }}`` still work on these values.
Strings are written double-quoted, so any text (line breaks, tabs, trailing blanks, control
characters) comes back byte for byte. The file is readable by its owner only (a backup is
configuration) and :func:`patrol.remediate.playbook.run_playbook` deletes it after the run; unlike
ansible-runner's ``extravars``, the values never appear on a command line (``ps``, the runner's
``artifacts/*/command``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["UNSAFE_TAG", "dump_unsafe", "write_vars_file"]

UNSAFE_TAG = "!unsafe"


class _UnsafeRoot(dict[str, Any]):
    """The document's root mapping: written with the ``!unsafe`` tag."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper: the root tagged ``!unsafe``, strings double-quoted (an exact round trip), no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_root(dumper: yaml.SafeDumper, value: _UnsafeRoot) -> yaml.MappingNode:
    return dumper.represent_mapping(UNSAFE_TAG, dict(value))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')


_Dumper.add_representer(_UnsafeRoot, _represent_root)
_Dumper.add_representer(str, _represent_str)


def _plain(data: Mapping[str, Any]) -> Any:
    """JSON types only (tuples as lists, anything else as its text): what the dumper can write."""
    return json.loads(json.dumps(dict(data), default=str))


def dump_unsafe(data: Mapping[str, Any]) -> str:
    """``data`` as a YAML mapping tagged ``!unsafe`` (all it holds is unsafe, keys included)."""
    root = _UnsafeRoot(_plain(data))
    return yaml.dump(root, Dumper=_Dumper, allow_unicode=True, sort_keys=True, width=1 << 30)


def write_vars_file(path: Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` (see :func:`dump_unsafe`) to ``path`` atomically, mode 0600; returns ``path``."""
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(dump_unsafe(data))
    os.replace(temp, path)
    return path
