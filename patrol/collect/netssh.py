"""The SSH/CLI collector for network and security devices (netmiko).

``NetmikoCollector().collect(hosts, ctx, emit)`` logs in to each host, runs its platform
driver's show commands and emits one :class:`~patrol.models.HostResult` per host, e.g.::

    HostResult(host="core-sw1", status="ok", collector="netmiko", attempts=1,
               snapshot=Snapshot(host="core-sw1", platform="cisco_ios",
                                 raw={"show version": "...", ...}, ...))
    HostResult(host="branch-sw9", status="unreachable", collector="netmiko",
               error="connection refused by 127.0.0.1:6099 — is the device up and SSH "
                     "enabled on that port?")

The driver (``patrol.platforms`` entry point, a
:class:`~patrol.collect.platforms.NetPlatform`) says which commands to run and parses their
outputs; this module knows no vendor. Failures become results: ``unreachable`` (refused, no
route, unknown name), ``auth_failed``, ``timeout`` (TCP connect, SSH banner, login, or a command
whose prompt never comes back), ``parse_error`` (the driver raised ``ParseError``) and
``host_key_changed`` / ``host_key_unknown`` (the SSH host key differs from the known one, or
none is known under ``strict``: checked by :class:`~patrol.collect.hostkeys.VerifyingPolicy`
after the key exchange and before any credential is sent) and
``error`` (anything else). Messages name the address and say what to check; the host's
password, enable secret and the like never appear in them (they are masked if a library
message quotes them) nor in command outputs handed to the driver.

Concurrency: one bounded thread pool (``ctx.forks``, never more threads than hosts). A host
that timed out while other sessions ran alongside it is retried once after the first pass
with half the threads (``attempts == 2``): a device that timed out because we swamped it (or
we could not read fast enough) is our fault, not the device's. Once ``ctx.cancel`` is set no
new host is started, sessions in flight finish, and hosts never started get ``aborted``.

Cost choices (measured with cProfile over a 50-device FakeNOS fleet; see bench/README.md):

* Never ``use_textfsm=True``: netmiko reloads and recompiles the ntc-templates index on every
  call. Parsing is the driver's, with compiled templates cached once per process.
* The TCP socket is opened here and handed to netmiko (``sock=``): failures are classified
  exactly (refused / no route / timeout) instead of guessed from netmiko's message text.
* ``use_keys=False, allow_agent=False, ssh_config_file=None``: no key files, agent or
  ``~/.ssh/config`` lookups per connection; ``fast_cli=True``; ``read_timeout`` is the host's
  ``command_timeout``.
* ``session_preparation`` (paging off, terminal width, base prompt: three round trips) is kept,
  because a device that pages would hang every later command. The prompt is then read once
  and passed to every command as an end-anchored ``expect_string`` (netmiko would otherwise
  run ``find_prompt`` — a round trip and sleeps — before each command), and only the final
  prompt line is stripped (netmiko's PAN-OS driver drops every line containing the hostname).
* Leaving: the SSH transport is closed directly instead of netmiko's graceful ``disconnect``
  (which types ``exit`` and waits for a prompt: 10 s per Junos device on FakeNOS, whose prompt
  lacks the trailing space netmiko expects); netmiko's per-connection log filter is removed so
  it does not pile up on netmiko's logger.
* Platform quirks stay in the drivers (``NetPlatform.connect_args``), e.g. ``device_type
  "generic"`` for PAN-OS on FakeNOS (keyboard-interactive login rejected).
"""

from __future__ import annotations

import errno
import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from netmiko import ConnectHandler
from netmiko import log as netmiko_log
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout

from patrol import plugins
from patrol.collect.base import CollectContext, Emit, failure_result
from patrol.collect.hostkeys import KnownHosts, VerifyingPolicy, policy_of
from patrol.collect.platforms import NetPlatform
from patrol.errors import (
    AuthError,
    CollectError,
    CollectTimeout,
    ParseError,
    PatrolError,
    UnreachableError,
)
from patrol.models import Host, HostResult, HostStatus, Snapshot, utcnow

