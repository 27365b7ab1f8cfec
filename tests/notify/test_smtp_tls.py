"""SMTP STARTTLS verifies the server (issue 14, section 6): a real aiosmtpd server offering
STARTTLS with a certificate from a private CA made by openssl for the test. Without the CA the
mail is refused before anything is sent; with ``ca_file`` it is delivered; a certificate for
another name is refused even with the CA."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from patrol.notify import Message
from patrol.notify.base import NotifyError, build_notifier
from tests.conftest import free_ports
from tests.tickets.conftest import Mailbox

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command (Debian openssl)")

LEAF = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" \
       "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"  # fmt: skip


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def _leaf(folder: Path, name: str, san: str) -> tuple[Path, Path]:
    """A server certificate signed by the test CA in ``folder`` for ``san`` (e.g. IP:127.0.0.1)."""
    (folder / f"{name}.ext").write_text(LEAF + f"subjectAltName={san}\n")
    _openssl(folder, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")  # fmt: skip
    _openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")  # fmt: skip
    return folder / f"{name}.pem", folder / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    _openssl(folder, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=patrol test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    _leaf(folder, "loopback", "IP:127.0.0.1")
    _leaf(folder, "elsewhere", "DNS:mail.elsewhere.example")
    return folder


@contextmanager
def starttls_server(pki: Path, name: str) -> Iterator[tuple[int, Mailbox]]:
    """aiosmtpd on loopback that offers (and requires) STARTTLS with the certificate ``name``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / f"{name}.pem", pki / f"{name}.key")
    box, port = Mailbox(), free_ports(1)[0]
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def _send(port: int, **options: str) -> None:
    target = {"host": "127.0.0.1", "port": port, "sender": "patrol@lab", "to": ["noc@lab"], "starttls": True}
    build_notifier("smtp", target | options).send(Message("warning", "core-sw1 NTP", "two findings"))


def test_starttls_refuses_a_server_whose_certificate_does_not_verify(pki: Path) -> None:
    with starttls_server(pki, "loopback") as (port, box):
        with pytest.raises(NotifyError) as refused:
            _send(port)
        assert box.messages == []
    message = str(refused.value)
    assert f"127.0.0.1:{port}: STARTTLS refused" in message and "certificate does not verify" in message
    assert "set ca_file" in message and "nothing was sent" in message


def test_starttls_delivers_with_the_private_ca_in_ca_file(pki: Path) -> None:
    with starttls_server(pki, "loopback") as (port, box):
        _send(port, ca_file=str(pki / "ca.pem"))
        [mail] = box.messages
    assert mail["Subject"] == "core-sw1 NTP" and mail.get_content().strip() == "two findings"


def test_starttls_refuses_a_certificate_for_another_name_even_with_the_ca(pki: Path) -> None:
    with starttls_server(pki, "elsewhere") as (port, box):
        with pytest.raises(NotifyError, match=r"Hostname mismatch|IP address mismatch") as refused:
            _send(port, ca_file=str(pki / "ca.pem"))
        assert box.messages == []
    assert f"ca_file {pki / 'ca.pem'}" in str(refused.value)


def test_a_ca_file_that_is_not_pem_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(NotifyError, match=f"ca_file {bad}: cannot load it as PEM CA certificates"):
        _send(free_ports(1)[0], ca_file=str(bad))
