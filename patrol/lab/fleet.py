"""Many FakeNOS SSH devices in one process, cheaply.

:func:`start_fleet` turns a list of :class:`FleetDevice` into running SSH servers and returns a
:class:`Fleet` once every port accepts TCP connections::

    fleet = start_fleet([
        FleetDevice("core-sw1", "cisco_ios", 6001, "patrol", "Lab-Net-Pass1",
                    commands={"show running-config": {"output": "hostname core-sw1\\n...",
                                                      "prompt": ["{base_prompt}#"]}}),
        FleetDevice("edge-r1", "juniper_junos", 6004, "patrol", "Lab-Net-Pass1"),
    ])
    fleet.endpoints   # [Endpoint(host="core-sw1", kind="fakenos:cisco_ios",
                      #           address="127.0.0.1", port=6001, proto="tcp"), ...]
    fleet.update_commands("core-sw1", {...})   # drift: next SSH session sees the new outputs
    fleet.stop()

What this module changes compared with stock ``fakenos.FakeNOS`` (measured on 2 cores; see
``/work/shared/LAB-NOTES.md``). Nothing is monkey-patched: the fixes live in
:class:`FleetSshServer`, a subclass of fakenos' ``ParamikoSshServer`` used only by this module,
so importing patrol never alters fakenos.

* Each platform's NOS definition is parsed once per process (with libyaml) and shared by all
  its devices, and so is the RSA host key (stock FakeNOS decodes both per host, ~80 ms CPU
  each): 200 devices are up in ~0.2 s instead of ~11-18 s.
* Each device gets its own hostname and prompt (stock ``replicas:`` gives every copy the same).
* Session I/O waits instead of polling: stock ``TapIO.readline`` sleeps 10 ms in a loop per open
  session (100 wake-ups/s each, even idle); :class:`_WaitingTap` blocks on a
  ``threading.Condition``.
* Typed input is echoed without the stock 10 ms sleep per byte (≥ 2.3 s per device). Bytes that
  arrived together are echoed in one write, and shell output lines that are already queued are
  sent in one write, as a real device's TCP stream does. The data and its order are unchanged:
  each typed line still goes to the shell whole, and bytes typed after a newline are still
  echoed only once the shell has replied (the stock ``shell_replied_event`` rule).
* Stopping a fleet stops all devices at once (stock: one by one, ~1 s each). Sessions run in
  daemon threads; failed handshakes are logged at debug level. Config mode: ``config_mode.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import paramiko
import yaml
from fakenos.core.nos import Nos
from fakenos.core.pydantic_models import ModelNosCommand
from fakenos.core.servers import TCPServerBase
from fakenos.plugins.nos import nos_plugins
from fakenos.plugins.servers.ssh_server_paramiko import DEFAULT_SSH_KEY, ParamikoSshServer
from fakenos.plugins.shell.cmd_shell import CMDShell

from patrol.errors import LabError
from patrol.lab.auth_log import RecordingInterface
from patrol.lab.base import Endpoint
from patrol.lab.config_mode import RunningConfig, config_shell

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USERNAME", "Fleet", "FleetDevice", "FleetSshServer", "shared_nos",
           "start_fleet"]  # fmt: skip

log = logging.getLogger(__name__)
#: SSH transports log here: dropped clients are routine for an emulator (only critical shows).
_TRANSPORT_LOG = logging.getLogger(f"{__name__}.transport")
_TRANSPORT_LOG.setLevel(logging.CRITICAL)

DEFAULT_USERNAME = "patrol"  # the benchmark fleet's (python -m patrol.lab.fleet) lab-only credentials
DEFAULT_PASSWORD = "Lab-Net-Pass1"  # a documented lab credential, not a real secret

@dataclass(frozen=True)
class FleetDevice:
    """One emulated device. ``commands`` are FakeNOS custom commands that override the stock ones:
    ``{"show running-config": {"output": "...", "prompt": ["{base_prompt}#"], "help": "..."}}``
    (``output`` may be a callable ``(device, base_prompt=, current_prompt=, command=) -> str``;
    ``new_prompt`` switches the prompt after the command). ``config_mode=True``: see :mod:`patrol.lab.config_mode`
    (``reject_config``: regexes of config lines the device refuses)."""

    name: str
    platform: str
    port: int
    username: str
    password: str = field(repr=False)
    address: str = "127.0.0.1"
    commands: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    config_mode: bool = False
    reject_config: tuple[str, ...] = ()
    #: SSH host key; None: fakenos' built-in one, the same on every start (a restart is no re-key)
    host_key: paramiko.PKey | None = field(default=None, repr=False)


_NOS_CACHE: dict[str, Nos] = {}
#: Platforms whose stock FakeNOS prompt a real device never shows and netmiko refuses: FakeNOS'
#: FortiGate starts at ``host>``, netmiko's FortiOS driver wants ``host # ``.
_INITIAL_PROMPTS = {"fortinet": "{base_prompt} # "}
_NOS_LOCK = threading.Lock()


def shared_nos(platform: str) -> Nos:
    """The parsed FakeNOS NOS definition of ``platform``, parsed once per process.

    Raises :class:`LabError` naming the known platforms when ``platform`` is not one of them.
    """
    with _NOS_LOCK:
        if platform not in _NOS_CACHE:
            if platform not in nos_plugins:
                known = ", ".join(sorted(nos_plugins))
                raise LabError(f"FakeNOS has no platform {platform!r}; known platforms: {known}")
            _NOS_CACHE[platform] = _parse_nos(nos_plugins[platform])
            _NOS_CACHE[platform].initial_prompt = _INITIAL_PROMPTS.get(platform, _NOS_CACHE[platform].initial_prompt)
        return _NOS_CACHE[platform]


def _parse_nos(files: Sequence[str]) -> Nos:
    """Like ``Nos(filename=files)`` but YAML is read with libyaml (≈ 10x faster than pure Python)."""
    nos = Nos()
    for filename in files:
        if filename.endswith((".yaml", ".yml")):
            with open(filename, encoding="utf-8") as stream:
                nos.from_dict(yaml.load(stream, Loader=_YamlLoader))
        else:
            nos.from_file(filename)
    nos.validate()
    return nos


_HOST_KEY: list[paramiko.RSAKey] = []


def _host_key() -> paramiko.RSAKey:
    """fakenos' built-in RSA host key, decoded once (each decode costs ~70 ms of CPU)."""
    with _NOS_LOCK:
        if not _HOST_KEY:
            _HOST_KEY.append(paramiko.RSAKey(file_obj=io.StringIO(DEFAULT_SSH_KEY)))
        return _HOST_KEY[0]


