"""The built-in check kinds (entry-point group ``patrol.checks``).

A kind is a pydantic model of its profile keys (unknown keys are refused) with an
``evaluate(ctx) -> list[Verdict]`` method: one verdict per object, ``""`` for the host as a whole.
A value the snapshot does not carry never passes: it gives the check's ``missing`` outcome
(``not_applicable`` by default; ``error`` or ``fail`` on request). Profile examples::

    kind: threshold        {objects: resources, where: {kind: [filesystem, volume]},
                            field: used_percent, op: "<", limit: 85}
    kind: equals           {field: security.telnet_enabled, expect: false}
    kind: membership       {field: security.ntp_servers, op: equals,
                            values: {var: patrol_expected_ntp_servers}}
                           ops: equals | superset | subset (lists), in | not_in (a value; regex: true
                           treats values as regular expressions searched in the value)
    kind: config_line      {pattern: '^\\s*transport input .*telnet', must: not_match, parent: '^line vty'}
    kind: interface_state  {name: '^(Gi|Te|Eth)', skip: ['Loopback.*']}   admin up + oper down = fail
    kind: cert_days        {min_days: 30}
    kind: present          {field: security.logging_servers}   present and not empty / true

A third-party kind implements :class:`CheckKind` and registers under ``patrol.checks``. A kind's
``figures`` name the evidence keys of a failing verdict that a check's ``problem`` text may use as
``{placeholders}`` (with ``object``), e.g. threshold: "Memory use is {actual:g} %; it must stay
below {limit:g} %".
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from patrol.checks.fields import (
    MISSING,
    CheckContext,
    ObjectList,
    VarRef,
    Verdict,
    lookup,
    object_name,
    resolve,
    select_objects,
)
from patrol.models import Outcome

__all__ = [
    "CertDaysCheck",
    "CheckKind",
    "ConfigLineCheck",
    "EqualsCheck",
    "FieldCheck",
    "InterfaceStateCheck",
    "KindBase",
    "MembershipCheck",
    "PresentCheck",
    "ThresholdCheck",
]

PASS, FAIL, NA, ERROR = Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE, Outcome.ERROR


@runtime_checkable
class CheckKind(Protocol):
    """What the engine calls; built by ``Kind.model_validate(profile_keys)``."""

    def evaluate(self, ctx: CheckContext) -> list[Verdict]: ...


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


class KindBase(BaseModel):
    """Keys every kind accepts; ``missing`` = outcome when the snapshot lacks the value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    missing: Literal["not_applicable", "error", "fail"] = "not_applicable"

    def evaluate(self, ctx: CheckContext) -> list[Verdict]:
        raise NotImplementedError

    def _missing(self, obj: str, what: str) -> Verdict:
        return Verdict(obj, Outcome(self.missing), f"{what} not reported by the device", {"field": what})


class FieldCheck(KindBase):
    """A check of one ``field``, on the host or on each object of ``objects`` matching ``where``."""

    field: str = Field(min_length=1)
    objects: ObjectList | None = None
    where: dict[str, Any] = Field(default_factory=dict)

    def evaluate(self, ctx: CheckContext) -> list[Verdict]:
        if self.objects is None:
            return [self._verdict("", lookup(ctx.snapshot, self.field), ctx)]
        items = select_objects(ctx.snapshot, self.objects, self.where)
        if not items:
            return [Verdict("", NA, f"no {self.objects} match {self.where or 'any'}", {"objects": self.objects})]
        return [self._verdict(object_name(item), lookup(item, self.field), ctx) for item in items]

    def _verdict(self, obj: str, actual: Any, ctx: CheckContext) -> Verdict:
        if actual is MISSING:
            return self._missing(obj, self.field)
        return self.judge(obj, actual, ctx)

    def judge(self, obj: str, actual: Any, ctx: CheckContext) -> Verdict:
        raise NotImplementedError


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class ThresholdCheck(FieldCheck):
    """``actual <op> limit`` on a number, e.g. ``used_percent < 85``."""

    name: ClassVar[str] = "threshold"
    figures: ClassVar[tuple[str, ...]] = ("field", "actual", "op", "limit")
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    limit: float | VarRef

    def judge(self, obj: str, actual: Any, ctx: CheckContext) -> Verdict:
        limit = resolve(self.limit, ctx.vars)
        evidence = {"field": self.field, "actual": actual, "op": self.op, "limit": limit}
        if not _is_number(actual) or not _is_number(limit):
            return Verdict(obj, ERROR, f"{self.field} = {actual!r} is not comparable with {limit!r}", evidence)
        ok = _OPS[self.op](actual, limit)
        verb = "is" if ok else "should be"
        return Verdict(obj, PASS if ok else FAIL, f"{self.field} = {actual:g}, {verb} {self.op} {limit:g}", evidence)


