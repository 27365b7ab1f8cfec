"""The canary sweep of issue 14: secrets seeded everywhere a customer keeps them never come out.

Unique canaries (``CNRY<hex>``) are seeded as secret values in each kind of peer patrol collects:
two FakeNOS IOS devices (running-config secrets, an interface description, napalm's getters on
one), a Linux host collected by Ansible (its sshd_config, read by the module; the same file is
the one the remediation previews), an SNMP agent (its community and sysDescr), and as the
inventory's own credentials: the vault-encrypted login password, enable secret, SNMP community,
a Linux become password, and the vault password itself. Then, as a user: a run with debug
logging to a file and a webhook target, a baseline, a changed secret and a second run (drift),
tickets (show, comment, export), remediation previews (network and host), every report format
of the run and the month (xlsx and docx unzipped), the metric history (Parquet read back),
`patrol show` / `drift` / `diff` / `changes`, and what `patrol serve` answers (/metrics, the API's
snapshots, findings, tickets and reports, the dashboard pages). Every CLI output, every webhook
body, every served body and every file under the patrol home (store bytes and SQL dump, run
artifacts, ansible-runner folders, previews, reports, the log) is searched: no canary anywhere.
Positive controls make sure the canaries really were on the peers, that the places they were in
are shown masked (and the changed secret as drift), and that the debug log really held netmiko's
debug lines (every configuration it read). The fleet is the smallest one with every collector
kind (netmiko with and without napalm, Ansible, SNMP), so the sweep takes about a minute.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from patrol.lab.fakenos_lab import DATA_DIR as FAKENOS_DATA
from patrol.lab.fakenos_lab import device_commands
from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.lab.snmp_lab import DATA_DIR as SNMP_DATA
from patrol.lab.snmp_lab import SnmpLab
from patrol.service.tokens import add_token
from patrol.store import Store
from tests.collect_snmp.conftest import free_udp_port
from tests.conftest import PatrolCLI, Result, free_ports
from tests.security.scan import leaks, texts_of_bytes, texts_of_file, texts_under
from tests.service.conftest import start_server
from tests.tickets.conftest import HttpPeer, running_http, write_service

PLACES = (
    "net_password", "net_enable", "snmp_community", "vault_password", "host_become",  # inventory / vault
    "cfg_enable", "cfg_user", "cfg_community", "cfg_tacacs", "cfg_desc", "show_desc", "napalm_desc",
    "drift_enable", "sshd_setting", "sshd_comment", "snmp_descr", "desk_note",
    "env_token",  # an environment variable the webhook target's header names (every child process inherits it)
)  # fmt: skip
CANARIES = {place: f"CNRY{secrets.token_hex(6)}" for place in PLACES}
C = CANARIES
USER = "patrol"


def _running_config(name: str, enable: str) -> str:
    text = (FAKENOS_DATA / name / "show_running-config.txt").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^enable secret .*$", f"enable secret 0 {enable}", text)
    text = re.sub(r"(?m)^ description (spare|<script>.*)$", f" description password {C['cfg_desc']}", text)
    extra = (f"username admin privilege 15 password 0 {C['cfg_user']}\nsnmp-server community {C['cfg_community']} RO\n"
             f"tacacs-server key 7 {C['cfg_tacacs']}\nntp server 192.0.2.99\n")  # fmt: skip
    return text.replace("\nend", f"\n{extra}end")


def _commands(name: str, enable: str, description: str) -> dict[str, dict[str, Any]]:
    interfaces = (FAKENOS_DATA / name / "show_interfaces.txt").read_text(encoding="utf-8")
    seeded = f"  Description: password {description}"
    interfaces = re.sub(r"(?m)^  Description: (spare|<script>.*)$", seeded, interfaces)
    return device_commands(name, "cisco_ios") | {
        "show running-config": {"output": _running_config(name, enable), "prompt": ["{base_prompt}#"]},
        "show interfaces": {"output": interfaces},
        # `enable` asks for the enable secret (the inventory's canary), as a real device does
        "enable": {"output": "", "new_prompt": "Password: ", "prompt": ["{base_prompt}>"], "help": "enable"},
        C["net_enable"]: {"output": "", "new_prompt": "{base_prompt}#", "prompt": ["Password: "], "help": "secret"},
    }


def _vaulted(vault: VaultLib, value: str, indent: int) -> str:
    pad = " " * indent
    return "!vault |\n" + "\n".join(pad + line for line in vault.encrypt(value).decode().splitlines())


def _sshd_config(folder: Path) -> Path:
    path = folder / "sshd_config"
    path.write_text(f"PermitRootLogin yes\nPasswordAuthentication no\nPassword {C['sshd_setting']}\n"
                    f"# enable secret 0 {C['sshd_comment']}\nX11Forwarding no\n")  # fmt: skip
    (folder / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    return path


def _snmp_data(folder: Path) -> Path:
    data = folder / "snmp-data"
    data.mkdir()
    text = (SNMP_DATA / "nas1-ro-Lab7.snmprec").read_text(encoding="utf-8")
    text = text.replace("|NetApp Release 9.13.1P4: ", f"|NetApp Release 9.13.1P4 password {C['snmp_descr']}: ", 1)
    (data / f"{C['snmp_community']}.snmprec").write_text(text.replace("|nas1\n", "|nas9\n"), encoding="utf-8")
    return data


def _inventory(folder: Path, ports: dict[str, int], vault: VaultLib) -> Path:
    path = folder / "hosts.yml"
    path.write_text(f"""all:
  children:
    network:
      vars:
        ansible_host: 127.0.0.1
        ansible_user: {USER}
        ansible_password: {_vaulted(vault, C['net_password'], 10)}
        ansible_become_password: {_vaulted(vault, C['net_enable'], 10)}
        patrol_platform: cisco_ios
        patrol_device_class: network
        patrol_expected_ntp_servers: [192.0.2.123, 192.0.2.124]
        patrol_connect_timeout: 5
        patrol_command_timeout: 20
      hosts:
        core-sw1: {{ansible_port: {ports['core-sw1']}}}
        core-sw2: {{ansible_port: {ports['core-sw2']}, patrol_napalm: true}}
    storage:
      hosts:
        nas9:
          ansible_host: 127.0.0.1
          ansible_port: {ports['nas9']}
          patrol_platform: snmp
          patrol_device_class: storage
          patrol_snmp_version: 2c
          patrol_snmp_community: {_vaulted(vault, C['snmp_community'], 12)}
    linux:
      hosts:
        ctl9:
          ansible_connection: local
          ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
          patrol_platform: linux
          patrol_device_class: host
          patrol_sshd_config: {folder / 'sshd_config'}
          patrol_passwd_file: {folder / 'passwd'}
          patrol_sshd_pidfile: {folder / 'sshd.pid'}
          ansible_become_password: {_vaulted(vault, C['host_become'], 12)}
