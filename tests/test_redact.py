"""Secrets are masked in config text and outputs; structure and ordinary words stay."""

from __future__ import annotations

import pytest

from patrol.redact import MASK, redact_text

CASES = [
    ("enable secret 5 $1$abc$xyz", "enable secret 5 " + MASK),
    ("username admin privilege 15 secret 9 $9$qq", "username admin privilege 15 secret 9 " + MASK),
    ("tacacs-server key 7 0822455D0A16", "tacacs-server key 7 " + MASK),
    ("snmp-server community s3cret RO", "snmp-server community " + MASK + " RO"),
    (" snmp-agent community read cipher %^%#abc", " snmp-agent community read cipher " + MASK),
    (
        " local-user patrol password irreversible-cipher $1a$CANARY$x$",
        " local-user patrol password irreversible-cipher " + MASK,
    ),
    (" hwtacacs-server shared-key cipher %^%#CANARY%^%#", " hwtacacs-server shared-key cipher " + MASK),
    (" ikev2 remote-authentication pre-shared-key CANARYpsk", " ikev2 remote-authentication pre-shared-key " + MASK),
    ("        phash $5$CANARY$Qw;", "        phash " + MASK + ";"),
    (
        "snmp-server user u1 g1 v3 auth sha AuthKey1 priv aes 128 PrivKey1",
        "snmp-server user u1 g1 v3 auth sha " + MASK + " priv aes 128 " + MASK,
    ),
    (" ntp authentication-key 1 md5 NtpKey 7", " ntp authentication-key 1 md5 " + MASK + " 7"),
    (
        'set system root-authentication encrypted-password "$6$abcd"',
        "set system root-authentication encrypted-password " + MASK,
    ),
    ("api_key=abc123", "api_key=" + MASK),
    ("enable password level 15 MySecret", "enable password level 15 " + MASK),
    (" key-string 7 0822455D0A16", " key-string 7 " + MASK),
]


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_secret_values_are_masked(line: str, expected: str) -> None:
    assert redact_text(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        " description password-less link to core",
        " interface GigabitEthernet0/1",
        " ip address 10.0.0.1 255.255.255.0",
        "hostname core-sw1",
        " key-chain name",
        "SSH root login with a password is not permitted",
        "password encryption aes",
        "key chain KC1",
    ],
)
def test_ordinary_lines_are_kept(line: str) -> None:
    assert redact_text(line) == line


def test_private_key_block_is_removed_whole() -> None:
    text = "a\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAB3\nzzz\n-----END OPENSSH PRIVATE KEY-----\nb"
    assert redact_text(text) == "a\n" + MASK + "\nb"