__all__ = ["NetmikoCollector", "collect_host"]

log = logging.getLogger(__name__)

_MASK = "********"


# --------------------------------------------------------------------------- secrets


def _secrets_of(host: Host) -> list[str]:
    """The host's secret values (longest first, so a secret containing another is masked whole)."""
    creds = host.credentials
    values = [s.get_secret_value() for s in (creds.password, creds.enable_secret, creds.snmp_community) if s]
    return sorted({v for v in values if v}, key=len, reverse=True)


def _mask(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


# --------------------------------------------------------------------------- one host


def _where(host: Host) -> str:
    return f"{host.address}:{host.port or 22}"


def _open_tcp(host: Host) -> socket.socket:
    """A connected TCP socket to the host, or the :class:`CollectError` that says why not."""
    where = _where(host)
    try:
        return socket.create_connection((host.address, host.port or 22), timeout=host.connect_timeout)
    except ConnectionRefusedError as exc:
        raise UnreachableError(
            host.name, f"connection refused by {where} — is the device up and SSH enabled on that port?"
        ) from exc
    except TimeoutError as exc:
        raise CollectTimeout(
            host.name,
            f"no TCP answer from {where} within {host.connect_timeout:g} s — "
            "is the address right and does a firewall let SSH through?",
        ) from exc
    except socket.gaierror as exc:
        raise UnreachableError(
            host.name, f"cannot resolve {host.address!r}: {exc.strerror} — fix the inventory address"
        ) from exc
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            raise UnreachableError(
                host.name, f"no route to {where} — check the address and the network path"
            ) from exc
        raise UnreachableError(host.name, f"cannot connect to {where}: {exc.strerror or exc}") from exc


def _connect_params(host: Host, platform: NetPlatform, sock: socket.socket) -> dict[str, Any]:
    creds = host.credentials
    timeout = host.connect_timeout
    params: dict[str, Any] = {
        "device_type": platform.device_type,
        "host": host.address,
        "port": host.port or 22,
        "username": creds.username or "",
        "password": creds.password.get_secret_value() if creds.password else None,
        "secret": creds.enable_secret.get_secret_value() if creds.enable_secret else "",
        "sock": sock,
        # TCP is already connected (``sock``): conn_timeout only bounds the key exchange, and is
        # longer than the banner timeout so that a silent server is reported as such.
        "conn_timeout": timeout + 1.0,
        "banner_timeout": timeout,
        "auth_timeout": timeout,
        "blocking_timeout": max(timeout, 20.0),
        "session_timeout": max(host.command_timeout, 60.0),
        "read_timeout_override": None,
        "fast_cli": True,
        "use_keys": False,
        "allow_agent": False,
        "ssh_config_file": None,
        # Host keys are checked by patrol's VerifyingPolicy (set in _connect); the client holds no
        # known keys so paramiko asks the policy on every connection. ssh_strict: should the
        # policy ever not be set, netmiko's RejectPolicy refuses rather than trusting any key.
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": False,
        "keepalive": 0,
        "auto_connect": False,
    }
    params.update(platform.connect_args)
    return params


def _connect(host: Host, platform: NetPlatform, known: KnownHosts) -> Any:
    """Check the host key, then log in (``session_preparation`` included); raises a :class:`CollectError`."""
    sock = _open_tcp(host)
    conn = None
    try:
        conn = ConnectHandler(**_connect_params(host, platform, sock))
        conn.key_policy = VerifyingPolicy(known, policy_of(host), host.name, host.address, host.port or 22)
        conn._open()  # netmiko's connect step for auto_connect=False: key exchange, key check, login
        return conn
    except BaseException as exc:
        if conn is not None:
            _close(conn)
        sock.close()
        error = _login_error(host, exc)
        if error is exc:
            raise
        raise error from exc


def _login_error(host: Host, exc: BaseException) -> BaseException:
    """The :class:`CollectError` for a failed login (other exceptions are returned unchanged)."""
    if isinstance(exc, NetmikoAuthenticationException):
        user = host.credentials.username or "(none)"
        return AuthError(
            host.name,
            f"{_where(host)} rejected the login of user {user!r} — check ansible_user / "
            "ansible_password (vault) for this host",
        )
    if isinstance(exc, NetmikoTimeoutException | ReadTimeout | TimeoutError):
        return CollectTimeout(host.name, _login_timeout_message(host, exc))
    if isinstance(exc, OSError | EOFError):
        return CollectError(host.name, f"{_where(host)} closed the SSH session during login: {exc}")
    return exc


def _login_timeout_message(host: Host, exc: BaseException) -> str:
    cause = " ".join(str(e) for e in _chain(exc))
    if "banner" in cause.lower():
        return (
            f"{_where(host)} accepted TCP but sent no SSH banner within {host.connect_timeout:g} s — "
            "is an SSH server listening on that port, and is it overloaded?"
        )
    if isinstance(exc, ReadTimeout):
        return (
            f"logged in to {_where(host)} but the prompt did not come back during session "
            f"setup within the timeout — check the platform ({host.platform}) and the device's CLI"
        )
    return (
        f"SSH login to {_where(host)} timed out after {host.connect_timeout:g} s — the device is slow "
        "or overloaded; raise patrol_connect_timeout or lower forks"
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _run_commands(conn: Any, host: Host, platform: NetPlatform) -> dict[str, str]:
    """Enter enable mode when needed and run every command; ``{command: output}``."""
    if platform.needs_enable:
        try:
            conn.enable()  # checks the prompt first: no-op where the login lands in enable mode
        except (ReadTimeout, ValueError) as exc:
            raise AuthError(
                host.name,
                f"{_where(host)}: could not enter enable mode — check ansible_become_password (vault)",
            ) from exc
    # The prompt is read once; netmiko would otherwise look for it again before every command.
    # Anchored at the end of what was read, so a hostname inside the output does not end a read.
    prompt = conn.find_prompt().strip()
    pattern = rf"{re.escape(prompt)}\s*$"
    outputs: dict[str, str] = {}
    for command in platform.commands:
        try:
            output = conn.send_command(
                command, expect_string=pattern, read_timeout=host.command_timeout, strip_prompt=False
            )
            outputs[command] = _strip_trailing_prompt(output, prompt)
        except ReadTimeout as exc:
            raise CollectTimeout(
                host.name,
                f"{command!r} on {_where(host)} did not return the prompt within "
                f"{host.command_timeout:g} s — the session hung mid-output (pager? slow device?)",
            ) from exc
        except (OSError, EOFError) as exc:
            raise CollectError(
                host.name, f"{_where(host)} closed the session during {command!r}: {exc}"
            ) from exc
    return outputs


def _strip_trailing_prompt(output: str, prompt: str) -> str:
    """Drop the final prompt line only (some netmiko drivers drop every line naming the host)."""
    head, _, last = output.rpartition("\n")
    return head if last.strip().endswith(prompt) else output


def _close(conn: Any) -> None:
    """Close the SSH transport at once (no graceful ``exit``) and drop netmiko's log filter."""
    try:
        if conn.remote_conn_pre is not None:  # the transport first: its channel goes with it
            conn.remote_conn_pre.close()
    except Exception as exc:  # closing a dead session is not worth a failure
        log.debug("closing a netmiko session: %s", exc)
    finally:
        conn.remote_conn_pre = None
        conn.remote_conn = None
        secrets_filter = getattr(conn, "_secrets_filter", None)
        if secrets_filter is not None:
            netmiko_log.removeFilter(secrets_filter)


def _parse(host: Host, platform: NetPlatform, outputs: Mapping[str, str]) -> Snapshot:
    try:
        snapshot = platform.parse(host.name, outputs)
    except ParseError:
        raise
    except PatrolError as exc:
        raise ParseError(host.name, f"platform {platform.name}: {exc}") from exc
    except Exception as exc:
        raise CollectError(
            host.name, f"platform driver {platform.name!r} failed on this output: {type(exc).__name__}: {exc}"
        ) from exc
    if snapshot.device_class != host.device_class or snapshot.host != host.name:
        snapshot = snapshot.model_copy(update={"device_class": host.device_class, "host": host.name})
    return snapshot


def collect_host(host: Host, platform: NetPlatform, known: KnownHosts | None = None) -> Snapshot:
    """Collect one host: connect, run the platform's commands, parse. Raises :class:`CollectError`.

    ``known``: the known host keys (default: none yet, learned in memory under ``accept-new``).
    """
    conn = _connect(host, platform, known or KnownHosts(None))
    try:
        outputs = _run_commands(conn, host, platform)
        napalm = _napalm_getters(conn, host, platform) if _wants_napalm(host, platform) else None
    finally:
        _close(conn)
    secrets = _secrets_of(host)
    snapshot = _parse(host, platform, {cmd: _mask(out, secrets) for cmd, out in outputs.items()})
    if napalm is not None:
        snapshot.extra["napalm"] = napalm
    return snapshot


def _wants_napalm(host: Host, platform: NetPlatform) -> bool:
    return bool(platform.napalm_driver and platform.napalm_getters and host.vars.get("patrol_napalm"))


def _napalm_getters(conn: Any, host: Host, platform: NetPlatform) -> dict[str, Any]:
    """Run the platform's napalm getters on the already open session (no second login).

    ``{"get_facts": {...}, ..., "errors": {"get_x": "..."}}`` — a getter that fails is recorded,
    not fatal: the CLI outputs already collected are what the checks use.
    """
    from napalm import get_network_driver

    driver = get_network_driver(platform.napalm_driver)(host.address, host.credentials.username or "", "")
    driver.device = conn  # napalm's IOS driver talks through its netmiko connection in ``device``
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for getter in platform.napalm_getters:
        try:
            results[getter] = getattr(driver, getter)()
        except Exception as exc:  # a napalm getter that does not understand this device
            errors[getter] = _mask(f"{type(exc).__name__}: {exc}", _secrets_of(host))
    if errors:
        results["errors"] = errors
    return json.loads(json.dumps(results, default=str))


def _load_platform(host: Host) -> NetPlatform:
    platform = plugins.load("patrol.platforms", host.platform)
    if not isinstance(platform, NetPlatform):
        raise CollectError(
            host.name,
            f"platform {host.platform!r} is not an SSH/CLI platform (it is served by "
            f"{getattr(platform, 'collector', '?')!r}); fix the host's collector or platform",
        )
    return platform


# --------------------------------------------------------------------------- a pass over hosts


@dataclass
class _Attempt:
    """One host's try within a pass; ``busy`` says whether other sessions ran alongside it."""

    host: Host
    result: HostResult
    busy: bool


@dataclass
class _Pass:
    """One pass over some hosts with at most ``workers`` sessions at a time."""

    workers: int
    attempt_no: int
    ctx: CollectContext
    resolve: Callable[[Host], NetPlatform]
    known: KnownHosts
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: int = 0
    _started: int = 0

    def run(self, hosts: Sequence[Host], done: Callable[[_Attempt], None]) -> None:
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="netmiko") as pool:
            futures = [pool.submit(self._one, host, done) for host in hosts]
        for future in futures:
            future.result()  # a failing emit() is the caller's bug: surface it, do not lose it

    def _one(self, host: Host, done: Callable[[_Attempt], None]) -> None:
        if self.ctx.cancel.is_set():
            done(_Attempt(host, _aborted(host, self.attempt_no), busy=False))
            return
        with self._lock:
            self._in_flight += 1
            self._started += 1
            crowd_at_start, started_at_start = self._in_flight, self._started
        result = _attempt(host, self.resolve, self.attempt_no, self.known)
        with self._lock:
            busy = crowd_at_start > 1 or self._in_flight > 1 or self._started != started_at_start
            self._in_flight -= 1
        done(_Attempt(host, result, busy))


def _attempt(host: Host, resolve: Callable[[Host], NetPlatform], attempt_no: int, known: KnownHosts) -> HostResult:
    started = utcnow()
    try:
        snapshot = collect_host(host, resolve(host), known)
    except PatrolError as exc:
        return _failure(host, exc, started, attempt_no)
    except Exception as exc:  # one device never aborts a run
        log.debug("host %s: unexpected error", host.name, exc_info=True)
        return _failure(host, exc, started, attempt_no)
    return HostResult(
        host=host.name,
        status=HostStatus.OK,
        collector=NetmikoCollector.name,
        snapshot=snapshot,
        started_at=started,
        finished_at=utcnow(),
        attempts=attempt_no,
    )


def _failure(host: Host, exc: BaseException, started: datetime, attempt_no: int) -> HostResult:
    result = failure_result(host, NetmikoCollector.name, exc, started, attempts=attempt_no)
    if result.error:
        result.error = _mask(result.error, _secrets_of(host))
    log.info("host %s: %s: %s", host.name, result.status.value, result.error)
    return result


def _aborted(host: Host, attempt_no: int) -> HostResult:
    return HostResult(
        host=host.name,
        status=HostStatus.ABORTED,
        collector=NetmikoCollector.name,
        error="run cancelled before this host was started",
        attempts=attempt_no,
    )


# --------------------------------------------------------------------------- the collector


class NetmikoCollector:
    """Collects network/security devices over SSH with netmiko (entry point ``netmiko``)."""

    name: ClassVar[str] = "netmiko"

    def __init__(self, platforms: Mapping[str, NetPlatform] | None = None) -> None:
        """``platforms`` overrides the ``patrol.platforms`` entry points by name (tests, benches)."""
        self._platforms: Mapping[str, NetPlatform] = dict(platforms or {})

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        """Emit one result per host (from worker threads); returns when all are emitted."""
        if not hosts:
            return
        workers = max(1, min(ctx.forks, len(hosts)))
        retry: list[_Attempt] = []
        retry_lock = threading.Lock()
        resolve = self._platform
        known = KnownHosts(ctx.known_hosts, ctx.user_known_hosts)

        def first_done(attempt: _Attempt) -> None:
            if attempt.result.status is HostStatus.TIMEOUT and attempt.busy:
                with retry_lock:
                    retry.append(attempt)
            else:
                emit(attempt.result)

        _Pass(workers, 1, ctx, resolve, known).run(hosts, first_done)
        self._retry(retry, workers, ctx, emit, known)

    def _platform(self, host: Host) -> NetPlatform:
        return self._platforms.get(host.platform) or _load_platform(host)

    def _retry(
        self, retry: Sequence[_Attempt], workers: int, ctx: CollectContext, emit: Emit, known: KnownHosts
    ) -> None:
        """Retry hosts that timed out in a crowd, once, with half the threads."""
        if not retry:
            return
        if ctx.cancel.is_set():  # they were tried: keep their first result rather than "aborted"
            for attempt in retry:
                emit(attempt.result)
            return
        log.info("retrying %d host(s) that timed out under load, %d at a time", len(retry), workers // 2 or 1)
        first = {attempt.host.name: attempt.result for attempt in retry}

        def retry_done(attempt: _Attempt) -> None:
            aborted = attempt.result.status is HostStatus.ABORTED
            emit(first[attempt.host.name] if aborted else attempt.result)

        hosts = [attempt.host for attempt in retry]
        _Pass(max(1, min(workers // 2, len(hosts))), 2, ctx, self._platform, known).run(hosts, retry_done)
