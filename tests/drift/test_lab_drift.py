"""The issue's lab bar, as a user: approve baselines, change a device, run again, see exactly that drift.

Real ``patrol run`` (PatrolCLI) against this module's own FakeNOS devices (all six lab platforms,
canary secrets in every config). core-sw1 is changed between runs: an ACL on an interface, a new
NTP server, a rotated enable secret; edge-r1 (Junos) gets a rotated root password.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from patrol.drift.engine import DriftData
from patrol.drift.timetravel import diff_points, resolve_point
from patrol.report.diff import render_diff
from patrol.store import Store
from tests.conftest import PatrolCLI, Result
from tests.drift.conftest import CORE_CONFIG, DriftLab, running_config

ROOT = Path(__file__).resolve().parents[2]
EDGE_FILE = ROOT / "lab" / "fakenos" / "edge-r1" / "show_configuration.txt"
GOLDEN = ROOT / "inspect" / "golden" / "ios-base.j2"
ROTATED_ENABLE = "$1$CANARYnew$RotatedEnableHash99"
ROTATED_ROOT = "$6$CANARYrot$RotatedRootHashZzZ"
CHANGED_CORE = (
    CORE_CONFIG.replace("ntp server 192.0.2.99", "ntp server 192.0.2.123")
    .replace("$1$CANARYen$core-sw1EnableHashXyZ0", ROTATED_ENABLE)
    .replace(" description uplink to dist-sw1\n", " description uplink to dist-sw1\n ip access-group BLOCK in\n")
    .replace(
        "ip forward-protocol nd\n",
        "ip forward-protocol nd\nip access-list extended BLOCK\n deny ip any host 203.0.113.66\n permit ip any any\n",
    )
)
EXPECTED_CORE = {
    ("drift.config.added", "ip access-list extended BLOCK"),
    ("drift.config.added", "interface GigabitEthernet2 > ip access-group BLOCK in"),
    ("drift.config.removed", "ntp server 192.0.2.99"),
    ("drift.config.added", "ntp server 192.0.2.123"),
    ("drift.config.secret", "enable secret 5 <redacted>"),
}
EXPECTED_EDGE = {("drift.config.secret", "system > root-authentication > encrypted-password <redacted>")}


@dataclass
class Story:
    cli: PatrolCLI
    inventory: Path
    runs: list[str]
    outputs: list[Result]


def _run(cli: PatrolCLI, inventory: Path, outputs: list[Result]) -> str:
    result = cli("run", "-i", str(inventory))
    outputs.append(result)
    assert result.code == 0, result.output
    return str(json.loads(cli("runs", "--json").stdout)[0]["run_id"])


@pytest.fixture(scope="module")
def story(drift_lab: DriftLab, tmp_path_factory: pytest.TempPathFactory) -> Story:
    folder = tmp_path_factory.mktemp("drift-lab")
    cli, inventory, outputs = PatrolCLI(folder / "home"), drift_lab.inventory(folder), []
    first = _run(cli, inventory, outputs)
    approved = cli(
        "baseline", "approve", "--all", "--run", first, "--reason", "initial acceptance CR-1", "--by", "alice"
    )
    golden = cli("baseline", "template", "--group", "core", str(GOLDEN), "-i", str(inventory), "--reason", "v1")
    outputs.extend([approved, golden])
    assert approved.code == 0, approved.output
    assert golden.code == 0 and "core-sw1, core-sw2" in golden.stdout, golden.output
    drift_lab.fleet.update_commands("core-sw1", running_config(CHANGED_CORE))
    edge = EDGE_FILE.read_text(encoding="utf-8").replace("$6$CANARYroot$EdgeR1RootHashQwErTy", ROTATED_ROOT)
    drift_lab.fleet.update_commands("edge-r1", {"show configuration": {"output": edge, "help": "lab"}})
    second = _run(cli, inventory, outputs)
    third = _run(cli, inventory, outputs)
    return Story(cli, inventory, [first, second, third], outputs)


def drift_findings(cli: PatrolCLI, run: str) -> list[dict[str, Any]]:
    result = cli("findings", "--json", "--run", run)
    assert result.code == 0, result.output
    return [f for f in json.loads(result.stdout) if f["check_id"].startswith("drift.")]


def test_exactly_the_changes_show_as_drift_under_their_parents(story: Story) -> None:
    found = drift_findings(story.cli, story.runs[1])
    by_host: dict[str, set[tuple[str, str]]] = {}
    for f in found:
        by_host.setdefault(f["host"], set()).add((f["check_id"], f["object"]))
    assert by_host == {"core-sw1": EXPECTED_CORE, "edge-r1": EXPECTED_EDGE}
    acl = next(f for f in found if f["object"].endswith("ip access-group BLOCK in"))
    assert acl["severity"] == "critical"
    assert acl["evidence"]["excerpt"] == "  interface GigabitEthernet2\n+   ip access-group BLOCK in"
    secret = next(f for f in found if f["check_id"] == "drift.config.secret" and f["host"] == "core-sw1")
    assert secret["message"].startswith("secret changed on line 18") and "value not shown" in secret["message"]
    ntp = next(f for f in found if f["object"] == "ntp server 192.0.2.123")
    assert ntp["severity"] == "urgent" and ntp["evidence"]["baseline"]["approved_by"] == "alice"


def test_golden_template_compliance_per_group_member(story: Story) -> None:
    result = story.cli("findings", "--json", "--run", story.runs[1])
    found = json.loads(result.stdout)
    golden = {(f["host"], f["check_id"], f["object"]) for f in found if f["check_id"].startswith("golden")}
    assert golden == {
        ("core-sw1", "golden.missing", "ntp server 192.0.2.124"),
        ("core-sw1", "golden.missing", "line vty 0 4 > transport input ssh"),
        ("core-sw1", "golden.forbidden", "line vty 0 4 > transport input telnet ssh"),
    }, "core-sw2 is the compliant member; the other groups have no template"


def test_unchanged_drift_keeps_its_fingerprint(story: Story) -> None:
    second = {f["fingerprint"] for f in drift_findings(story.cli, story.runs[1])}
    third = {f["fingerprint"] for f in drift_findings(story.cli, story.runs[2])}
    assert second == third and len(second) == len(EXPECTED_CORE | EXPECTED_EDGE)


def test_drift_command_recomputes_against_baselines(story: Story) -> None:
    result = story.cli("drift", "--run", story.runs[0])
    assert result.code == 0, result.output
    assert "4 drift item(s); no drift: agg-sw1, core-sw2, dist-sw1, edge-r1, fw1, fw2;" in result.stdout
    assert "golden.forbidden" in result.stdout and "drift.config" not in result.stdout
    latest = story.cli("drift", "core-sw1", "--json")
    objects = {(f["check_id"], f["object"]) for f in json.loads(latest.stdout)["findings"]}
    assert {o for o in objects if o[0].startswith("drift.")} == EXPECTED_CORE


def test_baseline_show_history(story: Story) -> None:
    shown = story.cli("baseline", "show", "core-sw1", "--history")
    assert shown.code == 0, shown.output
    assert "alice" in shown.stdout and "initial acceptance CR-1" in shown.stdout and story.runs[0] in shown.stdout
    again = story.cli("baseline", "approve", "core-sw1", "--run", story.runs[2], "--reason", "CR-2 accepted")
    assert again.code == 0 and "v2" in again.stdout
    history = json.loads(story.cli("baseline", "show", "core-sw1", "--history", "--json").stdout)
    assert [(b["kind"], b["scope"], b["version"]) for b in history] == [
        ("snapshot", "host", 2), ("template", "group", 1), ("snapshot", "host", 1)
    ]  # fmt: skip
    assert history[0]["reason"] == "CR-2 accepted" and history[1]["target"] == "core"
    now = json.loads(story.cli("drift", "core-sw1", "--json").stdout)["findings"]
    assert [f for f in now if f["check_id"].startswith("drift.")] == []


def test_diff_text_between_runs_and_explain(story: Story) -> None:
    result = story.cli("diff", "core-sw1", "--from", story.runs[0], "--to", story.runs[1], "--explain")
    assert result.code == 0, result.output
    text = result.stdout
    assert "config: 5 change(s)" in text
    assert "+   ip access-group BLOCK in" in text and "- ntp server 192.0.2.99" in text
    assert "(secret changed, value not shown)" in text
    assert "[ios.last-change]" in text and "! Last configuration change at" in text
    assert "[ios.current-size]" in text


def test_diff_json_and_dates(story: Story) -> None:
    result = story.cli("diff", "edge-r1", "--from", "baseline", "--to", "latest", "--format", "json")
    assert result.code == 0, result.output
    data = json.loads(result.stdout)
    assert [(c["kind"], c["object"]) for c in data["config"]] == [
        ("secret", "system > root-authentication > encrypted-password <redacted>")
    ]
    today = story.cli("diff", "core-sw2", "--from", "2000-01-01", "--to", "latest")
    assert today.code == 2 and "none collected at or before 2000-01-01" in today.stderr


def test_diff_from_after_to_is_refused(story: Story) -> None:
    result = story.cli("diff", "core-sw1", "--from", story.runs[2], "--to", story.runs[0])
    assert result.code == 2 and "--from" in result.stderr and "after --to" in result.stderr


@pytest.mark.browser
def test_diff_html_side_by_side_in_chromium(story: Story, tmp_path: Path) -> None:
    page = tmp_path / "diff.html"
    made = story.cli("diff", "core-sw1", "--from", story.runs[0], "--to", story.runs[1], "--format", "html",
                     "-o", str(page))  # fmt: skip
    assert made.code == 0, made.output
    dom = _chromium_dom(page, tmp_path)
    assert 'id="config-count">5<' in dom
    assert '<tr class="added">' in dom and "ip access-group BLOCK in" in dom
    assert '<tr class="removed">' in dom and "ntp server 192.0.2.99" in dom
    assert '<tr class="secret">' in dom and "secret changed" in dom
    assert "CANARY" not in dom and "hmac=" not in dom


def _chromium_dom(page: Path, tmp_path: Path) -> str:
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (make system-deps)")
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'c'}",
            "--dump-dom", page.as_uri()]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout


def _all_diffs(story: Story) -> list[str]:
    """Every lab platform's diff in every format, rendered in-process from the same store."""
    data = DriftData.load()
    texts = []
    with Store.open(f"sqlite:///{story.cli.home / 'patrol.db'}") as store:
        for host in ("core-sw1", "core-sw2", "edge-r1", "agg-sw1", "fw1", "fw2", "dist-sw1"):
            report = diff_points(data, resolve_point(store, host, story.runs[0]), resolve_point(store, host, "latest"))
            texts.extend(render_diff(report, data.rules, fmt, explain=True) for fmt in ("text", "json", "html"))
    return texts