def _validated_commands(device: FleetDevice) -> dict[str, dict[str, Any]]:
    """Check the custom commands' shape now, naming the device and command when one is wrong."""
    checked: dict[str, dict[str, Any]] = {}
    for command, spec in device.commands.items():
        try:
            ModelNosCommand(**spec)
        except Exception as exc:  # pydantic.ValidationError or TypeError for a non-mapping
            raise LabError(
                f"fleet device {device.name!r}: custom command {command!r} is invalid: {exc}; "
                "expected {'output': str | callable | None, 'prompt': str | [str], 'help': str}"
            ) from exc
        checked[command] = dict(spec)
    return checked


class _SessionClosed(Exception):
    """The client went away or the device stopped: ends the shell's command loop."""


class _WaitingTap:
    """A line queue between the SSH channel and the shell that waits instead of polling.

    It stands in for fakenos' ``TapIO`` (the shell only calls ``readline``/``write``/``flush``).
    """

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._closed = False

    def write(self, value: str) -> int:
        with self._cond:
            self._lines.append(value)
            self._cond.notify_all()
        return len(value)

    def flush(self) -> None:
        """The shell flushes after its prompt; nothing is buffered here."""

    def readline(self) -> str:
        """The oldest queued line, waiting for one; :class:`_SessionClosed` once closed and empty."""
        with self._cond:
            while not self._lines and not self._closed:
                self._cond.wait()
            if not self._lines:
                raise _SessionClosed
            return self._lines.pop(0)

    def read_queued(self) -> str | None:
        """Every queued line joined (waiting for at least one); ``None`` once closed and empty."""
        with self._cond:
            while not self._lines and not self._closed:
                self._cond.wait()
            if not self._lines:
                return None
            lines, self._lines = self._lines, []
        return "".join(line.replace("\n", "\r\n") if "\r\n" not in line else line for line in lines)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def _typed_to_shell(channel: paramiko.Channel, shell_in: _WaitingTap, replied: threading.Event) -> None:
    """Echo what the client types and hand each complete line to the shell.

    Same rules as fakenos' ``channel_to_shell_tap``: ``\\r`` or ``\\n`` echoes ``\\r\\n`` and sends
    the line (with its terminator) to the shell; ``\\x00`` is echoed but not kept; after a line is
    sent, the next byte waits (≤ 10 s) until the shell has written something back.
    """
    line = bytearray()
    while True:
        chunk = channel.recv(4096)
        if not chunk:  # the client closed the session (or the device is stopping)
            shell_in.close()
            return
        echo = bytearray()
        for byte in chunk:
            if not replied.is_set():
                _send(channel, echo)
                replied.wait(10)
            if byte in (0x0D, 0x0A):
                echo += b"\r\n"
                _send(channel, echo)
                line.append(byte)
                shell_in.write(line.decode("utf-8", errors="replace"))
                line.clear()
                replied.clear()
            else:
                echo.append(byte)
                if byte != 0:
                    line.append(byte)
        _send(channel, echo)


