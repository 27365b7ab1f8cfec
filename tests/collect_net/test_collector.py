"""NetmikoCollector against real FakeNOS SSH devices: outcomes a user sees per host."""

from __future__ import annotations

import time

from patrol.models import HostStatus

from .conftest import ENABLE, PASSWORD, Lab, collect


def test_a_device_is_collected_with_every_command_output(lab: Lab) -> None:
    result = collect([lab.host("sw1")])["sw1"]

    assert result.status is HostStatus.OK, result.error
    assert result.collector == "netmiko" and result.attempts == 1 and result.error is None
    snapshot = result.snapshot
    assert snapshot is not None and snapshot.host == "sw1"
    assert set(snapshot.raw) == {"show version", "show running-config"}
    assert "Cisco IOS" in snapshot.raw["show version"]
    # outputs are whole (the hostname inside the config does not end the read) and prompt-free
    assert snapshot.config is not None and "hostname sw1" in snapshot.config
    assert snapshot.config.rstrip().endswith("end")
    assert "sw1#" not in snapshot.raw["show version"]


def test_several_devices_each_keep_their_own_output(lab: Lab) -> None:
    results = collect([lab.host(name) for name in ("sw1", "sw2", "sw3", "sw4")], forks=4)

    for name, result in results.items():
        assert result.status is HostStatus.OK, result.error
        assert result.snapshot is not None and f"hostname {name}" in (result.snapshot.config or "")


def test_a_wrong_password_is_auth_failed(lab: Lab) -> None:
    result = collect([lab.host("sw2", password="not-the-password")])["sw2"]

    assert result.status is HostStatus.AUTH_FAILED
    assert result.error is not None
    assert f"127.0.0.1:{lab.ports['sw2']}" in result.error and "'patrol'" in result.error
    assert "not-the-password" not in result.error


def test_a_closed_port_is_unreachable(lab: Lab) -> None:
    result = collect([lab.host("gone", port=lab.closed_port)])["gone"]

    assert result.status is HostStatus.UNREACHABLE
    assert result.error == (
        f"connection refused by 127.0.0.1:{lab.closed_port} — is the device up and SSH enabled on that port?"
    )


def test_a_server_that_never_speaks_ssh_times_out_within_the_connect_timeout(
    lab: Lab, silent_server: int
) -> None:
    host = lab.host("mute", port=silent_server, connect_timeout=1.0)
    started = time.monotonic()
    result = collect([host])["mute"]

    assert time.monotonic() - started < 4
    assert result.status is HostStatus.TIMEOUT
    assert result.error is not None and "no SSH banner" in result.error


def test_a_hung_session_times_out_and_the_rest_of_the_batch_is_collected(lab: Lab) -> None:
    hosts = [lab.host("hung", "test_hung", command_timeout=1.0), lab.host("sw3"), lab.host("sw4")]
    results = collect(hosts, forks=3)

    hung = results["hung"]
    assert hung.status is HostStatus.TIMEOUT
    assert hung.error is not None and "'show tech-support'" in hung.error and "prompt" in hung.error
    assert hung.attempts == 2  # it timed out alongside other sessions: retried once, alone
    assert results["sw3"].status is HostStatus.OK and results["sw4"].status is HostStatus.OK
    assert results["sw3"].attempts == 1


def test_a_timeout_without_other_sessions_is_not_retried(lab: Lab) -> None:
    result = collect([lab.host("hung", "test_hung", command_timeout=1.0)], forks=1)["hung"]

    assert result.status is HostStatus.TIMEOUT and result.attempts == 1


def test_output_the_driver_cannot_parse_is_a_parse_error(lab: Lab) -> None:
    result = collect([lab.host("sw1", "test_unparseable")])["sw1"]

    assert result.status is HostStatus.PARSE_ERROR
    assert result.error == "show version: no 'never-there' line; is this really the test platform?"
    assert result.snapshot is None


def test_an_unknown_platform_is_an_error_that_names_it(lab: Lab) -> None:
    result = collect([lab.host("sw1", "no_such_platform")])["sw1"]

    assert result.status is HostStatus.ERROR
    assert result.error is not None and "no_such_platform" in result.error


def test_cancel_before_start_aborts_every_host(lab: Lab) -> None:
    results = collect([lab.host("sw1"), lab.host("sw2"), lab.host("gone", port=lab.closed_port)], cancel=True)

    assert {r.status for r in results.values()} == {HostStatus.ABORTED}
    assert all(r.error == "run cancelled before this host was started" for r in results.values())


def test_no_secret_reaches_any_result(lab: Lab, silent_server: int) -> None:
    hosts = [
        lab.host("leaky"),
        lab.host("sw1"),
        lab.host("sw2", password=PASSWORD + "-wrong"),
        lab.host("mute", port=silent_server, connect_timeout=1.0),
        lab.host("hung", "test_hung", command_timeout=1.0),
    ]
    results = collect(hosts, forks=5)

    leaky = results["leaky"]
    assert leaky.status is HostStatus.OK
    assert leaky.snapshot is not None and "username patrol privilege 15 password 0 ********" in (
        leaky.snapshot.config or ""
    )
    for result in results.values():
        text = result.model_dump_json()
        assert PASSWORD not in text and ENABLE not in text, result.host