class EqualsCheck(FieldCheck):
    """``actual == expect`` (a literal or ``{var: NAME}``)."""

    name: ClassVar[str] = "equals"
    figures: ClassVar[tuple[str, ...]] = ("field", "actual", "expected")
    expect: Any

    def judge(self, obj: str, actual: Any, ctx: CheckContext) -> Verdict:
        expect = resolve(self.expect, ctx.vars)
        evidence = {"field": self.field, "actual": actual, "expected": expect}
        if actual == expect:
            return Verdict(obj, PASS, f"{self.field} is {actual!r}", evidence)
        return Verdict(obj, FAIL, f"{self.field} is {actual!r}, expected {expect!r}", evidence)


def _norm(value: Any, ignore_case: bool) -> str:
    text = str(value)
    return text.lower() if ignore_case else text


class MembershipCheck(FieldCheck):
    """Set comparison of a list (equals/superset/subset) or a value in/not in an allowed list."""

    name: ClassVar[str] = "membership"
    #: missing / extra: set ops (equals, superset, subset) only
    figures: ClassVar[tuple[str, ...]] = ("field", "actual", "op", "expected", "missing", "extra")
    op: Literal["equals", "superset", "subset", "in", "not_in"]
    values: list[Any] | VarRef
    regex: bool = False
    ignore_case: bool = False

    def judge(self, obj: str, actual: Any, ctx: CheckContext) -> Verdict:
        values = resolve(self.values, ctx.vars)
        if not isinstance(values, list):
            return Verdict(obj, ERROR, f"expected values must be a list, got {values!r}", {"expected": values})
        if self.op in ("in", "not_in"):
            return self._judge_value(obj, actual, values)
        if not isinstance(actual, list):
            return Verdict(obj, ERROR, f"{self.field} is {actual!r}, not a list", {"actual": actual})
        return self._judge_set(obj, actual, values)

    def _judge_set(self, obj: str, actual: list[Any], values: list[Any]) -> Verdict:
        have = {_norm(v, self.ignore_case) for v in actual}
        want = {_norm(v, self.ignore_case) for v in values}
        missing, extra = sorted(want - have), sorted(have - want)
        bad = {"equals": missing or extra, "superset": missing, "subset": extra}[self.op]
        evidence = {"field": self.field, "actual": actual, "expected": values, "missing": missing, "extra": extra}
        if not bad:
            return Verdict(obj, PASS, f"{self.field} {self.op} {values}", evidence)
        detail = "; ".join(p for p in (f"missing {missing}" if missing else "", f"extra {extra}" if extra else "") if p)
        return Verdict(obj, FAIL, f"{self.field} is {actual}, expected {self.op} {values}: {detail}", evidence)

    def _matches(self, actual: Any, allowed: Any) -> bool:
        if self.regex:
            return re.search(str(allowed), str(actual), re.IGNORECASE if self.ignore_case else 0) is not None
        return _norm(actual, self.ignore_case) == _norm(allowed, self.ignore_case)

    def _judge_value(self, obj: str, actual: Any, values: list[Any]) -> Verdict:
        found = any(self._matches(actual, allowed) for allowed in values)
        ok = found if self.op == "in" else not found
        evidence = {"field": self.field, "actual": actual, "op": self.op, "expected": values}
        listed = "allowed" if self.op == "in" else "forbidden"
        relation = "one of" if found else "none of"
        return Verdict(
            obj, PASS if ok else FAIL, f"{self.field} is {actual!r}: {relation} the {listed} {values}", evidence
        )


def _blocks(config: str, parent: str) -> list[list[str]]:
    """Child lines (more indented than the parent line) of every line that matches ``parent``."""
    lines, blocks = config.splitlines(), []
    for i, line in enumerate(lines):
        if re.search(parent, line):
            indent = len(line) - len(line.lstrip())
            children = []
            for child in lines[i + 1 :]:
                if child.strip() and len(child) - len(child.lstrip()) <= indent:
                    break
                children.append(child)
            blocks.append(children)
    return blocks


