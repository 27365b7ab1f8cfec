"""The TLS side of an HTTPS target: the peer certificate, its chain and its names.

:func:`probe_tls` connects twice: once without verification to read the leaf certificate
(expiry, subject, issuer, names) whatever its state, once verifying against the system CA
store (or ``patrol_ca_file``) to judge the chain. The hostname is matched against the
certificate's subjectAltNames (``*.`` wildcards in the left-most label), like
``ssl.match_hostname`` did. Result (``TlsFacts.as_dict()``)::

    {"subject": "CN=app.lab.test", "issuer": "CN=patrol lab CA", "not_after": "2026-12-14T17:00:00+00:00",
     "names": ["localhost", "127.0.0.1"], "self_signed": false, "chain_valid": true,
     "verify_error": null, "hostname_match": true, "protocol": "TLSv1.3"}

An expired certificate is judged by its expiry (``cert_days`` checks), not as a broken chain:
``chain_valid`` stays true when the only verification error is the expiry.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import ssl
from dataclasses import asdict, dataclass, field
from datetime import datetime

from cryptography import x509

__all__ = ["TlsFacts", "hostname_matches", "probe_tls"]

#: OpenSSL X509_V_ERR_CERT_HAS_EXPIRED: judged by the expiry checks, not as a chain fault
_EXPIRED = 10


@dataclass
class TlsFacts:
    subject: str | None = None
    issuer: str | None = None
    not_after: datetime | None = None
    names: list[str] = field(default_factory=list)
    self_signed: bool | None = None
    chain_valid: bool | None = None
    verify_error: str | None = None
    hostname_match: bool | None = None
    protocol: str | None = None

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["not_after"] = self.not_after.isoformat() if self.not_after else None
        return data


def hostname_matches(hostname: str, names: list[str]) -> bool:
    """True when ``hostname`` is one of ``names`` (DNS names with a left-most ``*`` label, or IPs)."""
    host = hostname.rstrip(".").lower()
    for name in (n.lower() for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:] and not _is_ip(host):
            return True
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return [*dns, *ips]


async def _handshake(host: str, port: int, context: ssl.SSLContext, server_name: str, timeout: float) -> ssl.SSLObject:
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=server_name), timeout
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object is not None  # an ssl= connection always has one
        return ssl_object
    finally:
        writer.close()


def _verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """One context per CA file and version of it (loading the system store costs ~30 ms of CPU: never
    per target; a CA file replaced while a service runs is read again)."""
    try:
        stamp = os.stat(ca_file).st_mtime_ns if ca_file else 0
    except OSError:
        stamp = -1  # ssl reports the missing file
    return _cached_verifying_context(ca_file, stamp)


@functools.lru_cache(maxsize=64)
def _cached_verifying_context(ca_file: str | None, _stamp: int) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = False  # matched separately, so a name mismatch and a bad chain both show
    return context


@functools.lru_cache(maxsize=1)
def _reading_context() -> ssl.SSLContext:
    """Reads any certificate: no verification, so no CA store to load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


async def probe_tls(host: str, port: int, server_name: str, timeout: float, ca_file: str | None = None) -> TlsFacts:
    """Read and judge the certificate ``host:port`` presents for ``server_name``.

    Connection failures (refused, timeout) propagate: the caller turns them into the target's status.
    """
    ssl_object = await _handshake(host, port, _reading_context(), server_name, timeout)
    der = ssl_object.getpeercert(binary_form=True)
    facts = TlsFacts(protocol=ssl_object.version())
    if not der:
        facts.verify_error = "the server presented no certificate"
        return facts
    cert = x509.load_der_x509_certificate(der)
    facts.subject, facts.issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    facts.not_after = cert.not_valid_after_utc
    facts.names = _names(cert)
    facts.self_signed = cert.subject == cert.issuer
    facts.hostname_match = hostname_matches(server_name, facts.names)
    try:
        verifying = _verifying_context(ca_file)
    except (OSError, ssl.SSLError) as exc:
        facts.verify_error, facts.chain_valid = f"the CA file {ca_file} cannot be used: {exc}", False
        return facts
    try:
        await _handshake(host, port, verifying, server_name, timeout)
    except ssl.SSLCertVerificationError as exc:
        facts.verify_error = exc.verify_message or str(exc)
        facts.chain_valid = exc.verify_code == _EXPIRED
    else:
        facts.chain_valid = True
    return facts
