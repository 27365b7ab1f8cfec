"""E-mail over SMTP (``type: smtp``).

Options: ``host``, ``port`` (25), ``sender``, ``to`` (list), ``starttls`` (false), ``ca_file``,
``username``, ``password_env`` (the name of an environment variable holding the password: never
the password itself), ``timeout`` (10 s). A message's attachments are attached to the mail (MIME
type from the file name); an attachment file that is gone is a :class:`NotifyError` naming its path.

STARTTLS verifies the server: its certificate must chain to a trusted CA (the system's, or the
PEM file ``ca_file`` names: a private CA) and name ``host``. A server that fails is refused
before anything (credentials, mail) is sent, with a :class:`NotifyError` saying why::

    - {name: noc-mail, type: smtp, host: mail.corp.example, port: 587, starttls: true,
       ca_file: /etc/patrol/corp-ca.pem, sender: patrol@corp.example, to: [noc@corp.example]}
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from pydantic import Field

from patrol.notify.base import Message, NotifierOptions, NotifyError
from patrol.sanitize import secret_from_env

__all__ = ["SmtpNotifier", "SmtpOptions"]


class SmtpOptions(NotifierOptions):
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(min_length=3)
    to: tuple[str, ...] = Field(min_length=1)
    starttls: bool = False
    ca_file: str | None = Field(default=None, min_length=1, description="PEM CA bundle that signs the server")
    username: str | None = None
    password_env: str | None = None
    timeout: float = Field(default=10.0, gt=0)


class SmtpNotifier:
    name = "smtp"

    def __init__(self, options: SmtpOptions) -> None:
        self.options = options

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> SmtpNotifier:
        return cls(SmtpOptions.model_validate(options))

    def _email(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.options.sender
        mail["To"] = ", ".join(self.options.to)
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            mail.add_attachment(attachment.read(self.name), maintype=maintype, subtype=subtype or "octet-stream",
                                filename=attachment.filename)  # fmt: skip
        return mail

    def _tls(self) -> ssl.SSLContext:
        """Certificate and host name verified; the system CAs, or ``ca_file`` only when given."""
        try:
            return ssl.create_default_context(cafile=self.options.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise NotifyError("smtp", f"ca_file {self.options.ca_file}: cannot load it as PEM CA certificates: "
                                      f"{exc}") from exc  # fmt: skip

    def send(self, message: Message) -> str | None:
        opts = self.options
        mail = self._email(message)  # reads the attachments first: a missing file is not an SMTP error
        tls = self._tls() if opts.starttls else None
        try:
            with smtplib.SMTP(opts.host, opts.port, timeout=opts.timeout) as smtp:
                if tls is not None:
                    smtp.starttls(context=tls)
                if opts.username:
                    smtp.login(opts.username, secret_from_env(opts.password_env))
                smtp.send_message(mail)
        except ssl.SSLCertVerificationError as exc:
            hint = f"ca_file {opts.ca_file}" if opts.ca_file else "set ca_file to the CA that signs it"
            raise NotifyError(
                "smtp",
                f"{opts.host}:{opts.port}: STARTTLS refused, the server's certificate does not verify "
                f"({exc.verify_message}; {hint}); nothing was sent",
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError("smtp", f"{opts.host}:{opts.port}: {type(exc).__name__}: {exc}") from exc
        return None
