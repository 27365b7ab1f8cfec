"""Profile loading: every malformed profile gets a message naming the file, check id, key and fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patrol.checks import load_profiles
from patrol.errors import ProfileError
from patrol.paths import PROFILES_DIR

GOOD_CHECK = """\
  - id: net.telnet.disabled
    title: {en: Telnet disabled, zh: 已禁用 Telnet}
    severity: critical
    kind: equals
    field: security.telnet_enabled
    expect: false
"""


def profile(checks: str = GOOD_CHECK, head: str = "profile: test\n") -> str:
    return head + "checks:\n" + checks


def load_error(write_profile: Any, text: str) -> ProfileError:
    path = write_profile(text)
    with pytest.raises(ProfileError) as info:
        load_profiles([path])
    assert str(path) in str(info.value)
    return info.value


def test_good_profile_loads(write_profile: Any) -> None:
    profiles = load_profiles([write_profile(profile())])
    (check,) = profiles.checks
    assert (check.id, check.severity.value, check.title_zh) == ("net.telnet.disabled", "critical", "已禁用 Telnet")


def test_shipped_profiles_load() -> None:
    profiles = load_profiles([PROFILES_DIR])
    assert {p.name for p in profiles.profiles} == {
        "network-baseline",
        "security-baseline",
        "host-baseline",
        "storage-baseline",
        "database-baseline",
        "middleware-baseline",
        "app-baseline",
    }
    assert len(profiles.checks) >= 30


def test_unknown_kind_lists_known_kinds(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("kind: equals", "kind: equal")))
    assert (err.check_id, err.key) == ("net.telnet.disabled", "kind")
    assert "unknown kind 'equal'; known kinds: cert_days, config_line, equals, interface_state" in str(err)


def test_unknown_kind_key_lists_allowed_keys(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("expect:", "expected:")))
    assert (err.check_id, err.key) == ("net.telnet.disabled", "expected")
    assert "unknown key; allowed keys:" in str(err) and "expect" in str(err)


def test_missing_kind_key(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("    expect: false\n", "")))
    assert (err.check_id, err.key) == ("net.telnet.disabled", "expect")
    assert "required key is missing" in str(err)


def test_missing_zh_title(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace(", zh: 已禁用 Telnet", "")))
    assert (err.check_id, err.key) == ("net.telnet.disabled", "title.zh")


def test_bad_severity_says_what_is_allowed(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("critical", "high")))
    assert err.key == "severity"
    assert "'critical', 'urgent', 'normal' or 'other'" in str(err) and "'high'" in str(err)


def test_bad_regex(write_profile: Any) -> None:
    check = GOOD_CHECK.replace("kind: equals", "kind: config_line").replace(
        "    field: security.telnet_enabled\n    expect: false\n", "    pattern: 'transport input (telnet'\n"
    )
    err = load_error(write_profile, profile(check))
    assert err.key == "pattern" and "not a valid regular expression" in str(err)


def test_bad_threshold_op(write_profile: Any) -> None:
    check = GOOD_CHECK.replace("kind: equals", "kind: threshold").replace("expect: false", "op: '=<'\n    limit: 3")
    err = load_error(write_profile, profile(check))
    assert err.key == "op" and "'=<'" in str(err)


def test_check_without_id(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("  - id: net.telnet.disabled\n    ", "  - ")))
    assert err.key == "id" and "check #1 has no 'id'" in str(err)


def test_bad_check_id(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("net.telnet.disabled", "Telnet Disabled")))
    assert (err.check_id, err.key) == ("Telnet Disabled", "id")


def test_duplicate_id_names_both_files(write_profile: Any) -> None:
    first = write_profile(profile(), "a.yml")
    second = write_profile(profile(head="profile: other\n"), "b.yml")
    with pytest.raises(ProfileError) as info:
        load_profiles([first.parent])
    assert str(first) in str(info.value) and str(second) in str(info.value)
    assert info.value.check_id == "net.telnet.disabled" and "rename one" in str(info.value)


def test_yaml_syntax_error_gives_line(write_profile: Any) -> None:
    err = load_error(write_profile, profile(GOOD_CHECK.replace("    severity: critical", "  severity: [critical")))
    assert "line " in str(err) and "YAML syntax error" in str(err)


def test_unknown_top_level_key_and_no_checks(write_profile: Any) -> None:
    err = load_error(write_profile, "profile: x\nchecks: []\n")
    assert err.key == "checks"
    err = load_error(write_profile, profile(head="profile: x\napplies: {device_class: [network]}\n"))
    assert err.key == "applies" and "allowed keys: applies_to, checks, description, profile" in str(err)


def test_bad_applies_to_device_class(write_profile: Any) -> None:
    check = GOOD_CHECK + "    applies_to: {device_class: [router]}\n"
    err = load_error(write_profile, profile(check))
    assert err.key == "applies_to.device_class" and "'network', 'security', 'host' or 'storage'" in str(err)


def test_folder_skips_non_profiles_and_hidden_folders(write_profile: Any, tmp_path: Path) -> None:
    write_profile(profile(), "net.yml")
    write_profile("some_vars: 1\n", "vars.yml")
    write_profile("profile: broken\n", ".cache/broken.yml")
    write_profile("profile: broken\n", "_drafts/broken.yaml")
    profiles = load_profiles([tmp_path])
    assert [p.name for p in profiles.profiles] == ["test"]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_profiles([tmp_path / "nope"])
    with pytest.raises(ProfileError, match="no inspection profiles found"):
        load_profiles([tmp_path])


# --- problem titles: what a finding says --------------------------------------------------

CJK = range(0x4E00, 0xA000)


def test_every_shipped_check_has_a_problem_title_in_english_and_chinese() -> None:
    """A finding's title says what is wrong, not the state the check wants (issue 15)."""
    checks = load_profiles([PROFILES_DIR]).checks
    assert len(checks) >= 38
    for check in checks:
        assert check.problem_en and check.problem_zh, f"{check.id} ({check.source}) has no problem: {{en, zh}}"
        assert check.problem_en not in (check.title_en, check.title_zh), check.id
        assert check.problem_zh not in (check.title_en, check.title_zh), check.id
        assert "; " in check.problem_en, f"{check.id}: say what is wrong; then what is expected"
        assert "；" in check.problem_zh and any(ord(c) in CJK for c in check.problem_zh), check.id
        assert not any(ord(c) in CJK for c in check.problem_en), check.id


