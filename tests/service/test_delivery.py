"""A scheduled run's report goes to the schedule's recipients (service-file notify targets) over real SMTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patrol.models import RunStatus, RunSummary, utcnow
from patrol.service.deliveries import queue_report
from patrol.service.errors import ScheduleError
from patrol.service.schedules import ReportDelivery, Schedule
from patrol.store import Store
from patrol.tickets import ServiceContract
from patrol.tickets.contract import NotifyTarget
from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.tickets.conftest import running_http, running_smtp


@pytest.mark.usefixtures("lab")
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
        refused = patrol_cli("schedule", "add", "lost", "--cron", "0 2 * * *", "--recipient", "nobody", *lab)
        assert refused.code == 2 and "nobody" in refused.output and "noc-mail" in refused.output
        done = patrol_cli("schedule", "run-now", "mail")
        assert done.code == 0, done.output
        subjects = [str(m["Subject"]).strip() for m in smtp.messages]
        assert len(subjects) == 1 and subjects[0].startswith("[patrol] report mail: run ")
        assert "report.html" in smtp.messages[0].get_body().get_content()
        (attachment,) = smtp.messages[0].iter_attachments()
        name = attachment.get_filename()
        assert name.startswith("report-mail-") and name.endswith(".html")
        run_id = name.removeprefix("report-mail-").removesuffix(".html")
        written = patrol_cli.home / "runs" / run_id / "report.html"
        assert attachment.get_content_type() == "text/html"
        assert attachment.get_payload(decode=True) == written.read_bytes()
        rows = {s["name"]: s for s in json.loads(patrol_cli("schedule", "list", "--json").stdout)}
        assert rows["mail"]["last_error"] is None and "lost" not in rows
        assert len(smtp.messages) == 1


def _summary() -> RunSummary:
    return RunSummary(run_id="20261126-020003-9f3a", status=RunStatus.COMPLETED, started_at=utcnow(), hosts_total=2,
                      hosts_inspected=2, findings_by_severity={"critical": 1})  # fmt: skip


def test_webhook_recipients_get_the_file_name_and_size_and_renamed_targets_are_errors(tmp_path: Path) -> None:
    report = tmp_path / "runs" / "r1" / "report.xlsx"
    report.parent.mkdir(parents=True)
    report.write_bytes(b"PK\x03\x04" + b"x" * 500)
    schedule = Schedule("daily", "0 2 * * *", ("inventory/lab",), report=ReportDelivery("xlsx", "en", ("hook",)))
    with Store.open(f"sqlite:///{tmp_path / 'patrol.db'}") as store, running_http() as peer:
        hook = NotifyTarget.model_validate({"name": "hook", "type": "webhook", "url": f"{peer.url}/hook"})
        assert queue_report(store, ServiceContract(notify=(hook,)), schedule, _summary(), report) == 1
        (body,) = peer.posts("/hook")
        renamed = ServiceContract(notify=(hook.model_copy(update={"name": "ops-hook"}),))
        with pytest.raises(ScheduleError, match=r"\['hook'\] are not targets .*known: \['ops-hook'\]"):
            queue_report(store, renamed, schedule, _summary(), report)
    assert body["event"] == "report" and body["run_id"] == "20261126-020003-9f3a"
    (described,) = body["attachments"]  # the name and size, never the file
    assert described["filename"] == "report-daily-20261126-020003-9f3a.xlsx" and described["size"] == 504
    assert described["content_type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
