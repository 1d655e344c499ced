"""The SendGrid sink's Flask app.

- ``POST /v3/mail/send`` with ``Authorization: Bearer <api key>``: validates the v3 payload's
  essentials as SendGrid does (401 without a valid key, 400 without personalizations, from,
  subject or content) and answers 202 with an ``X-Message-Id``.
- ``GET /`` lists the mails as an HTML page; ``GET /_sink/mails[?to=]`` as JSON;
  ``DELETE /_sink/mails`` forgets them.
"""

from __future__ import annotations

import html
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

EXTENSION_KEY = "sendgrid_sink"


@dataclass
class Mail:
    id: str
    received_at: float
    from_email: str
    to: list[str]
    subject: str
    text: str | None
    html: str | None
    categories: list[str]
    payload: dict[str, Any]


@dataclass
class SinkState:
    api_key: str = "SG.local-sink-key"
    clock: Callable[[], float] = time.time
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, mail: Mail) -> None:
        with self.lock:
            self.mails.append(mail)

    def list(self, to: str | None = None) -> list[Mail]:
        with self.lock:
            mails = list(self.mails)
        return [m for m in mails if to is None or to.lower() in (t.lower() for t in m.to)]

    def clear(self) -> None:
        with self.lock:
            self.mails.clear()


def _errors(message: str, field_name: str | None, status: int) -> tuple[Response, int]:
    # SendGrid's v3 error shape.
    return jsonify({"errors": [{"message": message, "field": field_name, "help": None}]}), status


def create_app(api_key: str = "SG.local-sink-key", clock: Callable[[], float] = time.time) -> Flask:
    state = SinkState(api_key=api_key, clock=clock)
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state

    @app.post("/v3/mail/send")
    def send() -> tuple[Response, int] | Response:
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {state.api_key}":
            return _errors(
                "The provided authorization grant is invalid, expired, or revoked", None, 401
            )
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _errors("Bad Request", None, 400)
        personalizations = body.get("personalizations") or []
        to = [
            str(r.get("email"))
            for p in personalizations
            if isinstance(p, dict)
            for r in (p.get("to") or [])
            if isinstance(r, dict) and r.get("email")
        ]
        if not to:
            return _errors("The personalizations field is required", "personalizations", 400)
        sender = (body.get("from") or {}).get("email")
        if not sender:
            return _errors("The from object must be provided", "from.email", 400)
        subject = body.get("subject") or next(
            (
                p.get("subject")
                for p in personalizations
                if isinstance(p, dict) and p.get("subject")
            ),
            None,
        )
        if not subject:
            return _errors("The subject is required", "subject", 400)
        contents = {
            c.get("type"): c.get("value") for c in body.get("content") or [] if isinstance(c, dict)
        }
        if not contents:
            return _errors(
                "Unless a valid template_id is provided, content is required", "content", 400
            )
        mail = Mail(
            id=uuid.uuid4().hex,
            received_at=state.clock(),
            from_email=str(sender),
            to=to,
            subject=str(subject),
            text=contents.get("text/plain"),
            html=contents.get("text/html"),
            categories=[str(c) for c in body.get("categories") or []],
            payload=body,
        )
        state.add(mail)
        response = Response(status=202)
        response.headers["X-Message-Id"] = mail.id
        return response

    @app.get("/_sink/mails")
    def mails_json() -> Response:
        return jsonify({"mails": [asdict(m) for m in state.list(request.args.get("to"))]})

    @app.delete("/_sink/mails")
    def clear() -> tuple[str, int]:
        state.clear()
        return "", 204

    @app.get("/")
    def page() -> Response:
        rows = "".join(
            "<article><h2>{subject}</h2><p>From {sender} to {to} · {cats}</p>"
            "<iframe sandbox srcdoc=\"{body}\" style='width:100%;height:12em'></iframe></article>".format(
                subject=html.escape(m.subject),
                sender=html.escape(m.from_email),
                to=html.escape(", ".join(m.to)),
                cats=html.escape(", ".join(m.categories) or "no category"),
                body=html.escape(m.html or f"<pre>{html.escape(m.text or '')}</pre>", quote=True),
            )
            for m in reversed(state.list())
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>SendGrid sink</title></head>"
            f"<body><h1>SendGrid sink: {len(state.list())} mail(s)</h1>"
            f"{rows or '<p>No mail yet.</p>'}</body></html>"
        )
        return Response(page, mimetype="text/html")

    return app


def sink_state(app: Flask) -> SinkState:
    state: SinkState = app.extensions[EXTENSION_KEY]
    return state
