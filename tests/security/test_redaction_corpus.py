"""Issue 14: every secret syntax of the corpus is masked exactly, ordinary lines stay, markers are stable."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from patrol.models import DeviceClass, Snapshot
from patrol.redact import MARKER, installation_key, redact_snapshot, redact_text, redact_value
from tests.security.corpus import ORDINARY_LINES, SECRET_LINES, R

KEY = bytes(range(32))
PLATFORMS = {platform for platform, _, _ in SECRET_LINES}


def _id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}:{case[1].strip()[:40]}"


def test_corpus_covers_every_platform_and_sixty_syntaxes() -> None:
    assert len(SECRET_LINES) >= 60 and len(ORDINARY_LINES) >= 15
    assert {
        "cisco_ios", "arista_eos", "juniper_junos", "huawei_vrp", "cisco_asa", "paloalto_panos", "linux",
        "cisco_nxos", "cisco_xr", "h3c_comware", "fortinet", "checkpoint_gaia", "snmp",
    } <= PLATFORMS


@pytest.mark.parametrize(("platform", "line", "expected"), SECRET_LINES, ids=[_id(c) for c in SECRET_LINES])
def test_secret_line_is_redacted_exactly(platform: str, line: str, expected: str) -> None:
    assert redact_text(line) == expected


@pytest.mark.parametrize(("platform", "line", "expected"), SECRET_LINES, ids=[_id(c) for c in SECRET_LINES])
def test_keyed_markers_sit_where_the_plain_ones_do(platform: str, line: str, expected: str) -> None:
    keyed = redact_text(line, KEY)
    assert MARKER.sub(R, keyed) == expected and "<redacted:hmac=" in keyed
    assert redact_text(keyed, KEY) == keyed  # a second pass changes nothing


@pytest.mark.parametrize("line", ORDINARY_LINES)
def test_ordinary_line_is_kept(line: str) -> None:
    assert redact_text(line) == line


def test_markers_are_stable_per_value_and_differ_between_values(tmp_path: Path) -> None:
    key = installation_key(tmp_path)
    one = redact_text("enable secret 5 $1$abc$one\nsnmp-server community $1$abc$one RO", key)
    two = redact_text("enable secret 5 $1$abc$two", key)
    first, second = (m.group(1) for m in MARKER.finditer(one))
    assert first == second  # the same value on two syntaxes: one marker
    assert MARKER.search(two).group(1) != first  # type: ignore[union-attr]
    assert redact_text("enable secret 5 $1$abc$one", key) == one.splitlines()[0]
    assert redact_text("enable secret 5 $1$abc$one", installation_key(tmp_path / "other")) != one.splitlines()[0]
    # a quoted and an unquoted spelling of one value give one marker (Junos shows quotes)
    assert redact_text('secret "S3"', key).split()[-1] == redact_text("secret S3", key).split()[-1]


def test_pem_private_key_body_goes_whole() -> None:
    body = "\n".join(["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"] * 20)
    for kind in ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY"):
        text = f"cert ok\n-----BEGIN {kind}-----\nProc-Type: 4,ENCRYPTED\n{body}\n-----END {kind}-----\nafter"
        assert redact_text(text) == f"cert ok\n{R}\nafter"
    public = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    assert redact_text(public) == public
    truncated = f"show crypto key\n-----BEGIN RSA PRIVATE KEY-----\n{body}"  # output cut short
    assert redact_text(truncated) == f"show crypto key\n{R}"


def test_whole_config_keeps_every_other_line() -> None:
    config = "\n".join(line for _, line, _ in SECRET_LINES[:40]) + "\n" + "\n".join(ORDINARY_LINES) + "\n"
    expected = "\n".join(exp for _, _, exp in SECRET_LINES[:40]) + "\n" + "\n".join(ORDINARY_LINES) + "\n"
    assert redact_text(config) == expected


def test_a_keyword_at_a_line_end_never_takes_the_next_line() -> None:
    # the previous engine's `\s+` crossed the newline: sshd_config's remediation diff showed
    # "<redacted> yes" for the line after "PermitRootLogin prohibit-password"
    sshd = "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nAuthorizedKeysFile .ssh/authorized_keys\n"
    assert redact_text(sshd) == sshd
    diff = "@@ -3,2 +3,2 @@\n-PermitRootLogin prohibit-password\n+PermitRootLogin no\n PubkeyAuthentication yes\n"
    assert redact_text(diff) == diff
    ios = "key chain KC1\n key 1\n  key-string\n  0822455D0A16\n"  # a value on the next line is not taken
    assert redact_text(ios) == ios


def test_json_yaml_ini_documents_stay_parseable_without_the_secrets() -> None:
    doc = {"db": {"host": "db1", "password": "Hunter2!", "port": 5432}, "api_key": "AKIA123", "user": "svc"}
    as_json = redact_text(json.dumps(doc, indent=2))
    assert json.loads(as_json) == {"db": {"host": "db1", "password": R, "port": 5432}, "api_key": R, "user": "svc"}
    as_yaml = redact_text(yaml.safe_dump(doc))
    assert yaml.safe_load(as_yaml) == {"db": {"host": "db1", "password": R, "port": 5432}, "api_key": R, "user": "svc"}
    ini = "[client]\nuser = backup\npassword = with spaces and #hash\nhost=db1\n"
    assert redact_text(ini) == f"[client]\nuser = backup\npassword = {R}\nhost=db1\n"


def test_nested_values_hide_secret_fields_and_strings() -> None:
    extras = {
        "users": [{"name": "root", "password": "x1"}, {"name": "ops", "passwd": 1234}],
        "snmp_community": "public",
        "PasswordAuthentication": "no",
        "sshd": {"PubkeyAuthentication": "yes", "lines": ["PermitRootLogin no", "enable secret 5 $1$a$b"]},
        "credentials": {"token": "t0k", "enabled": True},
        "uri": ("https://u:p4ss@h/x",),
        "count": 3,
    }
    assert redact_value(extras) == {
        "users": [{"name": "root", "password": R}, {"name": "ops", "passwd": R}],
        "snmp_community": R,
        "PasswordAuthentication": "no",
        "sshd": {"PubkeyAuthentication": "yes", "lines": ["PermitRootLogin no", f"enable secret 5 {R}"]},
        "credentials": {"token": R, "enabled": True},
        "uri": (f"https://u:{R}@h/x",),
        "count": 3,
    }
    assert extras["snmp_community"] == "public"  # the input is not changed
    keyed = redact_value({"password": "x1", "note": "password x1"}, KEY)
    assert keyed["password"] == keyed["note"].split()[-1] != R


def test_snapshot_config_and_outputs_are_redacted() -> None:
    snap = Snapshot(
        host="r1",
        device_class=DeviceClass.NETWORK,
        platform="cisco_ios",
        config="enable secret 5 $1$a$b\nhostname r1",
        raw={"show run | i snmp": "snmp-server community s3 RO\nsnmp-server location DC1"},
    )
    red = redact_snapshot(snap)
    assert red.config == f"enable secret 5 {R}\nhostname r1"
    assert red.raw == {"show run | i snmp": f"snmp-server community {R} RO\nsnmp-server location DC1"}


@pytest.mark.parametrize(
    "text",
    [
        "a." * 50000 + "password=x",  # quadratic before the kv key had to start a token (5.8 s)
        "snmpwalk " * 20000,
        "a." * 50000 + "://u:p@h",
        '"password": "' + "\\\\" * 50000,
        "password " + "7 " * 30000,
    ],
    ids=["dotted-key", "snmpwalk", "url-scheme", "open-quote", "type-tokens"],
)
def test_hostile_lines_cost_linear_time(text: str) -> None:
    started = time.process_time()
    redact_text(text)
    assert time.process_time() - started < 1.0  # ~20 ms when linear; seconds when a rule backtracks


def test_offsets_hold_with_non_ascii_text_and_crlf() -> None:
    # "İ" lower-cases to two characters: the engine must still cut the original line at the right place
    text = " description 北京 İstanbul 上联\r\nenable secret 5 $1$İx$yz\r\nusername 运维 password 0 密码Pw1\r\n"
    assert redact_text(text) == (
        f" description 北京 İstanbul 上联\r\nenable secret 5 {R}\r\nusername 运维 password 0 {R}\r\n"
    )
    keyed = redact_text("password: 密码", KEY)
    assert keyed.startswith("password: <redacted:hmac=") and keyed != redact_text("password: 密碼", KEY)
