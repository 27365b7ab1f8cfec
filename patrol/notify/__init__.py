"""Notifications (a stage after tickets): one interface, adapters found through ``patrol.notifiers``.

Shipped adapters: ``smtp`` (e-mail), ``webhook`` (generic JSON), ``jira`` (ITSM issue create /
transition / comment). Messages go through the outbox (:mod:`patrol.notify.outbox`).
"""

from patrol.notify.base import GROUP, Attachment, Message, Notifier, NotifyError, build_notifier
from patrol.notify.outbox import Delivery, deliver, enqueue, outbox_rows

__all__ = ["GROUP", "Attachment", "Delivery", "Message", "Notifier", "NotifyError", "build_notifier", "deliver",
           "enqueue", "outbox_rows"]  # fmt: skip
