"""The README's remediation walkthrough on the bundled lab, command for command.

The commands come from README.md's "On the lab" block (and the first inspection from the Makefile's
`demo` target); only the placeholders TICKET and CHANGE_ID are replaced by what a user reads off
`patrol tickets` / `patrol changes`. For core-sw1's NTP ticket: the preview changes nothing, the
approval changes the device (its running-config shows the agreed servers and is saved), the
verification run resolves the ticket, the rollback puts the device's old lines back. The same for
web1's sshd ticket (root only: web1 lives in a network namespace): sshd_config changed and sshd
reloaded (SIGHUP), the ticket resolved, the old file back and sshd reloaded again.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patrol.lab.base import STATE_DIR
from patrol.lab.fakenos_lab import DATA_DIR, lab_devices
from tests.conftest import IS_ROOT, ROOT, PatrolCLI, Result

NTP_TITLE = "NTP servers are not the agreed ones"
SSHD_TITLE = "SSH root login with a password is permitted"


def readme_commands() -> list[list[str]]:
    """The README's lab walkthrough: one argv per line, comments dropped, `patrol` itself removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("On the lab (after `make demo`", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert commands and all(argv[0] == "patrol" for argv in commands), block
    return [argv[1:] for argv in commands]


def demo_run_args() -> list[str]:
    """`make demo`'s inspection: the Makefile's `$(PATROL) run ...` line."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines() if line.strip().startswith("$(PATROL) run "))
    return shlex.split(line.strip())[1:]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, lab: Any) -> PatrolCLI:
    patrol = PatrolCLI(tmp_path_factory.mktemp("readme") / "home")
    run = patrol(*demo_run_args())
    assert run.code in (0, 1), run.output
    return patrol


def _ticket(cli: PatrolCLI, host: str, title: str) -> dict[str, Any]:
    tickets = json.loads(cli("tickets", "--state", "all", "--json").stdout)
    return next(t for t in tickets if t["host"] == host and t["title"].startswith(title))


def _walkthrough(cli: PatrolCLI, host: str, title: str, on_device: Any) -> dict[str, Result]:
    """Run the README's commands in order; ``on_device(step)`` reads the device after each step."""
    ticket = str(_ticket(cli, host, title)["id"])
    results: dict[str, Result] = {}
    for argv in readme_commands():
        if argv[0] == "rollback":
            changes = json.loads(cli("changes", "--host", host, "--json").stdout)
            [applied] = [c for c in changes if c["status"] == "applied"]
            argv = ["rollback" if a == "rollback" else applied["id"] if a == "CHANGE_ID" else a for a in argv]
        argv = [ticket if a == "TICKET" else a for a in argv]
        result = cli(*argv)
        assert result.code == 0, (argv, result.output)
        step = _step(argv)
        results[step] = result
        on_device(step)
    return results


def _step(argv: list[str]) -> str:
    """``remediate --approve --by`` for ``remediate 9 --approve --by alice --vault-password-file F``."""
    words = [w for i, w in enumerate(argv) if i == 0 or not (w[:1].isdigit() or w.startswith("chg-") or
             argv[i - 1] in ("--by", "--vault-password-file") or w == "--vault-password-file")]  # fmt: skip
    return " ".join(words)


def _show_running_config(port: int) -> str:
    from netmiko import ConnectHandler

    [device] = [d for d in lab_devices() if d.port == port]
    conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=port, username=device.username,
                          password=device.password, secret=device.password, ssh_strict=False)  # fmt: skip
    try:
        conn.enable()
        return str(conn.send_command("show running-config"))
    finally:
        conn.disconnect()


def _ntp(config: str) -> list[str]:
    return [line for line in config.splitlines() if line.startswith("ntp server ")]


