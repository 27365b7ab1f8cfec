"""Fixtures of the notification tests: the SMTP / HTTP peers and the store of the ticket tests."""

from tests.tickets.conftest import http_peer, smtp, store

__all__ = ["http_peer", "smtp", "store"]
