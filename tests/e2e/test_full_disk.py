"""A full disk, as a user meets it: a run fails cleanly, reading commands keep working.

The state folder is a real 4 MiB tmpfs (root only), filled with a file until writes fail with
ENOSPC. The inspected host is this machine (Ansible's local connection): no lab needed.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IS_ROOT, PatrolCLI

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="mounting a small tmpfs needs root")

INVENTORY = """\
all:
  hosts:
    ctl1:
      ansible_connection: local
      ansible_host: 127.0.0.1
      ansible_python_interpreter: /usr/bin/python3
      patrol_platform: linux
      patrol_device_class: host
      patrol_expected_ntp_servers: [192.0.2.1]
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write zeros until the file system refuses (ENOSPC); return the filler to free it later."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


def runs(cli: PatrolCLI) -> list[dict[str, object]]:
    result = cli("runs", "--json")
    assert result.code == 0, result.output
    return list(json.loads(result.stdout))


def test_reading_commands_work_on_a_full_disk_and_the_failed_run_is_aborted_later(
    small_disk: Path, tmp_path: Path
) -> None:
    cli = PatrolCLI(small_disk / "home")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY)
    first = cli("run", "-i", str(inventory))
    assert first.code == 0, first.output
    done = runs(cli)[0]["run_id"]

    proc = cli.popen("run", "-i", str(inventory))
    deadline = time.monotonic() + 60
    while len(runs(cli)) < 2:  # the second run is in the store: the disk fills under it
        assert time.monotonic() < deadline and proc.poll() is None, "the second run never started"
        time.sleep(0.1)
    filler = fill(small_disk)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr
    assert "database or disk is full" in stderr or "No space left on device" in stderr

    fill(small_disk)  # whatever the run's exit freed
    listed = cli("runs")
    assert listed.code == 0, listed.output
    assert str(done) in listed.stdout
    tickets = cli("tickets", "--json")
    assert tickets.code == 0, tickets.output
    assert any(t["host"] == "ctl1" for t in json.loads(tickets.stdout))
    findings = cli("findings", "--run", str(done), "--json")
    assert findings.code == 0 and json.loads(findings.stdout), findings.output
    assert cli("show", str(done)).code == 0
    failed = cli("run", "-i", str(inventory))
    assert failed.code == 3 and "disk is full" in failed.stderr, failed.output

    filler.unlink()
    statuses = [r["status"] for r in runs(cli)]
    assert statuses == ["aborted", "completed"], statuses
