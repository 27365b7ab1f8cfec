"""A file that holds a secret is changed, backed up without the secret, and still rolled back:
the backup keeps the change's own line edits (they hold none), the change log and the store
never see the secret, and the rollback gives back the file byte for byte."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3

from patrol.remediate.edits import file_edits

from ..conftest import PatrolCLI
from .conftest import HostLab


def test_line_edits_invert_a_change_or_refuse() -> None:
    before = "a\nPermitRootLogin yes\n# enable secret 0 S3cr3tValue\nb\n"
    after = "a\nPermitRootLogin no\n# enable secret 0 S3cr3tValue\nb\nX11Forwarding no\n"
    assert file_edits(before, after) == [
        {"line": "PermitRootLogin no", "restore": "PermitRootLogin yes"}, {"line": "X11Forwarding no", "restore": None},
    ]  # fmt: skip
    assert file_edits(before, "a\nb\n") is None, "deleted lines cannot be put back from edits"
    assert file_edits(before, before.replace("S3cr3tValue", "Other1Value")) is None, "a changed secret line"
    assert file_edits("x\n", "y\ny\n") is None, "a written line that is not unique"


def test_a_file_holding_a_secret_is_changed_and_rolled_back(host_lab: HostLab, patrol_cli: PatrolCLI) -> None:
    config = host_lab.sshd_config("web1")
    original = config.read_text()
    secret = "CNRY" + secrets.token_hex(6)
    seeded = re.sub(r"(?m)^PermitRootLogin .*$", "PermitRootLogin yes", original) + f"# enable secret 0 {secret}\n"
    config.write_text(seeded)
    try:
        run = patrol_cli("run", "-i", str(host_lab.inventory), "-p", "inspect/host.yml")
        assert run.code == 0, run.output
        found = json.loads(patrol_cli("findings", "--json", "--host", "web1").stdout)
        [finding] = [f for f in found if f["check_id"] == "host.sshd.no_root_login"]
        assert patrol_cli("remediate", finding["fingerprint"], "--check").code == 0
        applied = patrol_cli("remediate", finding["fingerprint"], "--approve", "--by", "alice")
        assert applied.code == 0 and "web1: applied" in applied.stdout, applied.output
        assert config.read_text() == seeded.replace("PermitRootLogin yes", "PermitRootLogin prohibit-password")

        [entry] = json.loads(patrol_cli("changes", "--json", "--host", "web1").stdout)
        [backup] = entry["host_results"][0]["backup"]
        assert backup["kind"] == "file_edits" and backup["restorable"] is True, backup
        assert backup["edits"] == [{"line": "PermitRootLogin prohibit-password", "restore": "PermitRootLogin yes"}]
        assert "# enable secret 0 <redacted>" in backup["content"], "shown redacted"

        back = patrol_cli("rollback", entry["id"], "--by", "carol")
        assert back.code == 0, back.output
        assert config.read_text() == seeded, "the file is back byte for byte, its secret untouched"
        con = sqlite3.connect(patrol_cli.home / "patrol.db")
        dump = "\n".join(con.iterdump())
        con.close()
        assert secret not in dump and all(secret not in p.read_text(errors="replace")
                                          for p in patrol_cli.home.rglob("*") if p.is_file())  # fmt: skip
    finally:
        config.write_text(original)
