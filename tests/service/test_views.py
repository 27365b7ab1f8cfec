"""Dashboard data without a server: an empty history gives "no data" (None), never an empty axis or 100 %."""

from __future__ import annotations

from patrol.service.views import TtlCache, capacity_chart, fleet_charts, host_drift
from patrol.store import Store
from patrol.tickets import ServiceContract


def test_an_empty_history_has_no_charts_and_no_drift(store: Store) -> None:
    charts = fleet_charts(store, ServiceContract(), "zh", cache=TtlCache(0))
    assert charts == {"compliance": None, "opened_resolved": None, "error": None}
    assert capacity_chart(store, "core-sw1", "en", cache=TtlCache(0)) == {"chart": None, "error": None}
    view = host_drift(store, "core-sw1", "latest")
    assert view.missing is not None and "patrol baseline approve" in view.missing and not view.drifted


def test_the_chart_cache_computes_once_per_key_within_its_age() -> None:
    calls: list[str] = []
    cache = TtlCache(60)
    for _ in range(3):
        assert cache.get(("fleet", "en"), lambda: calls.append("en") or "png-en") == "png-en"
    cache.get(("fleet", "zh"), lambda: calls.append("zh") or "png-zh")
    assert calls == ["en", "zh"]
    expired = TtlCache(0)
    expired.get(("k",), lambda: calls.append("again"))
    expired.get(("k",), lambda: calls.append("again"))
    assert calls.count("again") == 2