""", encoding="utf-8")  # fmt: skip
    return path


@dataclass
class SweepCLI(PatrolCLI):
    """The patrol command with the sweep's environment: vault file, debug log file, service file."""

    extra: dict[str, str] = field(default_factory=dict)
    outputs: list[tuple[str, Result]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return super().env | self.extra

    def ok(self, *args: str, timeout: float = 300) -> Result:
        result = self(*args, timeout=timeout)
        self.outputs.append((" ".join(args), result))
        assert result.code in (0, 1), f"patrol {' '.join(args)} -> {result.code}\n{result.output}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args).stdout)


@dataclass
class Sweep:
    cli: SweepCLI
    fleet: Fleet
    folder: Path
    http: HttpPeer
    shown: dict[str, Any]
    previews: dict[str, str]
    reports: list[Path]
    served: dict[str, bytes]


def _ticket_for(cli: SweepCLI, host: str, check_id: str) -> dict[str, Any]:
    found = [t for t in cli.json("tickets", "--state", "all", "--json") if t["host"] == host]
    [ticket] = [t for t in found if check_id in json.dumps(t)]
    return dict(ticket)


def _scenario(cli: SweepCLI, fleet: Fleet, inventory: Path) -> tuple[dict[str, Any], dict[str, str], list[Path]]:
    first = cli.ok("run", "-i", str(inventory))
    assert "4/4 hosts inspected" in first.stdout, first.output
    cli.ok("baseline", "approve", "--all", "--reason", "canary sweep")
    fleet.update_commands("core-sw1", _commands("core-sw1", C["drift_enable"], C["show_desc"]))
    cli.ok("run", "-i", str(inventory))
    shown = {host: cli.json("show", "latest", host, "--json") for host in ("core-sw1", "core-sw2", "nas9", "ctl9")}
    cli.ok("drift", "--json")
    cli.ok("drift")
    cli.ok("diff", "core-sw1", "--from", "baseline", "--format", "json")
    cli.ok("diff", "core-sw1", "--from", "baseline", "--format", "html")
    previews = {}
    for host, check in (("core-sw1", "net.ntp.servers"), ("ctl9", "host.sshd.no_root_login")):
        ticket = _ticket_for(cli, host, check)
        previews[host] = cli.ok("remediate", str(ticket["id"]), "--check").stdout
    ticket_id = str(_ticket_for(cli, "core-sw1", "net.ntp.servers")["id"])
    cli.ok("ticket", "comment", ticket_id, f"vendor asked for it: enable secret 0 {C['desk_note']}")
    cli.ok("ticket", "show", ticket_id)
    cli.ok("ticket", "export", ticket_id, "--format", "md")
    cli.ok("changes", "--json")
    cli.ok("findings", "--json")
    cli.ok("notifications")
    cli.ok("trends", "--format", "json")
    cli.ok("forecast", "--json")
    cli.ok("propose", "--format", "docx", "-o", str(cli.home / "out" / "proposals.docx"))
    reports = []
    out = cli.home / "out"
    for fmt in ("html", "md", "json", "junit", "xlsx"):
        reports.append(out / f"run.{fmt}")
        cli.ok("report", "latest", "--format", fmt, "-o", str(reports[-1]))
    month = datetime.now(UTC).strftime("%Y-%m")
    for fmt in ("html", "md", "xlsx", "docx"):
        reports.append(out / f"month.{fmt}")
        cli.ok("report", "--period", month, "--format", fmt, "-o", str(reports[-1]))
    return shown, previews, reports


def _served(cli: SweepCLI) -> dict[str, bytes]:
    """What `patrol serve` answers for the sweep's home: /metrics, the API, the dashboard, its log."""
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        token = add_token(store, "sweep", "viewer")
    server = start_server(cli, "--tick", "60")
    try:
        run = cli.json("runs", "--json")[0]["run_id"]
        month = datetime.now(UTC).strftime("%Y-%m")
        paths = ["/metrics", f"/api/v1/runs/{run}/findings", "/api/v1/tickets", "/api/v1/hosts"]
        paths += ["/ui/fleet", "/ui/tickets", "/ui/hosts/core-sw1", "/ui/hosts/ctl9"]
        paths += [f"/api/v1/runs/{run}/hosts/{host}/snapshot" for host in ("core-sw1", "core-sw2", "nas9", "ctl9")]
        paths += [f"/api/v1/runs/{run}/report?format={fmt}" for fmt in ("html", "xlsx", "junit")]
        paths += [f"/api/v1/reports/period/{month}?format=xlsx", "/api/v1/hosts/core-sw1/baselines"]
        login = httpx.post(server.url + "/ui/login", data={"token": token}, timeout=30)
        session = login.cookies["patrol_session"]  # the dashboard's server-side session
        served = {}
        for path in paths:
            answer = server.call("GET", path, token, cookies={"patrol_session": session})
            assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text[:300]}"
            served[path] = answer.content
    finally:
        server.stop()
    served["serve log"] = server.log.read_bytes()
    return served


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    folder = tmp_path_factory.mktemp("canary-sweep")
    vault = VaultLib([("default", VaultSecret(C["vault_password"].encode()))])
    (folder / "vault.txt").write_text(C["vault_password"] + "\n")
    _sshd_config(folder)
    tcp = free_ports(2)
    ports = {"core-sw1": tcp[0], "core-sw2": tcp[1], "nas9": free_udp_port()}
    descriptions = {"core-sw1": C["show_desc"], "core-sw2": C["napalm_desc"]}
    devices = [FleetDevice(name, "cisco_ios", ports[name], USER, C["net_password"],
                           commands=_commands(name, C["cfg_enable"], descriptions[name]))
               for name in ("core-sw1", "core-sw2")]  # fmt: skip
    fleet = start_fleet(devices)
    snmp = SnmpLab(agents={"nas9": (ports["nas9"], C["snmp_community"])}, data_dir=_snmp_data(folder))
    try:
        snmp.start(folder / "snmp-state")
        with running_http() as http:
            service = write_service(folder / "service.yml", notify=[{
                "name": "hook", "type": "webhook", "url": f"{http.url}/hook",
                "headers": {"Authorization": "env:PATROL_SWEEP_TOKEN"}}])  # fmt: skip
            home = folder / "home"
            cli = SweepCLI(home, extra={
                "PATROL_VAULT_PASSWORD_FILE": str(folder / "vault.txt"), "PATROL_SERVICE": str(service),
                "PATROL_LOG_FILE": str(home / "logs" / "patrol.log"), "PATROL_LOG_LEVEL": "debug",
                "PATROL_SWEEP_TOKEN": C["env_token"],
            })  # fmt: skip
            shown, previews, reports = _scenario(cli, fleet, _inventory(folder, ports, vault))
            yield Sweep(cli, fleet, folder, http, shown, previews, reports, _served(cli))
    finally:
        snmp.stop()
        fleet.stop()