def _send(channel: paramiko.Channel, data: bytearray) -> None:
    if data:
        channel.sendall(bytes(data))
        data.clear()


def _shell_to_channel(channel: paramiko.Channel, shell_out: _WaitingTap, replied: threading.Event) -> None:
    """Send the shell's output to the client, all queued lines in one write."""
    while True:
        text = shell_out.read_queued()
        if text is None or channel.closed:
            return
        channel.sendall(text.encode("utf-8"))
        replied.set()


def _pump(target: Any, *args: Any) -> None:
    """Run a session pump; a client that went away is normal, not an error."""
    try:
        target(*args)
    except (OSError, EOFError, paramiko.SSHException) as exc:
        log.debug("fleet session pump ended: %s", exc)


class FleetSshServer(ParamikoSshServer):
    """fakenos' paramiko SSH server with waiting session I/O, daemon threads and a quiet teardown."""

    def __init__(
        self,
        *,
        shell: type,
        nos: Nos,
        nos_inventory_config: dict[str, Any],
        port: int,
        username: str,
        password: str,
        shell_configuration: dict[str, Any],
        address: str = "127.0.0.1",
        host_key: paramiko.PKey | None = None,
    ) -> None:
        # The parent's __init__ only stores these and decodes the host key again for every
        # device; the shared key (or the device's own) is set here instead.
        TCPServerBase.__init__(self, address=address, port=port, timeout=1)
        self.nos = nos
        self.nos_inventory_config = nos_inventory_config
        self.shell = shell
        self.shell_configuration = shell_configuration
        self.ssh_banner = "FakeNOS Paramiko SSH Server"
        self.username = username
        self.password = password
        self.watchdog_interval = 1.0
        self._active_sessions: set[paramiko.Transport] = set()
        self._active_sessions_lock = threading.Lock()
        self._ssh_server_key = host_key or _host_key()
        self.auth_log: list[str] = []  # see patrol.lab.auth_log

    def _bind_sockets(self) -> None:
        super()._bind_sockets()
        assert self._socket is not None
        self._socket.listen(128)  # accept from the moment start() returns

    def _listen(self) -> None:
        listener = self._socket
        while listener is not None and self._is_running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            threading.Thread(
                target=self.connection_function,
                args=(client, self._is_running),
                name=f"fleet-{self.port}-session",
                daemon=True,
            ).start()

    def connection_function(self, client: socket.socket, is_running: threading.Event) -> None:
        session = paramiko.Transport(client)
        session.set_log_channel(_TRANSPORT_LOG.name)
        # No group-exchange: the server has no moduli to serve it (netmiko's FortiOS driver, limited
        # to group14-sha1 and the group-exchange kexes, would pick one and be cut off at login).
        options = session.get_security_options()
        options.kex = tuple(k for k in options.kex if "group-exchange" not in k)
        with self._active_sessions_lock:
            self._active_sessions.add(session)
        try:
            self._serve(session, is_running)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            log.debug("fleet device on port %s: session ended: %s", self.port, exc)
        finally:
            session.close()
            with self._active_sessions_lock:
                self._active_sessions.discard(session)

    def _serve(self, session: paramiko.Transport, is_running: threading.Event) -> None:
        session.add_server_key(self._ssh_server_key)
        interface = RecordingInterface(
            self.auth_log, ssh_banner=self.ssh_banner, username=self.username, password=self.password
        )
        session.start_server(server=interface)
        channel = session.accept(timeout=60)
        if channel is None:  # authentication failed or the client left before opening a shell
            return
        shell_in, shell_out, replied = _WaitingTap(), _WaitingTap(), threading.Event()
        shell = self.shell(
            stdin=shell_in,
            stdout=shell_out,
            nos=self.nos,
            nos_inventory_config=self.nos_inventory_config,
            is_running=is_running,
            **self.shell_configuration,
        )
        for target, tap in ((_typed_to_shell, shell_in), (_shell_to_channel, shell_out)):
            threading.Thread(target=_pump, args=(target, channel, tap, replied), daemon=True).start()
        try:
            shell.start()
        except _SessionClosed:
            log.debug("fleet device on port %s: client closed the session", self.port)
        finally:
            shell_out.close()
            shell_in.close()
            channel.close()

    def begin_stop(self) -> None:
        """Stop accepting and close sessions without waiting (see :meth:`Fleet.stop`)."""
        self._is_running.clear()
        if self._socket is not None:
            with contextlib.suppress(OSError):  # not connected: nothing to shut down
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
        self._close_active_connections()


