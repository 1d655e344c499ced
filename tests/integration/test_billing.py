"""Billing end to end: the official stripe library against the Stripe stand-in, webhooks
signed as Stripe signs them, delivered to the billing function through the local API Gateway.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
import stripe

from followswarm.data.models import MemberModel
from local.runtime import LocalRuntime
from local.runtime.resources import STRIPE_LOCAL_API_KEY, STRIPE_LOCAL_WEBHOOK_SECRET
from local.runtime.runtime import LOCAL_STRIPE_PRICES
from tests.integration.signin import bearer, sign_in_api_client

pytestmark = pytest.mark.integration

PRO, _ = LOCAL_STRIPE_PRICES["pro"]
PREMIUM, _ = LOCAL_STRIPE_PRICES["premium"]


def _stripe(rt: LocalRuntime) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_LOCAL_API_KEY, base_addresses={"api": rt.stripe_url})


def _api(rt: LocalRuntime, method: str, path: str, session: dict[str, Any], **kw: Any) -> Any:
    return requests.request(
        method, f"{rt.api_url}{path}", headers=bearer(session), timeout=60, **kw
    )


def _member(session: dict[str, Any]) -> MemberModel:
    return MemberModel.get(session["member_id"], consistent_read=True)


def _month_limit(rt: LocalRuntime, session: dict[str, Any]) -> int | None:
    reply = _api(rt, "GET", "/api/v1/follows/rate-limits", session)
    assert reply.status_code == 200, reply.text
    return next(w["limit"] for w in reply.json()["windows"] if w["window"] == "month")


def _fake(rt: LocalRuntime, method: str, path: str, **kw: Any) -> Any:
    reply = requests.request(method, f"{rt.stripe_url}/_fake/{path}", timeout=60, **kw)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _subscribe(rt: LocalRuntime, session: dict[str, Any], tier: str = "pro") -> str:
    """Checkout through the API and the stand-in's hosted page; returns the subscription id."""
    reply = _api(rt, "POST", "/api/v1/billing/checkout", session, json={"tier": tier})
    assert reply.status_code == 200, reply.text
    url = reply.json()["url"]
    assert url.startswith(rt.stripe_url)
    assert requests.get(url, timeout=30).status_code == 200  # the hosted page
    paid = requests.post(f"{url}/pay", allow_redirects=False, timeout=60)
    assert paid.status_code == 303
    assert paid.headers["Location"].startswith(rt.settings.dashboard_url)
    checkout = _stripe(rt).v1.checkout.sessions.retrieve(reply.json()["id"])
    assert checkout.status == "complete"
    return str(checkout.subscription)


def _post_webhook(rt: LocalRuntime, payload: str, signature: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return requests.post(
        f"{rt.api_url}/webhooks/stripe", data=payload.encode(), headers=headers, timeout=60
    )


def _signed(payload: str, *, secret: str = STRIPE_LOCAL_WEBHOOK_SECRET, age: int = 0) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(time.time()) - age
    )
    return header


def _event(kind: str, obj: dict[str, Any], event_id: str = "evt_test_local") -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
    )


# ---------------------------------------------------------------------------- checkout


