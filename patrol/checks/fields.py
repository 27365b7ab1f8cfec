"""What a check reads: snapshot fields, the objects of a list, and inventory-variable references.

A check addresses a snapshot value with a dotted ``field`` path into the snapshot's JSON-like
document (``security.ntp_servers``, ``facts.os_version``, ``config``). A check over a list names
``objects`` (``resources``, ``interfaces`` or ``certificates``), filters them with ``where``
(``{kind: [filesystem, volume]}``: value or list of accepted values per key), and reads
``field`` from each object (``used_percent``). The object's name is its ``name`` (or ``path``
for certificates).

Any expected value may be a reference to a host inventory variable instead of a literal::

    expect: {var: patrol_expected_ntp_servers}             # required: error if the host lacks it
    limit:  {var: patrol_disk_urgent_percent, default: 85}  # optional with a default
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from patrol.models import Outcome, utcnow

__all__ = [
    "MISSING",
    "CheckContext",
    "MissingVarError",
    "ObjectList",
    "VarRef",
    "Verdict",
    "lookup",
    "object_name",
    "resolve",
    "select_objects",
]

ObjectList = Literal["interfaces", "resources", "certificates"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: A field the snapshot does not carry (absent, or ``null``: the collector could not read it).
MISSING: Any = _Missing()


class Verdict(NamedTuple):
    """One outcome of a check kind on one object (``""`` = the host as a whole)."""

    object: str
    outcome: Outcome
    message: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class CheckContext:
    """What a check kind sees: ``snapshot`` is ``Snapshot.model_dump()``; ``vars`` the host's inventory vars."""

    snapshot: Mapping[str, Any]
    vars: Mapping[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)


class VarRef(BaseModel):
    """``{var: NAME}`` or ``{var: NAME, default: VALUE}`` in a profile: a host inventory variable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    var: str
    default: Any = MISSING


class MissingVarError(LookupError):
    """A check references an inventory variable the host does not define."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"inventory variable {name!r} is not set for this host: define it in group_vars/host_vars "
            "or give the check a default ({var: NAME, default: VALUE})"
        )
        self.name = name


def resolve(value: Any, variables: Mapping[str, Any]) -> Any:
    """A literal as is; a :class:`VarRef` (or a ``{"var": ...}`` mapping) as the host's value."""
    if isinstance(value, Mapping) and set(value) <= {"var", "default"} and "var" in value:
        value = VarRef.model_validate(value)
    if not isinstance(value, VarRef):
        return value
    if value.var in variables:
        return variables[value.var]
    if value.default is not MISSING:
        return value.default
    raise MissingVarError(value.var)


def lookup(document: Mapping[str, Any], path: str) -> Any:
    """``lookup(snap, "security.ntp_servers")`` -> the value, or :data:`MISSING` if absent or null."""
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, Mapping) or current.get(part) is None:
            return MISSING
        current = current[part]
    return current


def _accepts(item: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    for key, wanted in where.items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if item.get(key) not in allowed:
            return False
    return True


def select_objects(document: Mapping[str, Any], objects: ObjectList, where: Mapping[str, Any]) -> list[Any]:
    """The objects of list ``objects`` that match every ``where`` key."""
    items = document.get(objects) or []
    return [item for item in items if isinstance(item, Mapping) and _accepts(item, where)]


def object_name(item: Mapping[str, Any]) -> str:
    return str(item.get("name") or item.get("path") or "?")