def test_problem_title_quotes_the_failing_figures(write_profile: Any) -> None:
    check = GOOD_CHECK.replace("    severity:", "    problem: {en: 'Telnet is {actual}; it must be {expected}', "
                               "zh: 'Telnet 為 {actual}；必須為 {expected}'}\n    severity:")  # fmt: skip
    (loaded,) = load_profiles([write_profile(profile(check))]).checks
    evidence = {"actual": True, "expected": False}
    assert loaded.problem("en", evidence) == "Telnet is True; it must be False"
    assert loaded.problem("zh", evidence) == "Telnet 為 True；必須為 False"
    assert loaded.problem("en", {}) == "Not met: Telnet disabled"  # a figure the result lacks


def test_check_without_problem_gets_a_derived_one(write_profile: Any) -> None:
    (loaded,) = load_profiles([write_profile(profile())]).checks
    assert loaded.problem("en") == "Not met: Telnet disabled" and loaded.problem("zh") == "未符合：已禁用 Telnet"


def test_unknown_problem_placeholder_names_the_kind_figures(write_profile: Any) -> None:
    check = GOOD_CHECK.replace("    severity:", "    problem: {en: 'Telnet is {value}', zh: 'x'}\n    severity:")
    err = load_error(write_profile, profile(check))
    assert (err.check_id, err.key) == ("net.telnet.disabled", "problem.en")
    assert "unknown placeholder {value}" in str(err) and "actual, expected, field, object" in str(err)
