"""Redaction at the boundaries: known inventory secrets, every string of a host result, log records,
ansible-runner folders."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from patrol.ansible_files import keep_redacted
from patrol.inventory import load_inventory
from patrol.models import Certificate, Facts, HostResult, Interface, Resource, Snapshot
from patrol.sanitize import (
    RedactingFilter,
    register_secrets,
    scrub_result,
    scrub_text,
    scrub_value,
    secret_from_env,
)


def canary() -> str:
    return "CNRY" + secrets.token_hex(6)


def test_known_secrets_are_masked_anywhere_in_text_and_in_their_json_form() -> None:
    value = canary() + '"q'
    register_secrets([value, "abc", None])
    assert scrub_text(f"login failed for {value} at 02:00") == "login failed for <redacted> at 02:00"
    assert value not in scrub_text(json.dumps({"cmd": f"-e pw={value}"}))
    assert scrub_text("abc is too short to be a secret") == "abc is too short to be a secret"


def test_a_secret_read_from_the_environment_is_known_from_then_on(monkeypatch: pytest.MonkeyPatch) -> None:
    token = canary()
    monkeypatch.setenv("PATROL_TEST_HOOK_TOKEN", token)
    assert secret_from_env("PATROL_TEST_HOOK_TOKEN") == token and secret_from_env(None) == ""
    assert scrub_text(f"HTTP 401: header Bearer {token} refused") == "HTTP 401: header Bearer <redacted> refused"


def test_a_mapping_entry_is_judged_as_the_line_key_value() -> None:
    secret = canary()
    data = {"password": secret, "passwordauthentication": "no", "mtu": 1500, "lines": [f"enable secret 0 {secret}"]}
    assert scrub_value(data) == {
        "password": "<redacted>", "passwordauthentication": "no", "mtu": 1500, "lines": ["enable secret 0 <redacted>"],
    }  # fmt: skip
    clean = {"a": ["b", ("c", 1)], "d": None}
    assert scrub_value(clean) is clean, "an untouched value is not copied"


def test_every_string_of_a_host_result_is_scrubbed() -> None:
    c = {name: canary() for name in ("facts", "iface", "res", "sec", "cert", "config", "raw", "extra", "error")}
    snapshot = Snapshot(
        host="sw1", device_class="network", platform="cisco_ios",
        facts=Facts(hostname="sw1", model=f"password {c['facts']}"),
        interfaces=[Interface(name="Gi1", description=f"password {c['iface']}")],
        resources=[Resource(kind="filesystem", name=f"secret {c['res']}", capacity=10, used=5)],
        security={"ntp_servers": ["192.0.2.1"], "note": {"community": c["sec"]}},
        certificates=[Certificate(path="/x.pem", error=f"key {c['cert']} rejected")],
        config=f"hostname sw1\nsnmp-server community {c['config']} RO\n",
        raw={"show run": f"username a password 0 {c['raw']}"},
        extra={"napalm": {"get_interfaces": {"Gi1": {"description": f"password {c['extra']}"}}}},
    )  # fmt: skip
    result = HostResult(host="sw1", status="ok", collector="netmiko", snapshot=snapshot, error=f"token={c['error']}")
    scrubbed = scrub_result(result, key=b"k" * 32)
    dumped = scrubbed.model_dump_json()
    assert not [name for name, value in c.items() if value in dumped], dumped
    assert scrubbed.snapshot is not None and scrubbed.snapshot.resources[0].used_percent == 50.0
    assert "<redacted:hmac=" in (scrubbed.snapshot.config or "") and scrubbed.error == "token=<redacted>"


def test_the_log_filter_scrubs_message_arguments_and_traceback(tmp_path: Path) -> None:
    secret = canary()
    logger = logging.getLogger("patrol.test_sanitize")
    handler = logging.FileHandler(tmp_path / "log", encoding="utf-8")
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("device said %s", f"enable secret 0 {secret}")
        try:
            raise ValueError(f"bad password {secret}")
        except ValueError:
            logger.exception("collector failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = (tmp_path / "log").read_text()
    assert "enable secret 0 <redacted>" in text and "ValueError: bad password <redacted>" in text
    assert secret not in text


def test_loading_an_inventory_makes_its_vaulted_credentials_known_secrets(tmp_path: Path) -> None:
    password, community, vault_password = canary(), canary(), canary()
    vault = VaultLib([("default", VaultSecret(vault_password.encode()))])

    def vaulted(value: str) -> str:
        return "!vault |\n" + "\n".join("        " + line for line in vault.encrypt(value).decode().splitlines())

    (tmp_path / "vault.txt").write_text(vault_password + "\n")
    (tmp_path / "hosts.yml").write_text(f"""all:
  hosts:
    sw1:
      ansible_host: 127.0.0.1
      ansible_user: patrol
      patrol_platform: cisco_ios
      patrol_passwd_file: /etc/passwd
      ansible_password: {vaulted(password)}
      patrol_snmp_community: {vaulted(community)}
""")  # fmt: skip
    load_inventory([str(tmp_path / "hosts.yml")], vault_password_file=str(tmp_path / "vault.txt"))
    text = f"ssh patrol:{password}@sw1 community {community} vault {vault_password} file /etc/passwd"
    assert scrub_text(text) == "ssh patrol:<redacted>@sw1 community <redacted> vault <redacted> file /etc/passwd"


def test_an_ansible_runner_folder_keeps_only_a_redacted_stdout(tmp_path: Path) -> None:
    secret = canary()
    register_secrets([secret])
    artifact = tmp_path / "artifacts" / "run-1"
    (artifact / "job_events").mkdir(parents=True)
    (artifact / "job_events" / "1-x.json").write_text(json.dumps({"res": {"diff": {"before": secret}}}))
    (artifact / "command").write_text(json.dumps({"command": ["ansible-playbook", "-e", secret]}))
    (artifact / "stdout").write_text(f"--- before\n-password {secret}\n+x {secret}\n")
    (artifact / "status").write_text("successful")
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "extravars").write_text(secret)
    keep_redacted(tmp_path)
    kept = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert kept == ["artifacts/run-1/status", "artifacts/run-1/stdout"]
    assert (artifact / "stdout").read_text() == "--- before\n-password <redacted>\n+x <redacted>\n"
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o700"


def test_an_unhandled_exception_of_the_command_is_printed_scrubbed(tmp_path: Path) -> None:
    import subprocess
    import sys

    secret = canary()
    code = (
        "import logging, pathlib\n"
        "from patrol.config import Settings\n"
        "from patrol.cli.logs import setup_logging\n"
        f"setup_logging(Settings(log_file=pathlib.Path({str(tmp_path / 'x.log')!r}), log_level='DEBUG'))\n"
        f"logging.getLogger('patrol.x').debug('seen %s', 'enable secret 0 {secret}')\n"
        f"raise RuntimeError('device refused: password {secret}')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1 and "RuntimeError: device refused: password <redacted>" in proc.stderr, proc.stderr
    log = (tmp_path / "x.log").read_text()
    assert "seen enable secret 0 <redacted>" in log and secret not in proc.stderr + log
    assert oct((tmp_path / "x.log").stat().st_mode & 0o777) == "0o600"
