"""A synthetic 180-day history fed through patrol's ingest path (tests/report/ingest.py), then the
history run processor's ``run_done`` (what the runner calls once a run is closed), which writes the
run's metrics to the Parquet metric store.

Planted facts (the test asserts the analytics find them):

* ``nas1:/vol/data`` grows 0.2 points/day: 50% on day 0, cleaned up (reset) to 35% on day 60,
  then 35 + 0.2 x (day - 60); every 7th day nas1 is unreachable (a gap). On the last day (179)
  it is at 58.8%, so 85% is (85 - 58.8) / 0.2 = 131 days away.
* NTP drift: sw01..sw05 lose their NTP servers every 5th day of the last 30 days (recurrences).
* Firmware sprawl: sw01..sw08 (cisco_ios) run 4 different versions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from patrol.checks import load_profiles
from patrol.history.processor import HistoryProcessor
from patrol.models import HostStatus, Resource, RunStatus
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import Case, ingest

DAYS = 180
GROWTH_PER_DAY = 0.2
EXPECTED_DAYS_TO_85 = (85 - (35 + GROWTH_PER_DAY * (DAYS - 1 - 60))) / GROWTH_PER_DAY  # 131
VERSIONS = ["15.8(3)M2", "15.8(3)M5", "15.9(3)M4", "15.2(7)E3"]
SWITCHES = [f"sw{i:02d}" for i in range(1, 9)]
NTP_DRIFTERS = SWITCHES[:5]
GOOD_NTP = ["192.0.2.123", "192.0.2.124"]


def _used(day: int) -> float:
    base = 50 + GROWTH_PER_DAY * day if day < 60 else 35 + GROWTH_PER_DAY * (day - 60)
    return base + (0.3 if day % 3 == 0 else -0.2 if day % 3 == 1 else 0.0)  # small noise


def _nas(case: Case, day: int) -> Case:
    host, snap, _, _ = case
    if day % 7 == 3:
        return host, None, HostStatus.UNREACHABLE, "connection refused (planted gap)"
    assert snap is not None
    vol = Resource(kind="volume", name="/vol/data", capacity=4e12, used=4e12 * _used(day) / 100)
    return host, snap.model_copy(update={"resources": [vol, *snap.resources[1:]]}), HostStatus.OK, None


def _switch(case: Case, index: int, day: int) -> Case:
    host, snap, status, error = case
    assert snap is not None
    name = SWITCHES[index]
    drifted = name in NTP_DRIFTERS and day >= DAYS - 30 and (day + index) % 5 == 0
    security = snap.security | {"ntp_servers": [] if drifted else GOOD_NTP}
    facts = snap.facts.model_copy(update={"os_version": VERSIONS[index % len(VERSIONS)], "hostname": name})
    snap = snap.model_copy(update={"host": name, "security": security, "facts": facts})
    return host.model_copy(update={"name": name}), snap, status, error


def build_history(store: Store, end: datetime | None = None) -> datetime:
    """Ingest DAYS daily runs ending at ``end`` (default: the last 02:00 UTC that has passed, so the
    newest run is never in the future of the commands' ``now``); returns the last run's time."""
    if end is None:
        now = datetime.now(UTC)
        end = now.replace(hour=2, minute=0, second=0, microsecond=0)
        end -= timedelta(days=1) if end > now else timedelta(0)
    profiles = load_profiles([PROFILES_DIR])
    nas = lab_case(LAB_FIXTURES / "nas1.json")
    switch = lab_case(LAB_FIXTURES / "core-sw2.json")
    history = HistoryProcessor()
    for day in range(DAYS):
        at = end - timedelta(days=DAYS - 1 - day)
        cases = [_nas(nas, day), *(_switch(switch, i, day) for i in range(len(SWITCHES)))]
        run_id = f"{at:%Y%m%d}-020000-s{day:03d}"
        ingest(store, run_id, cases, profiles, at)
        history.run_done(store, run_id, RunStatus.COMPLETED)
    return end
