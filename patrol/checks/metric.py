"""Check kind ``metric``: a threshold on Prometheus samples (``extra.metrics`` of a snapshot).

Profile keys::

    kind: metric
    metric: rabbitmq_queue_messages_ready      # sample name (exact)
    labels: {queue: '^orders$'}                # optional: label -> regex, all must match
    op: "<"                                    # < <= > >= == !=
    limit: 1000                                # or {var: NAME, default: 1000}
    aggregate: each                            # each (one result per sample) | sum | max | min

Each matching sample is one object named ``name{label="value",…}``; no matching sample is the
check's ``missing`` outcome (``not_applicable`` unless the profile says ``error`` or ``fail``).
Figures for the ``problem`` text: ``metric``, ``actual``, ``op``, ``limit``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from patrol.checks.fields import CheckContext, VarRef, Verdict, lookup, resolve
from patrol.checks.kinds import _OPS, KindBase
from patrol.models import Outcome

__all__ = ["MetricCheck"]


def _sample_name(sample: dict[str, Any]) -> str:
    labels = sample.get("labels") or {}
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{sample.get('name')}{{{inner}}}" if inner else str(sample.get("name"))


class MetricCheck(KindBase):
    """``value <op> limit`` on the samples named ``metric`` whose labels match ``labels``."""

    name: ClassVar[str] = "metric"
    figures: ClassVar[tuple[str, ...]] = ("metric", "actual", "op", "limit")
    metric: str = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    limit: float | VarRef
    aggregate: Literal["each", "sum", "max", "min"] = "each"

    @field_validator("labels")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"label pattern {pattern!r} is not a valid regular expression ({exc})") from exc
        return value

    def _matches(self, sample: Any) -> bool:
        if not isinstance(sample, dict) or sample.get("name") != self.metric:
            return False
        labels = sample.get("labels") or {}
        return all(re.search(p, str(labels.get(k, ""))) for k, p in self.labels.items())

    def evaluate(self, ctx: CheckContext) -> list[Verdict]:
        samples = lookup(ctx.snapshot, "extra.metrics")
        matching = [s for s in samples if self._matches(s)] if isinstance(samples, list) else []
        if not matching:
            return [self._missing("", f"metric {self.metric}")]
        limit = resolve(self.limit, ctx.vars)
        if self.aggregate == "each":
            return [self._judge(_sample_name(s), float(s["value"]), limit) for s in matching]
        values = [float(s["value"]) for s in matching]
        total = sum(values) if self.aggregate == "sum" else max(values) if self.aggregate == "max" else min(values)
        return [self._judge(f"{self.aggregate}({self.metric})", total, limit)]

    def _judge(self, obj: str, actual: float, limit: Any) -> Verdict:
        evidence = {"metric": self.metric, "actual": actual, "op": self.op, "limit": limit}
        if not isinstance(limit, int | float) or isinstance(limit, bool):
            return Verdict(obj, Outcome.ERROR, f"limit {limit!r} of {self.metric} is not a number", evidence)
        ok = _OPS[self.op](actual, limit)
        verb = "is" if ok else "should be"
        return Verdict(obj, Outcome.PASS if ok else Outcome.FAIL, f"{obj} = {actual:g}, {verb} {self.op} {limit:g}",
                       evidence)  # fmt: skip