def test_the_canaries_really_were_on_the_peers(sweep: Sweep) -> None:
    """Control: the secrets were there to leak (the device config, the host file, the agent)."""
    for device in sweep.fleet.devices:
        config = str(device.commands["show running-config"]["output"])
        assert all(C[p] in config for p in ("cfg_enable", "cfg_user", "cfg_community", "cfg_tacacs", "cfg_desc"))
        described = C["napalm_desc" if device.name == "core-sw2" else "show_desc"]
        assert described in str(device.commands["show interfaces"])
    assert C["sshd_setting"] in (sweep.folder / "sshd_config").read_text()
    assert (sweep.folder / "snmp-data" / f"{C['snmp_community']}.snmprec").is_file()


def test_where_the_secrets_were_the_stored_snapshot_shows_masks(sweep: Sweep) -> None:
    """Control: the secret-bearing fields were collected, and hold markers instead of values."""
    sw1, sw2, nas, host = (json.dumps(sweep.shown[h]) for h in ("core-sw1", "core-sw2", "nas9", "ctl9"))
    assert "enable secret 0 <redacted:hmac=" in sw1 and "snmp-server community <redacted:hmac=" in sw1
    assert "password <redacted:hmac=" in sw1, "the interface description (parsed) is masked"
    assert '"napalm"' in sw2 and sw2.count("password <redacted") >= 2, "napalm's interface descriptions too"
    assert "NetApp Release 9.13.1P4 password <redacted" in nas
    drift = next(result.stdout for args, result in sweep.cli.outputs if args == "drift --json")
    assert "drift.config.secret" in drift, "the changed enable secret shows as drift, its value masked"
    assert '"password": "<redacted' in host, "the sshd setting (parsed by the module) is masked"


