"""Issue 16 (items 2, 9, 10) as the user met them, through `patrol` against this module's FakeNOS lab
plus one host that does not answer (core-sw9): waivers validated, shown and counted as waived, and
removable; unknown hosts, misspelled commands and dates answered with what was meant; diff by date
echoing the runs compared; what a listing used to lose (skipped hosts, the no-baseline list)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PatrolCLI, free_ports
from tests.drift.conftest import DriftLab


@dataclass
class Lab:
    cli: PatrolCLI
    inventory: Path
    runs: list[str]


def _run(cli: PatrolCLI, inventory: Path) -> str:
    result = cli("run", "-i", str(inventory))
    assert result.code == 0, result.output
    return str(json.loads(cli("runs", "--json").stdout)[0]["run_id"])


@pytest.fixture(scope="module")
def lab(drift_lab: DriftLab, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    folder = tmp_path_factory.mktemp("mistakes")
    inventory = drift_lab.inventory(folder)
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    core = data["all"]["children"]["network"]["children"]["core"]["hosts"]
    core["core-sw9"] = {"ansible_port": free_ports(1)[0], "patrol_platform": "cisco_ios",
                        "patrol_connect_timeout": 2}  # fmt: skip  # nothing listens: not inspected
    inventory.write_text(yaml.safe_dump(data), encoding="utf-8")
    cli = PatrolCLI(folder / "home")
    return Lab(cli, inventory, [_run(cli, inventory)])


def _failing_check(cli: PatrolCLI, host: str) -> dict[str, Any]:
    found = json.loads(cli("findings", "--json", "--host", host).stdout)
    return next(f for f in found if not f["check_id"].startswith(("drift.", "coverage.")))


def test_waiver_is_validated_shown_counted_apart_and_removable(lab: Lab) -> None:
    cli = lab.cli
    finding = _failing_check(cli, "core-sw1")
    check, misspelled = finding["check_id"], finding["check_id"][:-1]
    until = (datetime.now() + timedelta(days=40)).strftime("%Y-%m-%d")
    why = ("--until", until, "--reason", "replacement ordered", "--approver", "Zhang Wei")
    typo = cli("waive", "--check", misspelled, "--host", "core-sw1", *why)
    assert typo.code == 2 and f"did you mean {check}" in typo.stderr, typo.output
    unknown = cli("waive", "--check", check, "--host", "core-sw3", *why)
    assert unknown.code == 2 and "no host 'core-sw3'" in unknown.stderr and "core-sw1" in unknown.stderr
    group = cli("waive", "--check", check, "--group", "coer", *why)
    assert group.code == 2 and "did you mean core" in group.stderr
    bad_date = cli("waive", "--check", check, "--host", "core-sw1", "--until", "31/13/2026", *why[2:])
    assert bad_date.code == 2 and "--until: '31/13/2026' is not a date" in bad_date.stderr
    assert "waivers: 0" in cli("waivers").stdout, "nothing refused was recorded"
    before = json.loads(cli("runs", "--json").stdout)[0]
    granted = cli("waive", "--check", check, "--host", "core-sw1", *why)
    assert granted.code == 0 and f"until {until} (end of day)" in granted.stdout, granted.output

    table = cli("findings", "--host", "core-sw1")
    row = next(line for line in table.stdout.splitlines() if check in line)
    assert f"waived #1 until {until}" in row and "replacement ordered" in row
    assert "waived, counted apart" in table.stdout
    mark = next(f for f in json.loads(cli("findings", "--json").stdout) if f["check_id"] == check)
    assert mark["waived"] is True and mark["waiver"]["id"] == 1 and mark["waiver"]["reason"] == "replacement ordered"
    after = json.loads(cli("runs", "--json").stdout)[0]
    severity = finding["severity"]
    assert after["waived_by_severity"] == {severity: 1}
    assert after["findings_by_severity"].get(severity, 0) == before["findings_by_severity"][severity] - 1
    shown = cli("show", "latest", "core-sw1")
    assert "(+1 waived)" in shown.stdout and f"#1 until {until}" in shown.stdout, shown.output
    runs_table = cli("runs").stdout
    assert "waived" in runs_table.splitlines()[1]
    report = cli("report", "latest", "--format", "md", "-o", str(cli.home / "r.md"))
    assert report.code == 0, report.output
    text = (cli.home / "r.md").read_text(encoding="utf-8")
    assert "Waived: 1" in text and f"(Waived #1 until {until})" in text

    removed = cli("waiver", "remove", "1", "--reason", "replacement cancelled")
    assert removed.code == 0 and "waiver 1" in removed.stdout and "removed" in removed.stdout, removed.output
    assert not next(f for f in json.loads(cli("findings", "--json").stdout) if f["check_id"] == check)["waived"]
    assert json.loads(cli("runs", "--json").stdout)[0]["waived_by_severity"] == {}
    again = cli("waiver", "remove", "1", "--reason", "twice")
    assert again.code == 2 and "already ended" in again.stderr


def test_unknown_host_command_and_month_are_answered_with_what_was_meant(lab: Lab) -> None:
    cli = lab.cli
    for command in ("findings", "tickets"):
        result = cli(command, "--host", "core-sw3")
        assert result.code == 2 and "no host 'core-sw3'" in result.stderr, (command, result.output)
        assert "did you mean" in result.stderr and "core-sw1" in result.stderr and "8 hosts known" in result.stderr
    typo = cli("fidnings")
    assert typo.code == 2 and "Did you mean 'findings'?" in typo.stderr
    month = cli("report", "2026-12")
    assert month.code == 2 and "patrol report --period 2026-12" in month.stderr


def test_baseline_group_names_the_host_it_skipped_and_drift_json_keeps_the_unbaselined(lab: Lab) -> None:
    cli = lab.cli
    approved = cli("baseline", "approve", "--group", "core", "--reason", "CR-7")
    assert approved.code == 0, approved.output
    assert "core-sw1" in approved.stdout and "skipped core-sw9" in approved.stdout
    assert "not inspected" in approved.stdout
    drift = json.loads(cli("drift", "--json").stdout)
    assert "dist-sw1" in drift["no_baseline"] and "core-sw1" not in drift["no_baseline"]
    assert "core-sw1" in drift["no_drift"] and drift["findings"] == []


def test_diff_by_date_echoes_the_runs_and_refuses_a_run_with_itself(lab: Lab) -> None:
    cli = lab.cli
    if len(lab.runs) == 1:
        lab.runs.append(_run(cli, lab.inventory))
    first, second = lab.runs[0], lab.runs[-1]
    today = datetime.now().strftime("%d.%m.%Y")
    by_day = cli("diff", "core-sw1", "--from", today)
    assert by_day.code == 0, by_day.output
    assert f"comparing run {first} (" in by_day.stderr and f"with run {second} (" in by_day.stderr
    same = cli("diff", "core-sw1", "--from", second)
    assert same.code == 2 and "nothing to compare" in same.stderr and "--from" in same.stderr
    bad = cli("diff", "core-sw1", "--from", "31/13/2026")
    assert bad.code == 2 and "--from: '31/13/2026' is not a date" in bad.stderr
    ambiguous = cli("diff", "core-sw1", "--from", "04/05/2026")
    assert ambiguous.code == 2 and "ambiguous" in ambiguous.stderr and "2026-05-04 or 2026-04-05" in ambiguous.stderr


def test_trends_and_notifications_speak_words(lab: Lab) -> None:
    cli = lab.cli
    trends = cli("trends")
    assert trends.code == 0, trends.output
    for internal in ("check_id", "mttr_hours", "attainment_percent", "{'"):
        assert internal not in trends.stdout, internal
    outbox = cli("notifications")
    assert outbox.code == 0 and "no notification target is configured" in outbox.stdout
