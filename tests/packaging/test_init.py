"""``patrol init DIR``: a working project folder (issue 15, item 9), made again safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from patrol.paths import LAB_STATE_DIR
from tests.conftest import IS_ROOT, PatrolCLI

EXPECTED = ["README.md", "patrol.yml", "inventory/hosts.yml", "inventory/group_vars/all.yml",
            "inventory/host_vars/web1.yml", "inventory/vault-password.txt", "inspect/network.yml",
            "inspect/service.yml", "inspect/drift.yml", "inspect/noise/config.yml", "inspect/README.md"]  # fmt: skip


def test_init_writes_the_project_folder_and_refuses_to_overwrite(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    folder = tmp_path / "site"
    made = patrol_cli("init", str(folder))
    assert made.code == 0, made.output
    assert all((folder / name).is_file() for name in EXPECTED), made.output
    assert f'patrol_lab_state: "{LAB_STATE_DIR}"' in (folder / "inventory/group_vars/all.yml").read_text()
    assert (folder / "inventory/vault-password.txt").stat().st_mode & 0o077 == 0, "owner-only secret"
    written = int(made.stdout.split(": ", 1)[1].split()[0])

    again = patrol_cli("init", str(folder))
    assert again.code == 0 and f"0 file(s) written, {written} unchanged" in again.stdout, again.output

    (folder / "inspect/network.yml").write_text("profile: mine\nchecks: []\n")
    (folder / "README.md").unlink()
    refused = patrol_cli("init", str(folder))
    assert refused.code == 2 and "inspect/network.yml" in refused.stderr and "--force" in refused.stderr
    assert not (folder / "README.md").exists(), "nothing is written when a file would be overwritten"
    assert (folder / "inspect/network.yml").read_text() == "profile: mine\nchecks: []\n"

    forced = patrol_cli("init", str(folder), "--force")
    assert forced.code == 0 and "2 file(s) written" in forced.stdout, forced.output
    assert "profile:" in (folder / "inspect/network.yml").read_text() and (folder / "README.md").is_file()


def test_init_refuses_a_file_as_folder_and_a_folder_as_file(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = patrol_cli("init", str(tmp_path / "file"))
    assert result.code == 2 and "file" in result.stderr
    (tmp_path / "site" / "patrol.yml").mkdir(parents=True)
    forced = patrol_cli("init", str(tmp_path / "site"), "--force")
    assert forced.code == 2 and "patrol.yml: not a file" in forced.stderr, forced.output
    assert not (tmp_path / "site" / "README.md").exists()


@pytest.mark.usefixtures("lab")
def test_the_scaffolded_inventory_inspects_the_lab(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    folder = tmp_path / "site"
    assert patrol_cli("init", str(folder)).code == 0
    run = patrol_cli("run", "-i", str(folder / "inventory"), "-p", str(folder / "inspect"),
                     "--vault-password-file", str(folder / "inventory/vault-password.txt"))  # fmt: skip
    assert run.code == 0, run.output
    assert f"{16 if IS_ROOT else 14}/17 hosts inspected" in run.stdout, run.output
    found: list[dict[str, Any]] = json.loads(patrol_cli("findings", "--json").stdout)
    assert {f["domain"] for f in found} == {"network", "security", "host", "storage"}
    if IS_ROOT:  # the lab's sshd hosts: their files are found through patrol_lab_state
        [cert] = [f for f in found if f["host"] == "web1" and f["check_id"] == "host.certs.expiry"]
        assert cert["object"] == str(LAB_STATE_DIR / "sshd/web1/tls/web1.crt")