class Fleet:
    """Running fleet devices. Not started directly: use :func:`start_fleet`."""

    def __init__(self, devices: Sequence[FleetDevice], servers: Sequence[FleetSshServer]) -> None:
        self.devices: tuple[FleetDevice, ...] = tuple(devices)
        self._servers = {device.name: server for device, server in zip(devices, servers, strict=True)}

    @property
    def endpoints(self) -> list[Endpoint]:
        """One :class:`Endpoint` per device, kind ``fakenos:<platform>``."""
        return [Endpoint(d.name, f"fakenos:{d.platform}", d.address, d.port) for d in self.devices]

    def update_commands(self, name: str, commands: Mapping[str, Mapping[str, Any]]) -> None:
        """Merge custom commands into device ``name``; sessions opened afterwards see them."""
        if name not in self._servers:
            raise LabError(f"fleet has no device {name!r}; devices: {', '.join(self._servers)}")
        device = next(d for d in self.devices if d.name == name)
        checked = _validated_commands(FleetDevice(name, device.platform, 0, "", "", commands=commands))
        config = self._servers[name].nos_inventory_config
        config["commands"] = {**config.get("commands", {}), **checked}  # swapped whole: sessions copy it
        running = self._servers[name].shell_configuration.get("running_config")
        if isinstance(running, RunningConfig) and "show running-config" in checked:
            seed = checked["show running-config"].get("output")  # a config-mode device answers from it
            running.replace(seed() if callable(seed) else str(seed or ""))

    def auth_log(self, name: str) -> list[str]:
        """Device ``name``'s authentication attempts so far (``"password patrol"``, …; no secrets)."""
        return list(self._servers[name].auth_log)

    def running_config(self, name: str) -> RunningConfig:
        """The emulated configuration of a ``config_mode`` device (``.text()``, ``.startup_text()``)."""
        if not isinstance(config := self._servers[name].shell_configuration.get("running_config"), RunningConfig):
            raise LabError(f"fleet device {name!r} was not started with config_mode=True")
        return config

    def stop(self) -> None:
        """Stop every device at once; returns within ~2 s even with open sessions."""
        for server in (servers := list(self._servers.values())):
            server.begin_stop()
        deadline = time.monotonic() + 2.0
        for server in servers:
            if server._listen_thread is not None:
                server._listen_thread.join(max(0.0, deadline - time.monotonic()))
        log.info("fleet stopped: %d devices", len(servers))


