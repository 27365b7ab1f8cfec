"""E-mail over SMTP (``type: smtp``).

Options: ``host``, ``port`` (25), ``sender``, ``to`` (list), ``starttls`` (false), ``username``,
``password_env`` (the name of an environment variable holding the password: never the password
itself), ``timeout`` (10 s). A message's attachments are attached to the mail (MIME type from
the file name); an attachment file that is gone is a :class:`NotifyError` naming its path.
"""

from __future__ import annotations

import smtplib
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

    def send(self, message: Message) -> str | None:
        opts = self.options
        mail = self._email(message)  # reads the attachments first: a missing file is not an SMTP error
        try:
            with smtplib.SMTP(opts.host, opts.port, timeout=opts.timeout) as smtp:
                if opts.starttls:
                    smtp.starttls()
                if opts.username:
                    smtp.login(opts.username, secret_from_env(opts.password_env))
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError("smtp", f"{opts.host}:{opts.port}: {type(exc).__name__}: {exc}") from exc
        return None
