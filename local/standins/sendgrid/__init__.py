"""A SendGrid sink: accepts ``POST /v3/mail/send`` and shows what was "sent"."""

from .app import SinkState, create_app
from .server import SendGridSink

__all__ = ["SendGridSink", "SinkState", "create_app"]