def test_checkout_in_the_standin_upgrades_the_member_and_raises_pacing(
    local_runtime: LocalRuntime,
) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    assert _month_limit(rt, session) == rt.settings.monthly_free
    # A member the dispatcher parked until their free month cap resets.
    now = int(rt.clock.now())
    _member(session).update(
        actions=[
            MemberModel.dispatch_shard.set("DUE"),
            MemberModel.next_dispatch_at.set(now + 20 * 86400),
        ]
    )

    subscription = _subscribe(rt, session, "pro")

    member = _member(session)
    assert member.tier == "pro"
    assert member.subscription_id == subscription
    assert member.subscription_status == "active"
    assert member.stripe_customer_id
    assert member.next_dispatch_at is not None
    assert member.next_dispatch_at <= now  # due at the next tick, not next month
    assert _month_limit(rt, session) == rt.settings.monthly_pro
    me = _api(rt, "GET", "/api/v1/me", session).json()
    assert me["tier"] == "pro"

    # The customer is created once and reused; a second checkout is refused while subscribed.
    again = _api(rt, "POST", "/api/v1/billing/checkout", session, json={"tier": "premium"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "subscription_exists"
    customers = _stripe(rt).v1.customers.retrieve(str(member.stripe_customer_id))
    assert customers.metadata["member_id"] == session["member_id"]

    portal = _api(rt, "GET", "/api/v1/billing/portal", session)
    assert portal.status_code == 200, portal.text
    assert requests.get(portal.json()["url"], timeout=30).status_code == 200


def test_billing_routes_need_a_session_and_valid_input(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    anonymous = requests.post(
        f"{rt.api_url}/api/v1/billing/checkout", json={"tier": "pro"}, timeout=30
    )
    assert anonymous.status_code == 401
    session = sign_in_api_client(rt)
    bad = _api(rt, "POST", "/api/v1/billing/checkout", session, json={"tier": "gold"})
    assert bad.status_code == 422
    no_account = _api(rt, "GET", "/api/v1/billing/portal", session)
    assert no_account.status_code == 409
    assert no_account.json()["error"]["code"] == "no_billing_account"


def test_downgrade_and_cancellation_in_the_portal_change_pacing_at_once(
    local_runtime: LocalRuntime,
) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    subscription = _subscribe(rt, session, "premium")
    assert _month_limit(rt, session) is None  # premium: unlimited

    portal_url = _api(rt, "GET", "/api/v1/billing/portal", session).json()["url"]
    switched = requests.post(
        f"{portal_url}/update",
        data={"subscription": subscription, "price": PRO},
        allow_redirects=False,
        timeout=60,
    )
    assert switched.status_code == 303
    assert _member(session).tier == "pro"
    assert _month_limit(rt, session) == rt.settings.monthly_pro

    cancelled = requests.post(
        f"{portal_url}/cancel",
        data={"subscription": subscription},
        allow_redirects=False,
        timeout=60,
    )
    assert cancelled.status_code == 303
    member = _member(session)
    assert member.tier == "free"
    assert member.subscription_status == "canceled"
    assert _month_limit(rt, session) == rt.settings.monthly_free


# ---------------------------------------------------------------------------- webhooks


def test_bad_or_stale_signature_is_rejected_and_changes_nothing(
    local_runtime: LocalRuntime,
) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    subscription = _subscribe(rt, session, "pro")
    _stripe(rt).v1.subscriptions.cancel(subscription)  # Stripe says: canceled ...
    _member(session).update(actions=[MemberModel.tier.set("pro")])  # ... we still say pro
    payload = _event(
        "customer.subscription.deleted", {"id": subscription, "object": "subscription"}, "evt_x1"
    )

    for signature in (
        None,  # no header
        "t=123,v1=deadbeef",  # garbage
        _signed(payload, secret="whsec_someone_else"),  # wrong secret
        _signed(payload, age=301),  # stale: outside the 300 s tolerance
        _signed(payload.replace("deleted", "created")),  # signed, then the body changed
    ):
        reply = _post_webhook(rt, payload, signature)
        assert reply.status_code == 400, (signature, reply.text)
        assert reply.json()["error"]["code"] == "signature_invalid"
        assert _member(session).tier == "pro"

    # The same event, signed properly and fresh: applied (converges on "canceled").
    reply = _post_webhook(rt, payload, _signed(payload, age=60))
    assert reply.status_code == 200, reply.text
    assert _member(session).tier == "free"


def test_unknown_event_types_answer_200_and_change_nothing(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    before = _member(session)
    payload = _event("customer.created", {"id": "cus_unknown", "object": "customer"}, "evt_x2")
    reply = _post_webhook(rt, payload, _signed(payload))
    assert reply.status_code == 200
    assert reply.json()["outcome"] == "ignored"
    after = _member(session)
    assert after.attribute_values == before.attribute_values


def test_a_replayed_payment_failure_sets_status_and_mails_once(
    local_runtime: LocalRuntime,
) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    address = f"billing-{session['member_id']}@example.com"
    _member(session).update(
        actions=[MemberModel.email.set(address), MemberModel.email_verified.set(True)]
    )
    subscription = _subscribe(rt, session, "pro")
    rt.drain()  # the welcome-less setup leaves nothing else queued for this address

    invoice = _fake(rt, "POST", f"subscriptions/{subscription}/payment_failed")
    member = _member(session)
    assert member.subscription_status == "past_due"
    assert member.tier == "pro"  # kept while Stripe retries the payment
    rt.drain()
    mails = rt.sendgrid.mails(to=address)
    assert [m["categories"] for m in mails] == [["payment_failed"]]
    assert "9.00 USD" in (mails[0]["text"] or "")
    assert invoice["hosted_invoice_url"] in (mails[0]["html"] or "")
    assert "unsubscribe" not in (mails[0]["html"] or "").lower()  # billing mail: no link

    failed = next(
        e
        for e in _fake(rt, "GET", "events")["events"]
        if e["type"] == "invoice.payment_failed" and e["object"] == invoice["id"]
    )
    replay = _fake(rt, "POST", f"events/{failed['id']}/resend")
    assert replay["status"] == 200
    rt.drain()
    assert len(rt.sendgrid.mails(to=address)) == 1  # no second effect

    _fake(rt, "POST", f"subscriptions/{subscription}/renew")
    assert _member(session).subscription_status == "active"


def test_out_of_order_subscription_events_converge_on_stripes_state(
    local_runtime: LocalRuntime,
) -> None:
    rt = local_runtime
    client = _stripe(rt)
    session = sign_in_api_client(rt)
    _fake(rt, "POST", "webhooks", json={"paused": True})
    try:
        reply = _api(rt, "POST", "/api/v1/billing/checkout", session, json={"tier": "pro"})
        requests.post(f"{reply.json()['url']}/pay", allow_redirects=False, timeout=60)
        subscription = client.v1.checkout.sessions.retrieve(reply.json()["id"]).subscription
        item = client.v1.subscriptions.retrieve(str(subscription))["items"].data[0].id
        client.v1.subscriptions.update(
            str(subscription), params={"items": [{"id": item, "price": PREMIUM}]}
        )
        assert _member(session).tier == "free"  # nothing delivered yet
        # Newest first: the upgrade to premium, then checkout, invoice and "created" (pro).
        delivered = _fake(rt, "POST", "webhooks/flush", json={"order": "reverse"})["delivered"]
        assert len(delivered) >= 4
        assert _member(session).tier == "premium"

        client.v1.subscriptions.update(
            str(subscription), params={"items": [{"id": item, "price": PRO}]}
        )
        client.v1.subscriptions.cancel(str(subscription))
        _fake(rt, "POST", "webhooks/flush", json={"order": "reverse"})  # deleted, then updated
        member = _member(session)
        assert member.tier == "free"
        assert member.subscription_status == "canceled"
    finally:
        _fake(rt, "POST", "webhooks", json={"paused": False})
