"""Every generated English sentence patrol stores (check kinds, drift, collectors) reads as Chinese.

The sentences are written here as the code writes them (patrol/checks/kinds.py, patrol/checks/engine.py,
patrol/drift/engine.py, patrol/collect/*); a new sentence shape without a pattern in
patrol/i18n/sentences.yml shows up as English words in the rendered text.
"""

from __future__ import annotations

import pytest

from patrol.i18n import zh_text
from patrol.i18n.messages import finding_message, reason_text
from tests.report.test_i18n_complete import english_words, other_script

MESSAGES = [
    "used_percent = 92, should be < 85",
    "used_percent = 40, is < 85",
    "facts.uptime = 'n/a' is not comparable with 3600",
    "security.telnet_enabled is True, expected False",
    "security.ntp_servers is ['192.0.2.99'], expected equals ['192.0.2.123']: missing ['192.0.2.123']; "
    "extra ['192.0.2.99']",
    "security.uid0_users is ['root', 'toor'], expected subset ['root']: extra ['toor']",
    "security.ntp_servers superset ['192.0.2.123']",
    "security.users is 'x', not a list",
    "security.ssh_permit_root_login is 'yes': one of the forbidden ['yes']",
    "facts.os_version is '12.1': none of the allowed ['15.2', '15.9']",
    "facts.os_version is '15.2': one of the allowed ['15.2']",
    "security.logging_servers is []: not configured",
    "security.ntp_servers not reported by the device",
    "expected values must be a list, got 'a'",
    "no resources match {'kind': ['filesystem', 'volume']}",
    "no interfaces match any",
    "config line 'logging host' under 'router bgp': absent",
    "config line 'snmp-server community' : found ['snmp-server community public RO']",
    "GigabitEthernet2 is administratively up but operationally down",
    "administratively down",
    "up/up",
    "admin/oper state not reported",
    "no interfaces reported",
    "certificate expired 3 days ago (minimum 30)",
    "certificate expires in 12 days (minimum 30)",
    "valid for 200 more days",
    "expiry date unknown: not reported",
    "check could not be evaluated: KeyError: 'x'",
    "inventory variable 'ntp' is not set for this host: define it in group_vars/host_vars or give the check a "
    "default ({var: NAME, default: VALUE})",
    "branch-sw9 was not inspected (unreachable: connection refused by 127.0.0.1:6099)",
    "db1 was not inspected (collector reported ok but produced no snapshot)",
    "host not inspected (timeout)",
    "inspected",
    "added under interface Gi2: ip access-group BLOCK in (block of 3 lines) [line 12]",
    "removed: ntp server 192.0.2.1 [line 4]",
    "secret changed on line 18: enable secret 5 <redacted> (value not shown)",
    "order changed under router bgp 65000: neighbor 10.0.0.1 (line 3 -> 5)",
    "interfaces.Gi2.oper_up changed: True -> False",
    "no drift against baseline 3",
    "no baseline approved: `patrol baseline approve` or `patrol baseline template`",
]
REASONS = [
    "connection refused by 127.0.0.1:6099 — is the device up and SSH enabled on that port?",
    "no TCP answer from 192.0.2.9:22 within 5 s — is the address right and does a firewall let SSH through?",
    "cannot resolve 'nowhere.example': Name or service not known — fix the inventory address",
    "no SNMP answer from 192.0.2.9:161 within 5s — wrong community, wrong version, or the agent is down",
    "SSH login to 192.0.2.9:22 timed out after 5 s — the device is slow or overloaded; raise "
    "patrol_connect_timeout or lower forks",
    "192.0.2.9:22 accepted TCP but sent no SSH banner within 5 s — is an SSH server listening on that port, "
    "and is it overloaded?",
    "run cancelled before this host was started",
    "run cancelled before the host was collected",
    "run cancelled while the host was being collected",
    "no result recorded",
    "unreachable",
]
#: words of the sentences' figures (device values, config lines, library error text)
FIGURES = frozenset(w.lower() for w in ("yes", "root", "toor", "logging", "host", "router", "bgp", "snmp", "server",
                                        "community", "public", "neighbor", "access", "group", "BLOCK", "ntp",
                                        "enable", "secret", "redacted", "interface", "KeyError", "Name", "service",
                                        "not", "known", "NAME", "VALUE", "var", "default", "nowhere", "example",
                                        "patrol", "baseline", "approve", "template", "forks", "reported"))  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("message", MESSAGES)
def test_finding_messages_read_as_chinese(message: str, lang: str) -> None:
    text = finding_message(message, lang)
    assert english_words(text, FIGURES) == set(), text
    assert other_script(text, lang) == set()
    assert finding_message(message, "en") == message


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("reason", REASONS)
def test_reasons_read_as_chinese(reason: str, lang: str) -> None:
    text = reason_text(reason, lang)
    assert english_words(text, FIGURES) == set(), text
    assert other_script(text, lang) == set()
    assert reason_text(reason, "en") == reason


def test_figures_stay_and_booleans_are_words() -> None:
    assert finding_message("security.telnet_enabled is True, expected False", "zh-Hant") == (
        "security.telnet_enabled 為 是，預期為 否")  # fmt: skip
    assert reason_text("connection refused by 127.0.0.1:6099", "zh-Hans") == "127.0.0.1:6099 拒绝连接"
    assert finding_message("a sentence no pattern knows", "zh-Hans") == "a sentence no pattern knows"


@pytest.mark.parametrize(
    ("authored", "hans", "hant"),
    [("網絡設備", "网络设备", "網路設備"), ("存儲設備", "存储设备", "儲存設備"), ("伺服器", "服务器", "伺服器"),
     ("介面", "接口", "介面"), ("基本信息", "基本信息", "基本資訊"), ("當前用戶", "当前用户", "目前使用者"),
     ("默認值", "默认值", "預設值"), ("在線支持", "在线支持", "線上支援"), ("連接埠", "端口", "連接埠")],
)  # fmt: skip
def test_each_script_has_one_glossary(authored: str, hans: str, hant: str) -> None:
    assert (zh_text(authored, "zh-Hans"), zh_text(authored, "zh-Hant")) == (hans, hant)
