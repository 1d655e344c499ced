"""The Stripe stand-in's Flask app: the v1 API subset the product uses, hosted Checkout and
Billing Portal pages, and test controls under ``/_fake/``.

The official ``stripe`` library talks to it unchanged (``base_addresses={"api": <url>}``):
form-encoded bodies with bracketed keys, ``Authorization: Bearer <secret key>``,
``Idempotency-Key`` honoured on POSTs, errors in Stripe's ``{"error": {...}}`` shape.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from .state import StripeError, StripeState, WebhookEndpoint, missing

EXTENSION_KEY = "stripe_standin"
_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=1`` -> ``{"a": {"b": [{"c": "1"}]}}`` (how Stripe reads its bodies)."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head = raw_key.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(raw_key[len(head) :])]
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            key = part if part != "" else str(len(node))
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
    result: dict[str, Any] = _lists(root)
    return result


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _lists(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


def _params() -> dict[str, Any]:
    pairs = list(request.form.items(multi=True)) + list(request.args.items(multi=True))
    return decode_form(pairs)


def create_app(
    api_key: str = "sk_test_local_standin",
    *,
    clock: Callable[[], float] = time.time,
    signing_clock: Callable[[], float] = time.time,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_local_standin",  # noqa: S107 (a local test secret)
) -> Flask:
    state = StripeState(api_key=api_key, clock=clock, signing_clock=signing_clock)
    if webhook_url:
        state.endpoint = WebhookEndpoint(webhook_url, webhook_secret)
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state

    @app.errorhandler(StripeError)
    def _stripe_error(exc: StripeError) -> tuple[Response, int]:
        return jsonify(exc.body), exc.status

    @app.before_request
    def _authenticate() -> tuple[Response, int] | None:
        if not request.path.startswith("/v1/"):
            return None
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {state.api_key}":
            shown = header.removeprefix("Bearer ")[-4:]
            raise StripeError(401, f"Invalid API Key provided: ****{shown}", code="api_key_invalid")
        return None

    def api(handler: Callable[..., dict[str, Any]]) -> Callable[..., Response]:
        """JSON answers, and an Idempotency-Key replaying the first answer of a POST."""

        def wrapped(**kwargs: Any) -> Response:
            key = request.headers.get("Idempotency-Key")
            cache_key = (key or "", request.path)
            if request.method == "POST" and key:
                with state.lock:
                    cached = state.idempotency.get(cache_key)
                if cached is not None:
                    response = jsonify(cached[1])
                    response.status_code = cached[0]
                    response.headers["Idempotent-Replayed"] = "true"
                    return _headers(response)
            body = handler(**kwargs)
            if request.method == "POST" and key:
                with state.lock:
                    state.idempotency[cache_key] = (200, body)
            return _headers(jsonify(body))

        wrapped.__name__ = handler.__name__
        return wrapped

    def _headers(response: Response) -> Response:
        response.headers["Request-Id"] = state.new_id("req")
        response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", "")
        return response

    def _list(items: list[dict[str, Any]], url: str) -> dict[str, Any]:
        limit = int(request.args.get("limit", 10))
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}

    def _public(object_id: str, kind: str, prefix: str) -> dict[str, Any]:
        with state.lock:
            return state.public(state.get(kind, object_id, prefix))

    # ------------------------------------------------------------------------- v1 API

    @app.post("/v1/customers")
    @api
    def create_customer() -> dict[str, Any]:
        return state.create_customer(_params())

    @app.get("/v1/customers/<customer_id>")
    @api
    def get_customer(customer_id: str) -> dict[str, Any]:
        return _public(customer_id, "customer", "cus_")

    @app.post("/v1/customers/<customer_id>")
    @api
    def update_customer(customer_id: str) -> dict[str, Any]:
        return state.update_customer(customer_id, _params())

    @app.post("/v1/products")
    @api
    def create_product() -> dict[str, Any]:
        return state.create_product(_params())

    @app.get("/v1/products/<product_id>")
    @api
    def get_product(product_id: str) -> dict[str, Any]:
        return _public(product_id, "product", "prod_")

    @app.post("/v1/prices")
    @api
    def create_price() -> dict[str, Any]:
        return state.create_price(_params())

    @app.get("/v1/prices/<price_id>")
    @api
    def get_price(price_id: str) -> dict[str, Any]:
        return _public(price_id, "price", "price_")

    @app.get("/v1/prices")
    @api
    def list_prices() -> dict[str, Any]:
        params = _params()
        keys = set(params.get("lookup_keys") or [])
        prices = [p for p in state.list_of("price") if not keys or p.get("lookup_key") in keys]
        return _list(prices, "/v1/prices")

    @app.post("/v1/checkout/sessions")
    @api
    def create_checkout_session() -> dict[str, Any]:
        return state.create_checkout_session(_params())

    @app.get("/v1/checkout/sessions/<session_id>")
    @api
    def get_checkout_session(session_id: str) -> dict[str, Any]:
        return _public(session_id, "checkout session", "cs_test_")

    @app.post("/v1/billing_portal/sessions")
    @api
    def create_portal_session() -> dict[str, Any]:
        return state.create_portal_session(_params())

    @app.get("/v1/subscriptions")
    @api
    def list_subscriptions() -> dict[str, Any]:
        params = _params()
        items = state.list_of(
            "subscription", customer=params.get("customer"), status=params.get("status")
        )
        return _list(items, "/v1/subscriptions")

    @app.get("/v1/subscriptions/<subscription_id>")
    @api
    def get_subscription(subscription_id: str) -> dict[str, Any]:
        return _public(subscription_id, "subscription", "sub_")

    @app.post("/v1/subscriptions/<subscription_id>")
    @api
    def update_subscription(subscription_id: str) -> dict[str, Any]:
        return state.update_subscription(subscription_id, _params())

    @app.delete("/v1/subscriptions/<subscription_id>")
    @api
    def cancel_subscription(subscription_id: str) -> dict[str, Any]:
        return state.cancel_subscription(subscription_id)

    @app.get("/v1/invoices/<invoice_id>")
    @api
    def get_invoice(invoice_id: str) -> dict[str, Any]:
        return _public(invoice_id, "invoice", "in_")

    @app.get("/v1/events/<event_id>")
    @api
    def get_event(event_id: str) -> dict[str, Any]:
        return _public(event_id, "event", "evt_")

    @app.get("/v1/events")
    @api
    def list_events() -> dict[str, Any]:
        with state.lock:
            events = [state.public(e) for e in reversed(state.events)]
        kind = request.args.get("type")
        return _list([e for e in events if not kind or e["type"] == kind], "/v1/events")

    @app.route("/v1/<path:rest>", methods=["GET", "POST", "DELETE"])
    def unrecognized(rest: str) -> tuple[Response, int]:
        raise StripeError(
            404, f"Unrecognized request URL ({request.method}: /v1/{rest}).", code=None
        )

    # ----------------------------------------------------------------- hosted pages

    @app.get("/checkout/<session_id>")
    def checkout_page(session_id: str) -> Response:
        with state.lock:
            session = state.get("checkout session", session_id, "cs_test_")
            lines = [(state.objects[i["price"]], i["quantity"]) for i in session["_line_items"]]
            products = [
                state.objects.get(str(p["product"]), {}).get("name", p["id"]) for p, _ in lines
            ]
        amount = f"{(session['amount_total'] or 0) / 100:.2f} {str(session['currency']).upper()}"
        body = (
            f"<h1>Stripe test checkout</h1><p>{html.escape(', '.join(products))}: "
            f"<strong>{html.escape(amount)}</strong> per month</p>"
            f"<p>Status: {html.escape(session['status'])}</p>"
        )
        if session["status"] == "open":
            body += (
                f'<form method="post" action="/checkout/{html.escape(session_id)}/pay">'
                "<p>Card: 4242 4242 4242 4242 (test mode: nothing is charged)</p>"
                '<button type="submit">Subscribe</button></form>'
            )
            if session.get("cancel_url"):
                body += f'<p><a href="{html.escape(session["cancel_url"])}">Cancel</a></p>'
        return _page("Checkout", body)

    @app.post("/checkout/<session_id>/pay")
    def checkout_pay(session_id: str) -> BaseResponse:
        return redirect(state.complete_checkout(session_id), code=303)

    @app.get("/portal/<session_id>")
    def portal_page(session_id: str) -> Response:
        with state.lock:
            session = state.get("billing portal session", session_id, "bps_")
            customer = session["customer"]
        subscriptions = [
            s for s in state.list_of("subscription", customer=customer) if s["status"] != "canceled"
        ]
        prices = [p for p in state.list_of("price") if p["type"] == "recurring" and p["active"]]
        rows = []
        for sub in subscriptions:
            current = sub["items"]["data"][0]["price"]["id"]
            switches = "".join(
                f'<form method="post" action="/portal/{html.escape(session_id)}/update">'
                f'<input type="hidden" name="subscription" value="{sub["id"]}">'
                f'<input type="hidden" name="price" value="{p["id"]}">'
                f'<button type="submit">Switch to {html.escape(p.get("nickname") or p["id"])}'
                "</button></form>"
                for p in prices
                if p["id"] != current
            )
            rows.append(
                f"<section><p>Subscription {sub['id']} ({html.escape(sub['status'])}) on "
                f"{html.escape(current)}</p>{switches}"
                f'<form method="post" action="/portal/{html.escape(session_id)}/cancel">'
                f'<input type="hidden" name="subscription" value="{sub["id"]}">'
                '<button type="submit">Cancel subscription</button></form></section>'
            )
        back = session.get("return_url")
        body = "<h1>Stripe test billing portal</h1>" + ("".join(rows) or "<p>No subscription.</p>")
        if back:
            body += f'<p><a href="{html.escape(back)}">Return</a></p>'
        return _page("Billing portal", body)

    @app.post("/portal/<session_id>/update")
    def portal_update(session_id: str) -> BaseResponse:
        _portal_subscription(session_id)
        state.update_subscription(
            request.form["subscription"], {"items": [{"price": request.form["price"]}]}
        )
        return redirect(f"/portal/{session_id}", code=303)

    @app.post("/portal/<session_id>/cancel")
    def portal_cancel(session_id: str) -> BaseResponse:
        _portal_subscription(session_id)
        state.cancel_subscription(request.form["subscription"])
        return redirect(f"/portal/{session_id}", code=303)

    def _portal_subscription(session_id: str) -> None:
        with state.lock:
            session = state.get("billing portal session", session_id, "bps_")
            subscription = state.get("subscription", request.form.get("subscription", ""), "sub_")
            if subscription["customer"] != session["customer"]:
                raise missing("subscription", subscription["id"])

    # -------------------------------------------------------------------- /_fake/

    @app.get("/_fake/events")
    def fake_events() -> Response:
        return jsonify({"events": state.event_log()})

    @app.post("/_fake/webhooks")
    def fake_webhooks() -> Response:
        body = request.get_json(silent=True) or {}
        with state.lock:
            if "url" in body:
                secret = str(
                    body.get("secret") or (state.endpoint.secret if state.endpoint else "")
                )
                state.endpoint = WebhookEndpoint(str(body["url"]), secret)
            if "paused" in body:
                state.webhooks_paused = bool(body["paused"])
            return jsonify({"paused": state.webhooks_paused, "held": list(state.held)})

    @app.post("/_fake/webhooks/flush")
    def fake_flush() -> Response:
        body = request.get_json(silent=True) or {}
        order = state.flush(reverse=body.get("order") == "reverse")
        return jsonify({"delivered": order})

    @app.post("/_fake/events/<event_id>/resend")
    def fake_resend(event_id: str) -> Response:
        delivery = state.deliver(event_id)
        return jsonify({"status": delivery.status, "error": delivery.error})

    @app.post("/_fake/subscriptions/<subscription_id>/payment_failed")
    def fake_payment_failed(subscription_id: str) -> Response:
        return jsonify(state.fail_payment(subscription_id))

    @app.post("/_fake/subscriptions/<subscription_id>/renew")
    def fake_renew(subscription_id: str) -> Response:
        return jsonify(state.pay_renewal(subscription_id))

    @app.post("/_fake/checkout/<session_id>/complete")
    def fake_complete(session_id: str) -> Response:
        return jsonify({"redirect": state.complete_checkout(session_id)})

    return app


def _page(title: str, body: str) -> Response:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body>{body}</body></html>"
    )
    return Response(page, mimetype="text/html")


def stripe_state(app: Flask) -> StripeState:
    state: StripeState = app.extensions[EXTENSION_KEY]
    return state