def test_previews_show_the_diff_with_secret_lines_masked(sweep: Sweep) -> None:
    host = sweep.previews["ctl9"]
    assert "-PermitRootLogin yes" in host and "+PermitRootLogin prohibit-password" in host, host
    assert "Password <redacted>" in host and "enable secret 0 <redacted>" in host, "the context lines are masked"
    net = sweep.previews["core-sw1"]
    assert "-ntp server 192.0.2.99" in net and "+ntp server 192.0.2.123" in net, net


def test_artifacts_keep_only_a_redacted_account_of_ansible_runs(sweep: Sweep) -> None:
    home = sweep.cli.home
    private = [p for p in home.rglob("artifacts") if p.is_dir()]
    assert private, "ansible-runner ran (collection and previews)"
    kept = {p.name for folder in private for p in folder.rglob("*") if p.is_file()}
    assert kept <= {"stdout", "stderr", "status", "rc"} and "stdout" in kept, kept
    assert not [p for p in home.rglob("*") if p.name in ("job_events", "command", "env", "extravars", "cmdline")]
    stdouts = "".join(p.read_text() for folder in private for p in folder.rglob("stdout"))
    assert "PermitRootLogin" in stdouts and "<redacted>" in stdouts, "the preview's diff is kept, masked"


def test_debug_log_saw_the_secret_carrying_lines_masked(sweep: Sweep) -> None:
    log = (sweep.cli.home / "logs" / "patrol.log").read_text()
    assert "write_channel: b'enable" in log, "netmiko's debug lines (every config it reads) reached the log"
    assert "<redacted" in log
    assert oct((sweep.cli.home / "logs" / "patrol.log").stat().st_mode & 0o777) == "0o600"


