"""``patrol serve``: the scheduler loop, the SLA timer, the report delivery timer and the REST API in one process.

Three timers, each in its own thread: the inspection scheduler (every ``tick`` seconds,
:class:`patrol.service.scheduler.Scheduler`), the SLA clock check with the notification outbox
(every ``sla_every`` seconds, :class:`SlaTimer`) and the report deliveries of report schedules
(every ``tick`` seconds, :class:`patrol.service.deliveries.DeliveryTimer`).

Lifecycle: on start the contract is loaded and the declared schedules (``inspect/schedules.yml``,
recipients checked against the contract's ``notify:`` targets) are written over the stored ones
(bad input stops the start, nothing served). SIGTERM or Ctrl-C stops the HTTP server, stops
claiming firings, cancels running inspections — their in-flight hosts finish for up to
:data:`patrol.runner.DRAIN_SECONDS`, then the run is closed as ``aborted`` — and exits. A
restart resumes every schedule from the database (misfire policy in :mod:`patrol.service.schedules`).

``certfile`` + ``keyfile`` (PEM) serve HTTPS instead of HTTP; ``public_docs`` opens ``/docs``,
``/redoc`` and ``/openapi.json`` to requests without a token. The server's vault secret
(``settings.vault_password_file``) must be a readable file when set: a missing one stops the start.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from patrol.config import Settings
from patrol.errors import ConfigError
from patrol.notify import deliver
from patrol.runner import DRAIN_SECONDS
from patrol.service.api import create_app
from patrol.service.deliveries import DeliveryTimer
from patrol.service.deps import ServiceState
from patrol.service.scheduler import Scheduler
from patrol.service.schedules import SCHEDULES_FILE, sync_declared
from patrol.store import Store
from patrol.tickets import ServiceContract, check_sla, load_contract

__all__ = ["ServeOptions", "SlaTimer", "parse_bind", "serve_forever"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    tick: float = 5.0
    sla_every: float = 60.0
    schedules_file: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    public_docs: bool = False

    def tls(self) -> dict[str, str]:
        """uvicorn's TLS arguments; ConfigError naming the option when only one is given or one is missing."""
        if self.certfile is None and self.keyfile is None:
            return {}
        if self.certfile is None or self.keyfile is None:
            raise ConfigError("HTTPS needs both --certfile and --keyfile (PEM files)", key="certfile")
        for option, path in (("--certfile", self.certfile), ("--keyfile", self.keyfile)):
            if not path.is_file():
                raise ConfigError(f"{option} {path}: no such file", key=option.lstrip("-"))
        return {"ssl_certfile": str(self.certfile), "ssl_keyfile": str(self.keyfile)}


def parse_bind(bind: str) -> tuple[str, int]:
    """``"127.0.0.1:8080"`` -> ``("127.0.0.1", 8080)``; ConfigError naming --bind otherwise."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--bind {bind!r}: expected HOST:PORT, e.g. 127.0.0.1:8080", key="bind")
    return host.strip("[]"), int(port)


class SlaTimer:
    """Runs :func:`patrol.tickets.check_sla` and the outbox delivery every ``every`` seconds, in its own thread."""

    def __init__(self, store: Store, contract: ServiceContract, every: float) -> None:
        self.store, self.contract, self.every = store, contract, every
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sla", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                check_sla(self.store, self.contract)
                deliver(self.store, self.contract.notify)  # due notifications and report deliveries, retried
            except Exception:
                log.exception("SLA check or delivery failed")
            self.stop.wait(self.every)


def serve_forever(settings: Settings, store: Store, options: ServeOptions) -> None:
    """Serve until SIGTERM/SIGINT; returns after the scheduler drained."""
    tls = options.tls()
    vault = settings.vault_password_file
    if vault is not None and not vault.is_file():
        raise ConfigError(
            f"the server's vault password file {vault} does not exist (--vault-password-file, "
            "PATROL_VAULT_PASSWORD_FILE or service.vault_password_file)",
            key="vault_password_file",
        )
    contract = load_contract()
    sync_declared(store, options.schedules_file or SCHEDULES_FILE, contract=contract)
    scheduler = Scheduler(settings, store, options.tick)
    sla = SlaTimer(store, contract, options.sla_every)
    deliveries = DeliveryTimer(settings, store, contract, options.tick)
    app = create_app(ServiceState(settings, store, contract, scheduler, options.public_docs))
    server = uvicorn.Server(uvicorn.Config(app, host=options.host, port=options.port, log_level="warning",
                                           timeout_graceful_shutdown=5, **tls))  # type: ignore[arg-type]  # fmt: skip
    # uvicorn re-raises the signal that stopped it once it is done: ours then only logs, so the
    # scheduler below still drains instead of the process dying mid-run
    previous = {sig: signal.signal(sig, _stopping) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler.start()
    sla.start()
    deliveries.start()
    try:
        server.run()
    finally:
        sla.stop.set()
        deliveries.stop.set()
        scheduler.shutdown(DRAIN_SECONDS + 5)
        deliveries.join(DRAIN_SECONDS)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopping(signum: int, _frame: object) -> None:
    log.warning("signal %d: stopping (running inspections drain up to %.0f s)", signum, DRAIN_SECONDS)