def test_readme_walkthrough_core_sw1_ntp(cli: PatrolCLI) -> None:
    original = _ntp((DATA_DIR / "core-sw1" / "show_running-config.txt").read_text(encoding="utf-8"))
    ticket = _ticket(cli, "core-sw1", NTP_TITLE)
    agreed = [f"ntp server {server}" for server in ticket["evidence"]["expected"]]
    seen: dict[str, list[str]] = {}

    def on_device(step: str) -> None:
        seen[step] = _ntp(_show_running_config(6001))

    results = _walkthrough(cli, "core-sw1", NTP_TITLE, on_device)

    assert original == ["ntp server 192.0.2.99"] and sorted(agreed) != sorted(original)
    assert NTP_TITLE in results["tickets"].stdout and str(ticket["id"]) in results["tickets"].stdout
    assert "+ntp server 192.0.2.123" in results["remediate --check"].stdout
    assert seen["remediate --check"] == original, "the preview changes nothing"
    assert "core-sw1: applied" in results["remediate --approve --by"].stdout
    assert "passed: finding gone" in results["remediate --approve --by"].stdout
    assert sorted(seen["remediate --approve --by"]) == sorted(agreed), "the running-config shows the change"
    assert re.search(r"state resolved", results["ticket show"].stdout), results["ticket show"].stdout
    assert "core-sw1: rolled_back" in results["rollback"].stdout
    assert seen["rollback"] == original, "the rollback restores the device's NTP lines"
    assert _ticket(cli, "core-sw1", NTP_TITLE)["state"] != "resolved", "the re-inspection sees the finding again"


@pytest.mark.skipif(not IS_ROOT, reason="web1 runs in a network namespace: needs root")
def test_readme_walkthrough_web1_sshd(cli: PatrolCLI) -> None:
    config = STATE_DIR / "sshd" / "web1" / "sshd_config"
    sshd_log = config.parent / "sshd.log"
    original = config.read_text(encoding="utf-8")
    assert "PermitRootLogin yes" in original
    reloads = sshd_log.read_text(encoding="utf-8").count("Received SIGHUP")
    seen: dict[str, tuple[str, int]] = {}

    def on_device(step: str) -> None:
        seen[step] = (config.read_text(encoding="utf-8"), sshd_log.read_text(encoding="utf-8").count("Received SIGHUP"))

    results = _walkthrough(cli, "web1", SSHD_TITLE, on_device)
    assert "+PermitRootLogin prohibit-password" in results["remediate --check"].stdout
    assert seen["remediate --check"] == (original, reloads), "the preview changes nothing"
    text, hups = seen["remediate --approve --by"]
    assert "web1: applied" in results["remediate --approve --by"].stdout
    assert "PermitRootLogin prohibit-password" in text and hups == reloads + 1, "changed, sshd reloaded"
    assert "passed: finding gone" in results["remediate --approve --by"].stdout
    assert "state resolved" in results["ticket show"].stdout
    assert "web1: rolled_back" in results["rollback"].stdout
    assert seen["rollback"] == (original, reloads + 2), "the old file back, sshd reloaded again"
    [change] = [c for c in json.loads(cli("changes", "--host", "web1", "--json").stdout)]
    assert change["status"] == "rolled_back"


def test_readme_lab_block_is_the_documented_sequence() -> None:
    steps = [argv[0] for argv in readme_commands()]
    assert steps == ["tickets", "remediate", "remediate", "ticket", "changes", "rollback"]
    assert Path(ROOT / demo_run_args()[demo_run_args().index("-i") + 1]).is_dir()


def test_make_demo_ends_with_the_next_commands(cli: PatrolCLI, tmp_path: Path) -> None:
    """The Makefile's DEMO_NEXT (what `make demo` prints last) names a real ticket and report."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '@$(PY) -c "$$DEMO_NEXT" "$(PATROL)"' in makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    script = makefile.split("define DEMO_NEXT\n", 1)[1].split("\nendef", 1)[0]
    patrol = tmp_path / "patrol"
    patrol.write_text(f'#!/bin/sh\nexec {sys.executable} -m patrol "$@"\n')
    patrol.chmod(0o755)
    env = cli.env | {"PYTHONPATH": str(ROOT)}
    shown = subprocess.run([sys.executable, "-c", script, str(patrol)], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=120, check=True).stdout  # fmt: skip
    ticket = _ticket(cli, "core-sw1", NTP_TITLE)["id"]
    assert f"{patrol} remediate {ticket} --check --vault-password-file inventory/lab/vault-password.txt" in shown
    for command in ("findings", "tickets", "serve"):
        assert f"{patrol} {command}" in shown, shown
    report = Path(re.search(r"report: (\S+)", shown).group(1))  # type: ignore[union-attr]
    assert report.is_file() and report.name == "report.html"
