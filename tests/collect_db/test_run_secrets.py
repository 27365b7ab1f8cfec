"""`patrol run` on an inventory of real database and Redis targets with vault-encrypted logins:
the seeded faults are found, a refused login and a down server are per-target statuses, and no
password (the right ones or the wrong one) appears in any file of the state folder (store,
snapshots, reports, metric history, the debug log) or in the command's output."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ansible.parsing.vault import VaultLib, VaultSecret

from patrol.lab.db_servers import Server, psql
from tests.collect_db.conftest import PASSWORD
from tests.conftest import ROOT, PatrolCLI
from tests.security.scan import leaks, texts_under

WRONG = "Canary-Wrong-5b81c2"
VAULT = "Canary-Vault-99d0e1"


def _vaulted(vault: VaultLib, value: str) -> str:
    return "!vault |\n" + "\n".join("          " + line for line in vault.encrypt(value).decode().splitlines())


def test_run_finds_faults_and_keeps_no_password(
    pg_pair: tuple[Server, Server], redis_server: Server, closed_port: int, tmp_path: Path
) -> None:
    vault = VaultLib([("default", VaultSecret(VAULT.encode()))])
    (tmp_path / "vault.txt").write_text(VAULT + "\n")
    inventory = tmp_path / "inventory"
    (inventory / "host_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(f"""all:
  vars: {{ansible_host: 127.0.0.1, patrol_connect_timeout: 3, patrol_db_user: patrol_ro}}
  children:
    databases:
      hosts:
        pg-main: {{patrol_platform: postgresql, patrol_db_port: {pg_pair[0].port}, patrol_expect_replicas: 2}}
        pg-standby: {{patrol_platform: postgresql, patrol_db_port: {pg_pair[1].port}}}
        pg-badlogin: {{patrol_platform: postgresql, patrol_db_port: {pg_pair[0].port}}}
        pg-down: {{patrol_platform: postgresql, patrol_db_port: {closed_port}}}
    middleware:
      hosts:
        cache: {{patrol_platform: redis, patrol_db_port: {redis_server.port}, patrol_db_user: null}}
""")  # fmt: skip
    for host, secret in (("pg-main", PASSWORD), ("pg-standby", PASSWORD), ("pg-badlogin", WRONG),
                         ("pg-down", PASSWORD), ("cache", PASSWORD)):  # fmt: skip
        (inventory / "host_vars" / f"{host}.yml").write_text(f"patrol_db_password: {_vaulted(vault, secret)}\n")
    home = tmp_path / "home"
    run_env = PatrolCLI(home).env | {"PATROL_LOG_FILE": str(home / "logs" / "patrol.log"), "PATROL_LOG_LEVEL": "debug"}
    result = _run(run_env, ["run", "-i", str(inventory), "--vault-password-file", str(tmp_path / "vault.txt")])
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "3/5 hosts inspected" in result.stdout, result.stdout
    found = json.loads(_run(run_env, ["findings", "--json"]).stdout)
    by_host = {(f["host"], f["check_id"]) for f in found}
    assert {("pg-main", "db.replica.missing"), ("pg-main", "db.backup.recent"),
            ("pg-badlogin", "coverage.not_inspected"), ("pg-down", "coverage.not_inspected")} <= by_host  # fmt: skip
    gaps = {f["host"]: f["message"] for f in found if f["check_id"] == "coverage.not_inspected"}
    assert "auth_failed" in gaps["pg-badlogin"] and "unreachable" in gaps["pg-down"]
    texts = [*texts_under(home), ("run output", result.stdout + result.stderr)]
    assert (home / "logs" / "patrol.log").stat().st_size > 0
    found_leaks = leaks(texts, {"db password": PASSWORD, "wrong password": WRONG, "vault password": VAULT})
    assert not found_leaks, "\n".join(found_leaks[:20])


def _run(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    """``patrol ARGS`` in a new interpreter with ``env`` (the debug log file is per process)."""
    return subprocess.run([sys.executable, "-m", "patrol", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def test_a_changed_setting_is_drift_from_the_approved_baseline(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    vault = VaultLib([("default", VaultSecret(VAULT.encode()))])
    (tmp_path / "vault.txt").write_text(VAULT + "\n")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(f"""all:
  hosts:
    pg-main:
      ansible_host: 127.0.0.1
      patrol_platform: postgresql
      patrol_db_port: {pg_pair[0].port}
      patrol_db_user: patrol_ro
      patrol_db_password: {_vaulted(vault, PASSWORD)}
""")  # fmt: skip
    env = PatrolCLI(tmp_path / "home").env
    run = ["run", "-i", str(inventory), "--vault-password-file", str(tmp_path / "vault.txt")]
    assert _run(env, run).returncode in (0, 1)
    approved = _run(env, ["baseline", "approve", "pg-main", "--reason", "CHG-1 reviewed settings"])
    assert approved.returncode == 0, approved.stdout + approved.stderr
    psql(pg_pair[0], "ALTER SYSTEM SET work_mem = '8MB'")
    psql(pg_pair[0], "SELECT pg_reload_conf()")
    try:
        time.sleep(0.5)
        assert _run(env, run).returncode in (0, 1)
        drift = _run(env, ["drift", "--json"])
    finally:
        psql(pg_pair[0], "ALTER SYSTEM RESET work_mem")
        psql(pg_pair[0], "SELECT pg_reload_conf()")
    assert drift.returncode in (0, 1), drift.stdout + drift.stderr
    items = json.loads(drift.stdout)["findings"]
    text = json.dumps(items)
    assert items and all(i["host"] == "pg-main" for i in items)
    assert "work_mem = 4MB" in text and "work_mem = 8MB" in text, text
