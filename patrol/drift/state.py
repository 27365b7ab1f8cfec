"""State drift: the snapshot's normalised fields (not the config) flattened to comparable paths.

``state_fields(snapshot)`` keeps what a baseline stores::

    {"facts": {...}, "interfaces": [...], "resources": [...], "security": {...}, "certificates": [...]}

``flatten(fields)`` gives one value per path, list items keyed by their name::

    {"facts.os_version": "17.3", "interfaces[GigabitEthernet2].oper_up": True,
     "resources[filesystem:/var].capacity": 1.0e10, "security.ntp_servers": ["192.0.2.1"],
     "certificates[/etc/ssl/x.pem].not_after": "2027-01-01T00:00:00Z"}

``diff_state(before, after, noise)`` lists changed paths; volatile paths (counters, usage,
uptime) are hidden by the ``state:`` noise rules, each remembered with its rule id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patrol.drift.confdiff import Ignored
from patrol.drift.noise import LineNoise
from patrol.models import Snapshot

__all__ = ["STATE_KEYS", "StateChange", "diff_state", "flatten", "state_fields"]

STATE_KEYS = ("facts", "interfaces", "resources", "security", "certificates")
_LIST_KEYS = {"interfaces": ("name",), "resources": ("kind", "name"), "certificates": ("path",)}


@dataclass(frozen=True)
class StateChange:
    """``StateChange(path="facts.os_version", before="16.3", after="17.3")`` (None = absent)."""

    path: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"


def state_fields(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot's state as JSON data (what a baseline keeps besides the config)."""
    data = snapshot.model_dump(mode="json", include=set(STATE_KEYS))
    return {key: data.get(key) for key in STATE_KEYS}


def flatten(fields: dict[str, Any]) -> dict[str, Any]:
    """One value per path (see the module docstring); lists of scalars stay whole values."""
    flat: dict[str, Any] = {}
    for key in STATE_KEYS:
        value = fields.get(key)
        if key in _LIST_KEYS:
            for item in value or []:
                name = ":".join(str(item.get(k)) for k in _LIST_KEYS[key])
                for field, v in item.items():
                    if field not in _LIST_KEYS[key]:
                        flat[f"{key}[{name}].{field}"] = v
        elif isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
    return {path: value for path, value in flat.items() if value is not None}


def diff_state(
    before: dict[str, Any], after: dict[str, Any], noise: LineNoise
) -> tuple[list[StateChange], list[Ignored]]:
    """Changed state paths (sorted) and the changes noise rules hid."""
    a, b = flatten(before), flatten(after)
    changes: list[StateChange] = []
    ignored: list[Ignored] = []
    for path in sorted(a.keys() | b.keys()):
        old, new = a.get(path), b.get(path)
        if old == new:
            continue
        rule = noise.match(path)
        if rule is not None:
            ignored.append(Ignored(0, f"{path}: {old!r} -> {new!r}", rule.id))
            continue
        changes.append(StateChange(path, old, new))
    return changes, ignored