class ConfigLineCheck(KindBase):
    """The running config must (``match``) or must not (``not_match``) have a line matching ``pattern``,
    optionally only among the child lines of blocks whose header matches ``parent``."""

    name: ClassVar[str] = "config_line"
    figures: ClassVar[tuple[str, ...]] = ("pattern", "parent", "must", "matched_lines")
    pattern: str
    must: Literal["match", "not_match"] = "match"
    parent: str | None = None

    _check_regex = field_validator("pattern", "parent")(_regex)

    def evaluate(self, ctx: CheckContext) -> list[Verdict]:
        config = lookup(ctx.snapshot, "config")
        if config is MISSING or not isinstance(config, str):
            return [self._missing("", "config")]
        if self.parent is None:
            scopes = [config.splitlines()]
        else:
            scopes = _blocks(config, self.parent)
            if not scopes:
                return [Verdict("", NA, f"no config block matches {self.parent!r}", {"parent": self.parent})]
        hits = [line.strip() for scope in scopes for line in scope if re.search(self.pattern, line)]
        ok = bool(hits) == (self.must == "match")
        evidence = {"pattern": self.pattern, "parent": self.parent, "must": self.must, "matched_lines": hits[:5]}
        where = f" under {self.parent!r}" if self.parent else ""
        state = f"found {hits[:3]}" if hits else "absent"
        return [Verdict("", PASS if ok else FAIL, f"config line {self.pattern!r}{where}: {state}", evidence)]


class InterfaceStateCheck(KindBase):
    """Interfaces administratively up must be operationally up (one verdict per interface)."""

    name: ClassVar[str] = "interface_state"
    figures: ClassVar[tuple[str, ...]] = ("admin_up", "oper_up", "description")
    #: only interfaces whose name matches (search); all when unset
    name_regex: str | None = Field(default=None, alias="name")
    #: names to leave out (full match, regular expressions)
    skip: list[str] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _check_regex = field_validator("name_regex")(_regex)

    def _selected(self, name: str) -> bool:
        if self.name_regex and not re.search(self.name_regex, name):
            return False
        return not any(re.fullmatch(pattern, name) for pattern in self.skip)

    def evaluate(self, ctx: CheckContext) -> list[Verdict]:
        items = [i for i in ctx.snapshot.get("interfaces") or [] if self._selected(str(i.get("name")))]
        if not items:
            return [Verdict("", NA, "no interfaces reported", {})]
        return [self._judge(item) for item in items]

    @staticmethod
    def _judge(item: Mapping[str, Any]) -> Verdict:
        name, admin, oper = str(item.get("name")), item.get("admin_up"), item.get("oper_up")
        evidence = {"admin_up": admin, "oper_up": oper, "description": item.get("description")}
        if admin is None or oper is None:
            return Verdict(name, NA, "admin/oper state not reported", evidence)
        if not admin:
            return Verdict(name, NA, "administratively down", evidence)
        if oper:
            return Verdict(name, PASS, "up/up", evidence)
        return Verdict(name, FAIL, f"{name} is administratively up but operationally down", evidence)


class CertDaysCheck(KindBase):
    """Each certificate must stay valid for at least ``min_days`` more days."""

    name: ClassVar[str] = "cert_days"
    figures: ClassVar[tuple[str, ...]] = ("not_after", "expires_on", "days_left", "min_days")
    min_days: float | VarRef = 30
    path: str | None = None

    _check_regex = field_validator("path")(_regex)

    def evaluate(self, ctx: CheckContext) -> list[Verdict]:
        certs = [c for c in ctx.snapshot.get("certificates") or [] if not self.path or re.search(self.path, c["path"])]
        if not certs:
            return [Verdict("", NA, "no certificates reported", {})]
        min_days = resolve(self.min_days, ctx.vars)
        return [self._judge(cert, ctx.now, min_days) for cert in certs]

    @staticmethod
    def _judge(cert: Mapping[str, Any], now: datetime, min_days: float) -> Verdict:
        path, not_after = str(cert.get("path")), cert.get("not_after")
        if not isinstance(not_after, datetime):
            return Verdict(path, ERROR, f"expiry date unknown: {cert.get('error') or 'not reported'}", {})
        days = round((not_after - now).total_seconds() / 86400, 1)
        evidence = {"not_after": not_after.isoformat(), "expires_on": f"{not_after:%Y-%m-%d}", "days_left": days,
                    "min_days": min_days}  # fmt: skip
        if days >= min_days:
            return Verdict(path, PASS, f"valid for {days:g} more days", evidence)
        state = f"expired {-days:g} days ago" if days < 0 else f"expires in {days:g} days"
        return Verdict(path, FAIL, f"certificate {state} (minimum {min_days:g})", evidence)


class PresentCheck(FieldCheck):
    """The field is present and true / not empty (e.g. logging servers configured)."""

    name: ClassVar[str] = "present"
    figures: ClassVar[tuple[str, ...]] = ("field", "actual")

    def judge(self, obj: str, actual: Any, ctx: CheckContext) -> Verdict:
        evidence = {"field": self.field, "actual": actual}
        if actual:
            return Verdict(obj, PASS, f"{self.field} is {actual!r}", evidence)
        return Verdict(obj, FAIL, f"{self.field} is {actual!r}: not configured", evidence)