def test_no_canary_secret_anywhere(story: Story) -> None:
    outputs = [r.output for r in story.outputs] + _all_diffs(story)
    outputs.append(story.cli("drift", "--json").output)
    con = sqlite3.connect(story.cli.home / "patrol.db")
    outputs.append("\n".join(con.iterdump()))
    con.close()
    files = [p for p in story.cli.home.rglob("*") if p.is_file() and p.suffix not in (".db", ".db-wal", ".db-shm")]
    outputs.extend(p.read_text(encoding="utf-8", errors="replace") for p in files)
    assert any("<redacted" in text for text in outputs)
    assert any("ios.last-change" in text for text in outputs)
    for text in outputs:
        assert "CANARY" not in text


def _baseline_count(story: Story) -> int:
    con = sqlite3.connect(story.cli.home / "patrol.db")
    try:
        return int(con.execute("select count(*) from baselines").fetchone()[0])
    finally:
        con.close()


def test_bad_input_names_the_problem_and_stores_nothing(story: Story, tmp_path: Path) -> None:
    before = _baseline_count(story)
    undefined = tmp_path / "undefined.j2"
    undefined.write_text("hostname {{ inventory_hostname }}\nntp server {{ no_such_var }}\n")
    syntax = tmp_path / "syntax.j2"
    syntax.write_text("hostname x\n{% for s in servers %}\nntp server {{ s }}\n")
    inv = ("-i", str(story.inventory), "--reason", "r")
    result = story.cli("baseline", "template", "--group", "core", str(undefined), *inv)
    assert result.code == 2 and f"{undefined}:2" in result.stderr and "'no_such_var' is undefined" in result.stderr
    result = story.cli("baseline", "template", "--group", "core", str(syntax), *inv)
    assert result.code == 2 and f"{syntax}:3" in result.stderr and "syntax error" in result.stderr
    result = story.cli("baseline", "template", "--group", "nosuchgroup", str(GOLDEN), *inv)
    assert result.code == 2 and "no group 'nosuchgroup'" in result.stderr
    result = story.cli("baseline", "approve", "no-such-host", "--reason", "r")
    assert result.code == 2 and "no host 'no-such-host'" in result.stderr and "core-sw1" in result.stderr
    result = story.cli("baseline", "approve", "core-sw1", "--reason", "  ")
    assert result.code == 2 and "--reason" in result.stderr
    noise = tmp_path / "noise.yml"
    noise.write_text("noise:\n  - id: broken\n    description: unbalanced\n    config: '^(interface'\n")
    result = story.cli("diff", "core-sw1", "--from", story.runs[0], "--noise", str(noise))
    assert result.code == 2 and f"{noise}:2: rule 'broken': key 'config': invalid regular expression" in result.stderr
    assert _baseline_count(story) == before
