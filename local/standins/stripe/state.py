"""The Stripe stand-in's objects and rules: customers, products, prices, Checkout Sessions,
Billing Portal sessions, subscriptions, invoices and events, and the signed webhooks.

Objects have Stripe's shapes (API version :data:`API_VERSION`: a subscription's periods live on
its items, an invoice names its subscription under ``parent.subscription_details``). Webhooks
are signed as Stripe signs them: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" keyed with the endpoint secret>``, the time being real time (what the stripe
library checks its tolerance against), never the virtual clock.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

API_VERSION = "2026-10-28.endive"
MONTH_SECONDS = 30 * 24 * 3600
RETRY_SECONDS = 3 * 24 * 3600


class StripeError(Exception):
    """Answered with Stripe's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "error": {
                "type": type_,
                "message": message,
                **({"code": code} if code else {}),
                **({"param": param} if param else {}),
            }
        }


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def required(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


@dataclass
class Delivery:
    at: float
    status: int | None
    error: str | None = None


@dataclass
class WebhookEndpoint:
    url: str
    secret: str


@dataclass
class StripeState:
    api_key: str = "sk_test_local_standin"
    #: Objects' ``created`` times (the local runtime passes its virtual clock).
    clock: Callable[[], float] = time.time
    #: Signature timestamps: real time, as Stripe's.
    signing_clock: Callable[[], float] = time.time
    base_url: str = "http://127.0.0.1"
    endpoint: WebhookEndpoint | None = None
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    webhooks_paused: bool = False
    idempotency: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ---------------------------------------------------------------------------- basics

    def now(self) -> int:
        return int(self.clock())

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    def get(self, kind: str, object_id: str, prefix: str) -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or not object_id.startswith(prefix):
            raise missing(kind, object_id)
        return obj

    def _put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def _base(self, prefix: str, object_name: str) -> dict[str, Any]:
        return {
            "id": self.new_id(prefix),
            "object": object_name,
            "created": self.now(),
            "livemode": False,
        }

    def list_of(self, object_name: str, **filters: Any) -> list[dict[str, Any]]:
        with self.lock:
            return [
                copy.deepcopy(o)
                for o in self.objects.values()
                if o["object"] == object_name
                and all(o.get(k) == v for k, v in filters.items() if v is not None)
            ]

    # ------------------------------------------------------------------- customers etc.

    def create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer = self._base("cus", "customer") | {
                "email": params.get("email"),
                "name": params.get("name"),
                "description": params.get("description"),
                "metadata": dict(params.get("metadata") or {}),
                "invoice_settings": {"default_payment_method": None},
                "currency": None,
                "delinquent": False,
            }
            return copy.deepcopy(self._put(customer))

    def update_customer(self, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer = self.get("customer", customer_id, "cus_")
            for key in ("email", "name", "description"):
                if key in params:
                    customer[key] = params[key] or None
            if "metadata" in params:
                customer["metadata"] = {**customer["metadata"], **(params["metadata"] or {})}
            return copy.deepcopy(customer)

    def create_product(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            raise required("name")
        with self.lock:
            product = self._base("prod", "product") | {
                "name": params["name"],
                "active": True,
                "metadata": dict(params.get("metadata") or {}),
            }
            if params.get("id"):
                product["id"] = str(params["id"])
            return copy.deepcopy(self._put(product))

    def create_price(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("currency"):
            raise required("currency")
        with self.lock:
            product_id = params.get("product")
            if not product_id and isinstance(params.get("product_data"), dict):
                product_id = self.create_product(params["product_data"])["id"]
            if not product_id:
                raise required("product")
            self.get("product", str(product_id), "prod_")
            recurring = params.get("recurring")
            price = self._base("price", "price") | {
                "active": True,
                "currency": str(params["currency"]).lower(),
                "unit_amount": int(params.get("unit_amount") or 0),
                "product": product_id,
                "lookup_key": params.get("lookup_key"),
                "nickname": params.get("nickname"),
                "metadata": dict(params.get("metadata") or {}),
                "type": "recurring" if recurring else "one_time",
                "recurring": (
                    {
                        "interval": recurring.get("interval", "month"),
                        "interval_count": int(recurring.get("interval_count") or 1),
                        "usage_type": "licensed",
                    }
                    if isinstance(recurring, dict)
                    else None
                ),
            }
            if params.get("id"):
                price["id"] = str(params["id"])
            return copy.deepcopy(self._put(price))

    # ------------------------------------------------------------------ checkout sessions

    def create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode")
        if mode not in ("payment", "subscription", "setup"):
            raise required("mode")
        if not params.get("success_url"):
            raise required("success_url")
        with self.lock:
            customer = params.get("customer")
            if customer:
                self.get("customer", str(customer), "cus_")
            items = []
            for index, item in enumerate(params.get("line_items") or []):
                price = self.get("price", str(item.get("price")), "price_")
                if mode == "subscription" and price["type"] != "recurring":
                    raise StripeError(
                        400,
                        "You specified `subscription` mode but passed a one-time price.",
                        param=f"line_items[{index}][price]",
                    )
                items.append({"price": price["id"], "quantity": int(item.get("quantity") or 1)})
            if mode != "setup" and not items:
                raise required("line_items")
            amount = sum(self.objects[i["price"]]["unit_amount"] * i["quantity"] for i in items)
            session = self._base("cs_test", "checkout.session") | {
                "mode": mode,
                "status": "open",
                "payment_status": "unpaid",
                "customer": customer,
                "customer_email": params.get("customer_email"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": dict(params.get("metadata") or {}),
                "success_url": params["success_url"],
                "cancel_url": params.get("cancel_url"),
                "subscription": None,
                "invoice": None,
                "amount_total": amount,
                "currency": self.objects[items[0]["price"]]["currency"] if items else None,
                "expires_at": self.now() + 24 * 3600,
                "_line_items": items,
                "_subscription_data": dict(params.get("subscription_data") or {}),
            }
            session["url"] = f"{self.base_url}/checkout/{session['id']}"
            return self.public(self._put(session))

    def complete_checkout(self, session_id: str) -> str:
        """The hosted page's "Pay": a subscription starts, its first invoice is paid."""
        with self.lock:
            session = self.get("checkout session", session_id, "cs_test_")
            if session["status"] != "open":
                raise StripeError(400, "This Checkout Session is no longer open.")
            if not session["customer"]:
                session["customer"] = self.create_customer(
                    {"email": session.get("customer_email")}
                )["id"]
            events: list[tuple[str, dict[str, Any]]] = []
            if session["mode"] == "subscription":
                subscription = self._start_subscription(session)
                invoice = self._invoice(subscription, paid=True, reason="subscription_create")
                session["subscription"] = subscription["id"]
                session["invoice"] = invoice["id"]
                events += [
                    ("customer.subscription.created", self.public(subscription)),
                    ("invoice.finalized", self.public(invoice)),
                    ("invoice.paid", self.public(invoice)),
                ]
            session["status"] = "complete"
            session["payment_status"] = "paid"
            events.append(("checkout.session.completed", self.public(session)))
            created = [self._event(kind, obj) for kind, obj in events]
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)
        self.deliver_all(created)
        return target

    def _start_subscription(self, session: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        subscription = self._base("sub", "subscription") | {
            "customer": session["customer"],
            "status": "active",
            "metadata": dict(session["_subscription_data"].get("metadata") or {}),
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "ended_at": None,
            "start_date": now,
            "currency": session["currency"],
            "latest_invoice": None,
            "collection_method": "charge_automatically",
        }
        subscription["items"] = {
            "object": "list",
            "data": [
                self._item(subscription["id"], item["price"], item["quantity"], now)
                for item in session["_line_items"]
            ],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription['id']}",
        }
        return self._put(subscription)

    def _item(self, subscription_id: str, price_id: str, quantity: int, now: int) -> dict[str, Any]:
        return {
            "id": self.new_id("si"),
            "object": "subscription_item",
            "created": now,
            "subscription": subscription_id,
            "price": copy.deepcopy(self.objects[price_id]),
            "quantity": quantity,
            "current_period_start": now,
            "current_period_end": now + MONTH_SECONDS,
            "metadata": {},
        }

    def _invoice(self, subscription: dict[str, Any], *, paid: bool, reason: str) -> dict[str, Any]:
        amount = sum(
            int(i["price"]["unit_amount"]) * int(i["quantity"])
            for i in subscription["items"]["data"]
        )
        invoice = self._base("in", "invoice") | {
            "customer": subscription["customer"],
            "status": "paid" if paid else "open",
            "paid": paid,
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "amount_remaining": 0 if paid else amount,
            "attempt_count": 1,
            "attempted": True,
            "currency": subscription["currency"],
            "billing_reason": reason,
            "next_payment_attempt": None if paid else self.now() + RETRY_SECONDS,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": dict(subscription["metadata"]),
                },
            },
        }
        invoice["hosted_invoice_url"] = f"{self.base_url}/invoice/{invoice['id']}"
        subscription["latest_invoice"] = invoice["id"]
        return self._put(invoice)

    # --------------------------------------------------------------------- subscriptions

    def update_subscription(self, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            subscription = self.get("subscription", subscription_id, "sub_")
            if subscription["status"] in ("canceled", "incomplete_expired"):
                raise StripeError(
                    400, "A canceled subscription can only update its cancellation_details."
                )
            before = self.public(subscription)
            previous: dict[str, Any] = {}
            if "metadata" in params:
                previous["metadata"] = dict(subscription["metadata"])
                subscription["metadata"] = {
                    **subscription["metadata"],
                    **(params["metadata"] or {}),
                }
            if "cancel_at_period_end" in params:
                value = str(params["cancel_at_period_end"]).lower() == "true"
                previous["cancel_at_period_end"] = subscription["cancel_at_period_end"]
                subscription["cancel_at_period_end"] = value
                subscription["cancel_at"] = (
                    subscription["items"]["data"][0]["current_period_end"] if value else None
                )
            for change in params.get("items") or []:
                price_id = change.get("price")
                if not price_id:
                    continue
                self.get("price", str(price_id), "price_")
                item = next(
                    (i for i in subscription["items"]["data"] if i["id"] == change.get("id")),
                    subscription["items"]["data"][0],
                )
                previous["items"] = before["items"]
                item["price"] = copy.deepcopy(self.objects[str(price_id)])
            created = [
                self._event("customer.subscription.updated", self.public(subscription), previous)
            ]
            result = self.public(subscription)
        self.deliver_all(created)
        return result

    def cancel_subscription(self, subscription_id: str) -> dict[str, Any]:
        with self.lock:
            subscription = self.get("subscription", subscription_id, "sub_")
            if subscription["status"] == "canceled":
                raise StripeError(
                    400,
                    f"No such subscription: '{subscription_id}' (it is canceled)",
                    code="resource_missing",
                )
            now = self.now()
            subscription |= {"status": "canceled", "canceled_at": now, "ended_at": now}
            created = [self._event("customer.subscription.deleted", self.public(subscription))]
            result = self.public(subscription)
        self.deliver_all(created)
        return result

    def fail_payment(self, subscription_id: str) -> dict[str, Any]:
        """A renewal whose card is declined: an open invoice, the subscription ``past_due``."""
        with self.lock:
            subscription = self.get("subscription", subscription_id, "sub_")
            invoice = self._invoice(subscription, paid=False, reason="subscription_cycle")
            previous = {"status": subscription["status"]}
            subscription["status"] = "past_due"
            created = [
                self._event("invoice.payment_failed", self.public(invoice)),
                self._event("customer.subscription.updated", self.public(subscription), previous),
            ]
            result = self.public(invoice)
        self.deliver_all(created)
        return result

    def pay_renewal(self, subscription_id: str) -> dict[str, Any]:
        """A renewal that is paid: a paid invoice, the subscription ``active`` (again)."""
        with self.lock:
            subscription = self.get("subscription", subscription_id, "sub_")
            invoice = self._invoice(subscription, paid=True, reason="subscription_cycle")
            now = self.now()
            for item in subscription["items"]["data"]:
                item["current_period_start"] = now
                item["current_period_end"] = now + MONTH_SECONDS
            created = [self._event("invoice.paid", self.public(invoice))]
            if subscription["status"] != "active":
                previous = {"status": subscription["status"]}
                subscription["status"] = "active"
                created.append(
                    self._event(
                        "customer.subscription.updated", self.public(subscription), previous
                    )
                )
            result = self.public(invoice)
        self.deliver_all(created)
        return result

    # ------------------------------------------------------------------ billing portal

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = params.get("customer")
        if not customer:
            raise required("customer")
        with self.lock:
            self.get("customer", str(customer), "cus_")
            session = self._base("bps", "billing_portal.session") | {
                "customer": customer,
                "return_url": params.get("return_url"),
                "configuration": "bpc_local",
                "locale": None,
                "on_behalf_of": None,
                "flow": None,
            }
            session["url"] = f"{self.base_url}/portal/{session['id']}"
            return self.public(self._put(session))

    # ---------------------------------------------------------------------- events

    def _event(
        self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = copy.deepcopy(previous)
        event = self._base("evt", "event") | {
            "api_version": API_VERSION,
            "data": data,
            "pending_webhooks": 1 if self.endpoint else 0,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events.append(event)
        self.objects[event["id"]] = event
        return event

    def sign(self, payload: str, timestamp: int | None = None) -> str:
        """The ``Stripe-Signature`` header Stripe sends with ``payload``."""
        if self.endpoint is None:
            raise RuntimeError("no webhook endpoint")
        stamp = int(self.signing_clock()) if timestamp is None else timestamp
        digest = hmac.new(
            self.endpoint.secret.encode("utf-8"),
            f"{stamp}.{payload}".encode(),
            hashlib.sha256,
        ).hexdigest()
        return f"t={stamp},v1={digest}"

    def deliver_all(self, events: list[dict[str, Any]]) -> None:
        """Sends the events to the endpoint in order (or holds them while paused)."""
        for event in events:
            with self.lock:
                if self.endpoint is None:
                    continue
                if self.webhooks_paused:
                    self.held.append(event["id"])
                    continue
            self.deliver(event["id"])

    def deliver(self, event_id: str) -> Delivery:
        """One delivery attempt of an event, signed now."""
        with self.lock:
            event = self.get("event", event_id, "evt_")
            endpoint = self.endpoint
            if endpoint is None:
                raise StripeError(400, "No webhook endpoint is configured")
            payload = json.dumps(event, indent=2)
            signature = self.sign(payload)
        try:
            response = requests.post(
                endpoint.url,
                data=payload.encode("utf-8"),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": signature,
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
                timeout=30,
            )
            delivery = Delivery(self.clock(), response.status_code)
        except requests.RequestException as exc:
            delivery = Delivery(self.clock(), None, type(exc).__name__)
        with self.lock:
            self.deliveries.setdefault(event_id, []).append(delivery)
            if delivery.status is not None and 200 <= delivery.status < 300:
                event["pending_webhooks"] = 0
        return delivery

    def flush(self, *, reverse: bool = False) -> list[str]:
        """Delivers held events (in order, or newest first to test out-of-order handling)."""
        with self.lock:
            held, self.held = list(self.held), []
        order = list(reversed(held)) if reverse else held
        for event_id in order:
            self.deliver(event_id)
        return order

    # ------------------------------------------------------------------------ views

    @staticmethod
    def public(obj: dict[str, Any]) -> dict[str, Any]:
        """An object as the API shows it (internal ``_`` fields dropped), a copy."""
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def event_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": e["id"],
                    "type": e["type"],
                    "created": e["created"],
                    "object": e["data"]["object"].get("id"),
                    "deliveries": [d.__dict__ for d in self.deliveries.get(e["id"], [])],
                    "held": e["id"] in self.held,
                }
                for e in self.events
            ]
