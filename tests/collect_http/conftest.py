"""Real peers of the http collector: the lab's nginx + app (root), plain Python HTTPS servers with
self-signed / expired / misnamed certificates, a listener that never answers, and target builders."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from patrol.lab.web_lab import WebLab
from patrol.models import DeviceClass, Host
from tests.conftest import free_ports

IS_ROOT = os.geteuid() == 0
HAS_NGINX = shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


@pytest.fixture(scope="package")
def web_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The lab's nginx in front of the app on free ports: {'https': port, 'http': port, 'ca': ca.pem}."""
    if not IS_ROOT:
        pytest.skip("the nginx lab runs only as root (run the tests as root: make test)")
    if not HAS_NGINX:
        pytest.skip("nginx is not installed: make system-deps (Debian package nginx)")
    app, https, http = free_ports(3)
    state = tmp_path_factory.mktemp("web-state")
    lab = WebLab(app_port=app, https_port=https, http_port=http)
    endpoints = lab.start(state)
    assert [e.skipped for e in endpoints] == [None, None]
    yield {"https": https, "http": http, "ca": str(state / "web" / "ca.pem")}
    lab.stop()


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _certificate(folder: Path, name: str, days: float, san: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``san`` valid until now + ``days`` (negative: already expired)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, san)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


TlsServer = Callable[[str, float, str], int]


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    """``tls_server(name, days, san) -> port``: an HTTPS server answering 200 with a self-signed certificate."""
    servers: list[ThreadingHTTPServer] = []

    def start(name: str, days: float, san: str) -> int:
        cert, key = _certificate(tmp_path, name, days, san)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A TCP listener that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


TargetFactory = Callable[..., Host]


@pytest.fixture
def target() -> TargetFactory:
    """``target(name, url, timeout=5, **vars)``: an inventory host of platform http."""

    def build(name: str, url: str, timeout: float = 5.0, **variables: Any) -> Host:
        return Host(
            name=name, address="127.0.0.1", device_class=DeviceClass.HOST, platform="http", collector="http",
            groups=("apps",), connect_timeout=timeout, command_timeout=timeout,
            vars={"patrol_platform": "http", "patrol_url": url, **variables},
        )  # fmt: skip

    return build
