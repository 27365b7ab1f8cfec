"""Lab business application: nginx in front of a small Python web app (root only).

::

    app-web  https://localhost:18443/          nginx TLS -> app; the leaf certificate, signed by
                                               the lab CA (state_dir/web/ca.pem, trusted by the
                                               inventory's patrol_ca_file), expires in 10 days:
                                               seeded finding app.tls.expiry (urgent)
    app-api  http://localhost:18081/api/orders  nginx plain HTTP -> app; answers 500:
                                               seeded finding app.http.server_error (critical)

The app (stdlib ``http.server`` in a thread of the lab process, 127.0.0.1:18080) serves ``/``
(302 to ``/login``), ``/login`` (a page saying "Sign in"), ``/api/health`` (JSON
``{"status": "ok"}``) and ``/api/orders`` (500). Certificates are made with ``openssl`` at
start, so their dates are always relative to now. Not root, or no nginx: both endpoints are
returned with ``skipped`` set (the run shows them as uninspected).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from patrol.errors import LabError
from patrol.lab.base import Endpoint

__all__ = ["APP_PORT", "HTTPS_PORT", "HTTP_PORT", "LabApp", "WebLab", "make_certificates"]

log = logging.getLogger(__name__)

APP_PORT, HTTPS_PORT, HTTP_PORT = 18080, 18443, 18081
LEAF_DAYS = 10
NOT_ROOT = "nginx lab runs only as root (it writes its own config and binds for the lab): run `patrol lab up` as root"


class _AppHandler(BaseHTTPRequestHandler):
    server_version = "patrol-lab-app/1.0"

    def do_GET(self) -> None:
        if self.path == "/":
            self._answer(302, b"", "text/plain", {"Location": "/login"})
        elif self.path == "/login":
            self._answer(200, b"<html><body><h1>Sign in</h1><form method=post></form></body></html>", "text/html")
        elif self.path == "/api/health":
            self._answer(200, json.dumps({"status": "ok", "version": "1.4.2"}).encode(), "application/json")
        elif self.path == "/api/orders":  # the seeded fault: the orders service is broken
            self._answer(500, b'{"error": "database connection refused"}', "application/json")
        else:
            self._answer(404, b"not found", "text/plain")

    do_POST = do_GET

    def _answer(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": kind, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("app: " + format, *args)


class LabApp:
    """The small web app behind nginx, served from a thread."""

    def __init__(self, address: str = "127.0.0.1", port: int = APP_PORT) -> None:
        self.server = ThreadingHTTPServer((address, port), _AppHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="lab-app", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _openssl(*args: str) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise LabError(f"openssl {args[0]} failed: {done.stderr.strip()[-300:]}")


def make_certificates(folder: Path, days: int = LEAF_DAYS, names: str = "DNS:localhost,IP:127.0.0.1") -> Path:
    """A lab CA (``ca.pem``) and a leaf (``leaf.pem``/``leaf.key``) valid ``days`` from now; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, leaf = (folder / n for n in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
             "-days", "3650", "-subj", "/CN=patrol lab CA")  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    ext = folder / "leaf.ext"
    ext.write_text(f"subjectAltName={names}\nbasicConstraints=CA:FALSE\n", encoding="utf-8")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
             "-out", str(leaf), "-days", str(days), "-extfile", str(ext))  # fmt: skip
    return folder


def _nginx_conf(work: Path, address: str, ports: tuple[int, int, int]) -> str:
    app_port, https_port, http_port = ports
    return f"""daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {work}/tmp/body;
  proxy_temp_path {work}/tmp/proxy;
  fastcgi_temp_path {work}/tmp/fastcgi;
  uwsgi_temp_path {work}/tmp/uwsgi;
  scgi_temp_path {work}/tmp/scgi;
  server_tokens on;
  upstream app {{ server {address}:{app_port}; keepalive 16; }}
  server {{
    listen {address}:{https_port} ssl;
    ssl_certificate {work}/leaf.pem;
    ssl_certificate_key {work}/leaf.key;
    location / {{ proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
  server {{
    listen {address}:{http_port};
    location / {{ proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
"""


def _listening(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((address, port)) == 0


class WebLab:
    """Lab component ``web``: the app and nginx in front of it."""

    name = "web"

    def __init__(
        self, address: str = "127.0.0.1", app_port: int = APP_PORT, https_port: int = HTTPS_PORT,
        http_port: int = HTTP_PORT,
    ) -> None:  # fmt: skip
        self.address = address
        self.ports = (app_port, https_port, http_port)
        self._app: LabApp | None = None
        self._nginx: subprocess.Popen[bytes] | None = None

    def _endpoints(self, skipped: str | None = None) -> list[Endpoint]:
        return [
            Endpoint(host=host, kind=kind, address=self.address, port=port, skipped=skipped)
            for host, kind, port in (
                ("app-web", "nginx-https", self.ports[1]),
                ("app-api", "nginx-http", self.ports[2]),
            )
        ]

    def start(self, state_dir: Path) -> list[Endpoint]:
        """Start the app and nginx; return once both nginx ports accept connections (LabError after 10 s)."""
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if os.geteuid() != 0:
            return self._endpoints(NOT_ROOT)
        if nginx is None:
            return self._endpoints("nginx is not installed: apt-get install nginx (make system-deps)")
        work = make_certificates(state_dir / "web")
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (work / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        (work / "nginx.conf").write_text(_nginx_conf(work, self.address, self.ports), encoding="utf-8")
        self._app = LabApp(self.address, self.ports[0])
        self._app.start()
        with open(work / "nginx.log", "wb") as out:
            self._nginx = subprocess.Popen([nginx, "-c", str(work / "nginx.conf"), "-p", str(work)],
                                           stdin=subprocess.DEVNULL, stdout=out, stderr=out)  # fmt: skip
        try:
            self._wait_ready(work, time.monotonic() + 10)
        except BaseException:
            self.stop()
            raise
        return self._endpoints()

    def _wait_ready(self, work: Path, deadline: float) -> None:
        while not all(_listening(self.address, port) for port in self.ports[1:]):
            if self._nginx is not None and self._nginx.poll() is not None:
                error_log = work / "nginx-error.log"
                tail = error_log.read_text(errors="replace")[-400:] if error_log.exists() else ""
                raise LabError(f"nginx exited with code {self._nginx.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise LabError(f"nginx did not listen on {self.ports[1]}/{self.ports[2]} within 10 s; see {work}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop nginx (kill after 5 s) and the app."""
        if self._nginx is not None:
            self._nginx.terminate()
            try:
                self._nginx.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
                self._nginx.wait(timeout=5)
            self._nginx = None
        if self._app is not None:
            self._app.stop()
            self._app = None
