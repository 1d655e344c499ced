"""The Stripe stand-in, driven by the official stripe library; webhooks checked with it too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from flask import Flask, request
from werkzeug.serving import make_server

from local.standins.stripe import StripeStandIn, decode_form

KEY = "sk_test_unit"
SECRET = "whsec_unit"


class Receiver:
    """A webhook endpoint that verifies each delivery exactly as the billing function does."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.rejected = 0
        app = Flask("receiver")

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            try:
                event = stripe.Webhook.construct_event(
                    request.get_data(as_text=True),
                    request.headers.get("Stripe-Signature"),
                    SECRET,
                    tolerance=300,
                )
            except stripe.SignatureVerificationError:
                self.rejected += 1
                return "", 400
            self.events.append(event)
            return "", 200

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r._server.shutdown()


@pytest.fixture
def standin(receiver: Receiver) -> Iterator[StripeStandIn]:
    receiver.events.clear()
    with StripeStandIn(KEY, webhook_url=receiver.url, webhook_secret=SECRET) as server:
        server.add_price("price_pro", product="Pro", unit_amount=900, nickname="pro")
        server.add_price("price_premium", product="Premium", unit_amount=2900, nickname="premium")
        yield server


def client(standin: StripeStandIn, key: str = KEY) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": standin.url}, max_network_retries=0)


def _checkout(standin: StripeStandIn, price: str = "price_pro") -> Any:
    c = client(standin)
    customer = c.v1.customers.create(params={"name": "Ada", "metadata": {"member_id": "m1"}})
    return c.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "client_reference_id": "m1",
            "line_items": [{"price": price, "quantity": 1}],
            "subscription_data": {"metadata": {"member_id": "m1"}},
            "success_url": "https://app.example/ok?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://app.example/cancel",
        }
    )


def test_form_bodies_decode_as_stripe_reads_them() -> None:
    decoded = decode_form(
        [
            ("mode", "subscription"),
            ("line_items[0][price]", "p1"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][price]", "p2"),
            ("metadata[member_id]", "m1"),
            ("expand[]", "customer"),
            ("expand[]", "subscription"),
        ]
    )
    assert decoded == {
        "mode": "subscription",
        "line_items": [{"price": "p1", "quantity": "1"}, {"price": "p2"}],
        "metadata": {"member_id": "m1"},
        "expand": ["customer", "subscription"],
    }


def test_keys_idempotency_and_errors(standin: StripeStandIn) -> None:
    c = client(standin)
    first = c.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k1"})
    again = c.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k1"})
    other = c.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k2"})
    assert first.id == again.id != other.id
    assert c.v1.customers.retrieve(first.id).name == "A"
    with pytest.raises(stripe.AuthenticationError):
        client(standin, "sk_test_wrong").v1.customers.retrieve(first.id)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        c.v1.subscriptions.retrieve("sub_nope")
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as no_url:
        c.v1.checkout.sessions.create(
            params={"mode": "subscription", "line_items": [{"price": "price_pro"}]}
        )
    assert no_url.value.param == "success_url"


def test_checkout_pays_starts_a_subscription_and_signs_every_webhook(
    standin: StripeStandIn, receiver: Receiver
) -> None:
    session = _checkout(standin)
    assert session.url.startswith(f"{standin.url}/checkout/")
    assert "Subscribe" in requests.get(session.url, timeout=10).text
    paid = requests.post(f"{session.url}/pay", allow_redirects=False, timeout=30)
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://app.example/ok?session={session.id}"

    assert receiver.rejected == 0
    assert receiver.types() == [
        "customer.subscription.created",
        "invoice.finalized",
        "invoice.paid",
        "checkout.session.completed",
    ]
    completed = receiver.events[-1]["data"]["object"]
    assert completed["status"] == "complete"
    assert completed["client_reference_id"] == "m1"
    sub = client(standin).v1.subscriptions.retrieve(completed["subscription"])
    assert sub.status == "active"
    assert sub.metadata["member_id"] == "m1"
    assert sub["items"].data[0].price.id == "price_pro"
    assert sub["items"].data[0].current_period_end > sub["items"].data[0].current_period_start
    invoice = receiver.events[2]["data"]["object"]
    assert invoice["parent"]["subscription_details"]["subscription"] == sub.id
    assert invoice["status"] == "paid"


def test_portal_switches_and_cancels_and_webhooks_can_be_held_and_reordered(
    standin: StripeStandIn, receiver: Receiver
) -> None:
    session = _checkout(standin)
    requests.post(f"{session.url}/pay", allow_redirects=False, timeout=30)
    c = client(standin)
    subscription = c.v1.checkout.sessions.retrieve(session.id).subscription
    portal = c.v1.billing_portal.sessions.create(
        params={"customer": session.customer, "return_url": "https://app.example"}
    )
    page = requests.get(portal.url, timeout=10).text
    assert "price_premium" in page

    requests.post(f"{standin.url}/_fake/webhooks", json={"paused": True}, timeout=10)
    requests.post(
        f"{portal.url}/update",
        data={"subscription": subscription, "price": "price_premium"},
        timeout=30,
    )
    requests.post(f"{portal.url}/cancel", data={"subscription": subscription}, timeout=30)
    before = len(receiver.events)
    flushed = requests.post(
        f"{standin.url}/_fake/webhooks/flush", json={"order": "reverse"}, timeout=30
    ).json()["delivered"]
    assert len(flushed) == 2
    assert receiver.types()[before:] == [
        "customer.subscription.deleted",
        "customer.subscription.updated",
    ]
    updated = receiver.events[-1]["data"]
    assert updated["object"]["items"]["data"][0]["price"]["id"] == "price_premium"
    assert updated["previous_attributes"]["items"]["data"][0]["price"]["id"] == "price_pro"
    assert c.v1.subscriptions.retrieve(str(subscription)).status == "canceled"
    requests.post(f"{standin.url}/_fake/webhooks", json={"paused": False}, timeout=10)


def test_payment_failure_and_resend(standin: StripeStandIn, receiver: Receiver) -> None:
    session = _checkout(standin)
    requests.post(f"{session.url}/pay", allow_redirects=False, timeout=30)
    subscription = client(standin).v1.checkout.sessions.retrieve(session.id).subscription
    invoice = requests.post(
        f"{standin.url}/_fake/subscriptions/{subscription}/payment_failed", timeout=30
    ).json()
    assert invoice["status"] == "open"
    assert invoice["next_payment_attempt"] > invoice["created"]
    assert receiver.types()[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
    assert client(standin).v1.subscriptions.retrieve(str(subscription)).status == "past_due"
    event_id = receiver.events[-2]["id"]
    resent = requests.post(f"{standin.url}/_fake/events/{event_id}/resend", timeout=30).json()
    assert resent["status"] == 200
    assert receiver.events[-1]["id"] == event_id
