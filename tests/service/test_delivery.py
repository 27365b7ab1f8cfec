"""A scheduled run's report goes to the schedule's recipients (service-file notify targets) over real SMTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.tickets.conftest import running_smtp

pytestmark = pytest.mark.usefixtures("lab")


def test_report_is_mailed_to_the_recipients_and_unknown_ones_are_reported(
    patrol_cli: PatrolCLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_smtp() as smtp:
        service = tmp_path / "service.yml"
        service.write_text(f"notify:\n  - {{name: noc-mail, type: smtp, host: 127.0.0.1, port: {smtp.port}, "
                           "sender: patrol@example.net, to: [noc@example.net], events: [breach]}\n")  # fmt: skip
        monkeypatch.setenv("PATROL_SERVICE", str(service))
        lab = ("-i", str(LAB_INVENTORY), "--vault-password-file", str(LAB_VAULT), "--limit", "core-sw2")
        assert patrol_cli("schedule", "add", "mail", "--cron", "0 2 * * *", "--recipient", "noc-mail", *lab).code == 0
        assert patrol_cli("schedule", "add", "lost", "--cron", "0 2 * * *", "--recipient", "nobody", *lab).code == 0
        done = patrol_cli("schedule", "run-now", "mail")
        assert done.code == 0, done.output
        subjects = [str(m["Subject"]).strip() for m in smtp.messages]
        assert len(subjects) == 1 and subjects[0].startswith("[patrol] report mail: run ")
        assert "report.html" in smtp.messages[0].get_content()
        assert patrol_cli("schedule", "run-now", "lost").code == 0  # the run counts; the delivery problem is shown
        rows = {s["name"]: s for s in json.loads(patrol_cli("schedule", "list", "--json").stdout)}
        assert rows["mail"]["last_error"] is None
        assert "['nobody'] are not targets" in rows["lost"]["last_error"]
        assert len(smtp.messages) == 1
