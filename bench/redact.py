"""Redaction benchmark (issue 14 §2, issue 20): ms per 1,000 lines of patrol's one-pass engine.

Run on demand, never in tests::

    .venv/bin/python bench/redact.py
    .venv/bin/python bench/redact.py --lines 10000 --repeat 10

Four texts of about ``--lines`` lines each: an IOS running config (a secret every ~30 lines),
a Junos config, Linux outputs (sshd_config, /etc/shadow, an env file, a process list) and a
secret-free ``show interfaces``. Each is redacted with the installation key by

* ``patrol``: :func:`patrol.redact.redact_text` (trigger prefilter + one alternation per line);
* ``one re.sub per rule``: the same rules handed to ``netutils.config.clean.sanitize_config``
  as its filter list (one ``re.sub`` over the whole text per rule, constant replacement: the
  cost model of netutils' sanitiser and of patrol's previous engine).

Every secret of the texts contains ``CANARY``; the benchmark fails if one survives patrol.
The best of ``--repeat`` runs (process CPU time, so other load on the machine matters less) is reported.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from netutils.config.clean import sanitize_config

from patrol.redact import redact_text
from patrol.redaction.grammar import all_rules

KEY = bytes(range(32))


def ios_config(lines: int) -> str:
    """An IOS-like running config with one secret line about every 30 lines."""
    secrets = [
        "enable secret 9 $9$CANARYnhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQ",
        "username admin privilege 15 secret 9 $9$CANARYqq2Hc3eH",
        "snmp-server community CANARYro RO 10",
        "snmp-server host 192.0.2.20 version 2c CANARYtrap",
        " key-string 7 CANARY0822455D0A16",
        " ip ospf message-digest-key 1 md5 7 CANARY0822455D",
        " neighbor 192.0.2.1 password 7 CANARY0822455D0A16",
        "tacacs-server key 7 CANARY045802150C2E",
    ]
    plain = ["interface GigabitEthernet1/0/{i}", " description access port {i} to rack 7", " switchport mode access",
             " switchport access vlan 120", " spanning-tree portfast", " no shutdown", "!",
             "snmp-server location DC1 row {i}", " neighbor 192.0.2.{i} send-community both",
             "ip community-list standard CL{i} permit 65000:100"]  # fmt: skip
    return _mix(lines, plain, secrets)


def junos_config(lines: int) -> str:
    """A Junos-like hierarchical config."""
    secrets = ['            encrypted-password "$6$CANARY$efgh"; ## SECRET-DATA', "    community CANARYpub {",
               '        authentication-key "$9$CANARYdbs2oGUH"; ## SECRET-DATA',
               '        secret "$9$CANARYHk5FCA0"; ## SECRET-DATA']  # fmt: skip
    plain = ["    ge-0/0/{i} {", "        description \"uplink {i}\";", "        unit 0 {",
             "            family inet {", "                address 10.0.{i}.1/30;", "            }", "        }",
             "    }", "        authorization read-only;", "    community CUST-{i} members 65000:{i};"]  # fmt: skip
    return _mix(lines, plain, secrets)


def linux_outputs(lines: int) -> str:
    """sshd_config, /etc/shadow, an env file and a process list."""
    secrets = ["svc{i}:$6$CANARYsalt$HashHashHash:19700:0:99999:7:::", "DB_PASSWORD=CANARY{i}",
               '  "password": "CANARY{i}",', "backup  {i}  rsync rsync://u:CANARY@nas/share"]  # fmt: skip
    plain = ["PubkeyAuthentication yes", "PasswordAuthentication no", "daemon:*:19700:0:99999:7:::",
             "root       {i}  0.0  0.1 169000 13000 ?  Ss   Nov01   0:05 /sbin/init",
             "HostKey /etc/ssh/ssh_host_rsa_key",
             "ListenAddress 0.0.0.0", "LANG=C.UTF-8", "  \"user\": \"svc{i}\","]  # fmt: skip
    return _mix(lines, plain, secrets)


def show_interfaces(lines: int) -> str:
    """A secret-free command output."""
    block = ["GigabitEthernet1/0/{i} is up, line protocol is up (connected)",
             "  Hardware is Gigabit Ethernet, address is 0011.2233.{i}",
             "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,",
             "  5 minute input rate 1000 bits/sec, 2 packets/sec",
             "     123456 packets input, 98765432 bytes, 0 no buffer"]  # fmt: skip
    return _mix(lines, block, [])


def _mix(lines: int, plain: list[str], secrets: list[str]) -> str:
    out: list[str] = []
    for i in range(lines):
        if secrets and i % 30 == 29:
            out.append(secrets[(i // 30) % len(secrets)].replace("{i}", str(i)))
        else:
            out.append(plain[i % len(plain)].replace("{i}", str(i % 250)))
    return "\n".join(out) + "\n"


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    filters = [{"regex": "(?im)" + rule.pattern, "replace": "<redacted>"} for rule in all_rules()]
    print("| text | lines | patrol ms/1k lines | one re.sub per rule ms/1k lines | secrets masked |")
    print("|---|--:|--:|--:|--:|")
    for name, make in (("IOS config", ios_config), ("Junos config", junos_config),
                       ("Linux outputs", linux_outputs), ("show interfaces", show_interfaces)):  # fmt: skip
        text = make(args.lines)
        redacted = redact_text(text, KEY)
        if "CANARY" in redacted:
            raise SystemExit(f"{name}: a secret survived: {[ln for ln in redacted.splitlines() if 'CANARY' in ln]}")
        per_k = 1000 / text.count("\n")
        ours = best_ms(lambda t=text: redact_text(t, KEY), args.repeat) * per_k
        theirs = best_ms(lambda t=text: sanitize_config(t, filters), max(3, args.repeat // 5)) * per_k
        print(f"| {name} | {text.count(chr(10))} | {ours:.2f} | {theirs:.1f} | {text.count('CANARY')} |")


if __name__ == "__main__":
    main()