def test_no_canary_anywhere(sweep: Sweep) -> None:
    home = sweep.cli.home
    snapshot_path = next(p for p in sweep.served if p.endswith("/core-sw1/snapshot"))
    assert (home / "patrol.db").is_file() and any(home.rglob("*.parquet")), "store and metric history written"
    assert all(path.is_file() and path.stat().st_size for path in sweep.reports)
    assert sweep.http.posts("/hook"), "notifications were sent"
    texts: list[tuple[str, str]] = list(texts_under(home))
    texts += [(f"`patrol {args}` output", result.output) for args, result in sweep.cli.outputs]
    texts += [("webhook requests", json.dumps(sweep.http.requests, default=str))]
    assert b"patrol_" in sweep.served["/metrics"] and b"password <redacted" in sweep.served[snapshot_path]
    for path, body in sweep.served.items():
        texts += [(f"`patrol serve` {path}", text) for _, text in texts_of_bytes(path, body)]
    found = leaks(texts, CANARIES)
    assert not found, "canaries leaked:\n" + "\n".join(found[:40])


def test_the_scanner_finds_canaries_inside_containers(tmp_path: Path) -> None:
    """Control for the sweep itself: zip members, Parquet tables, gzip and SQLite are opened."""
    import gzip
    import sqlite3
    import zipfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    canary = {"c": "CNRY" + secrets.token_hex(6)}
    with zipfile.ZipFile(tmp_path / "a.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", f"<si><t>{canary['c']}</t></si>" * 50)
    pq.write_table(pa.table({"v": [canary["c"]] * 100}), tmp_path / "b.parquet", compression="zstd")
    (tmp_path / "c.gz").write_bytes(gzip.compress(canary["c"].encode()))
    con = sqlite3.connect(tmp_path / "d.db")
    con.execute("create table t (v text)")
    con.execute("insert into t values (?)", (canary["c"],))
    con.commit()
    con.close()
    for name in ("a.xlsx", "b.parquet", "c.gz", "d.db"):
        assert leaks(texts_of_file(tmp_path / name), canary), f"{name}: the scanner missed the canary"