def _make_server(device: FleetDevice) -> FleetSshServer:
    commands = _validated_commands(device)
    shell, shell_configuration = config_shell(device.name, commands, device.reject_config, device.config_mode)
    return FleetSshServer(
        shell=shell or CMDShell,
        nos=shared_nos(device.platform),
        nos_inventory_config={"commands": commands},
        port=device.port,
        username=device.username,
        password=device.password,
        shell_configuration=shell_configuration,
        address=device.address,
        host_key=device.host_key,
    )


def _check_unique(devices: Sequence[FleetDevice]) -> None:
    seen_names: set[str] = set()
    seen_ports: set[tuple[str, int]] = set()
    for device in devices:
        if device.name in seen_names:
            raise LabError(f"fleet device name {device.name!r} is used twice; names must be unique")
        if (device.address, device.port) in seen_ports:
            raise LabError(f"fleet device {device.name!r}: port {device.address}:{device.port} is used twice")
        seen_names.add(device.name)
        seen_ports.add((device.address, device.port))


def _wait_listening(devices: Sequence[FleetDevice], servers: Sequence[FleetSshServer], timeout: float) -> None:
    """Return once every socket listens (checked with ``SO_ACCEPTCONN``: no probe session is made)."""
    deadline = time.monotonic() + timeout
    for device, server in zip(devices, servers, strict=True):
        while not (server._socket and server._socket.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
            if time.monotonic() > deadline:
                raise LabError(f"fleet device {device.name!r} does not listen on {device.address}:{device.port}")
            time.sleep(0.01)


def start_fleet(devices: Sequence[FleetDevice], *, ready_timeout: float = 60) -> Fleet:
    """Start ``devices``; return once every port accepts TCP connections.

    Raises :class:`LabError` for an unknown platform, a duplicate name or port, a port that
    cannot be bound (already in use) or a device not listening within ``ready_timeout`` s.
    Devices already started are stopped again before the error is raised.
    """
    _check_unique(devices)
    started = time.monotonic()
    servers: list[FleetSshServer] = []
    try:
        for device in devices:
            server = _make_server(device)
            try:
                server.start()
            except OSError as exc:
                raise LabError(
                    f"fleet device {device.name!r}: cannot listen on {device.address}:{device.port}: {exc}"
                ) from exc
            servers.append(server)
        _wait_listening(devices, servers, ready_timeout - (time.monotonic() - started))
    except BaseException:
        for server in servers:
            server.begin_stop()
        raise
    log.info("fleet ready: %d devices", len(devices))
    return Fleet(devices, servers)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m patrol.lab.fleet", description="Run N FakeNOS devices "
                                     "(names dev0000…) in the foreground until SIGTERM/SIGINT.")  # fmt: skip
    parser.add_argument("--platform", default="cisco_ios")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--base-port", type=int, default=7000)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--prefix", default="dev")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: start the fleet, print ``ready N``, serve until SIGTERM/SIGINT."""
    args = _parse_args(argv)
    user, password, address = DEFAULT_USERNAME, DEFAULT_PASSWORD, args.address
    devices = [FleetDevice(f"{args.prefix}{i:04d}", args.platform, args.base_port + i, user, password, address)
               for i in range(args.count)]  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fleet = start_fleet(devices)
    print(f"ready {len(devices)}", flush=True)
    stop.wait()
    fleet.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
