"""Member mail end to end: every kind is queued, rendered by the notifier function from the
template files with the member's data, delivered to the SendGrid sink, and (where it applies)
carries an unsubscribe link that the member's preference then honours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from followswarm.data.models import MemberModel
from followswarm.domain.identity import notifier
from local.runtime import LocalRuntime
from tests.integration.signin import bearer, sign_in_api_client
from tests.integration.test_follow_engine import Swarm, _runtime

pytestmark = pytest.mark.integration

#: What each kind's trigger passes (the rest comes from the member's data).
DATA: dict[str, dict[str, Any]] = {
    notifier.WELCOME: {},
    notifier.FIRST_FOLLOWERS: {},
    notifier.ROSTER_COMPLETE: {},
    notifier.WEEKLY_DIGEST: {"week": "2026-W22"},
    notifier.NEEDS_REAUTH: {"reason": "spotify_rejected_token"},
    notifier.RECIPROCITY_WARNING: {"unfollowed": 9, "sampled": 40},
    notifier.PAYMENT_FAILED: {
        "amount_due": 2900,
        "currency": "usd",
        "invoice_url": "https://invoice.example/in_1",
        "next_attempt": 1_780_259_200,
    },
}
SUBJECTS = {
    notifier.WELCOME: "Welcome to Follow-Swarm",
    notifier.FIRST_FOLLOWERS: "Your first followers have arrived",
    notifier.ROSTER_COMPLETE: "You follow the whole roster",
    notifier.WEEKLY_DIGEST: "Your week in the swarm",
    notifier.NEEDS_REAUTH: "Follow-Swarm needs you to sign in again",
    notifier.RECIPROCITY_WARNING: "Members stopped following your artist: here is why",
    notifier.PAYMENT_FAILED: "Your Follow-Swarm payment failed",
}
_LINK = re.compile(r"(http://[^\s\"<>]+/unsubscribe\?token=[\w.\-%]+)")


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with _runtime(tmp_path_factory, "mail", per_hour=30, batch=10) as runtime:
        yield runtime


def _verified_member(rt: LocalRuntime, name: str) -> tuple[str, str]:
    session = sign_in_api_client(rt)
    address = f"{name}-{session['member_id'][:8]}@example.com"
    MemberModel.get(session["member_id"]).update(
        actions=[
            MemberModel.email.set(address),
            MemberModel.email_verified.set(True),
            MemberModel.display_name.set(name.capitalize()),
        ]
    )
    return str(session["member_id"]), address


def _mails(rt: LocalRuntime, to: str) -> list[dict[str, Any]]:
    result = rt.drain()
    assert not result.errors, result.errors
    return rt.sendgrid.mails(to=to)


def _headers(mail: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = dict(mail["payload"].get("headers") or {})
    for personalization in mail["payload"].get("personalizations") or []:
        headers |= personalization.get("headers") or {}
    return headers


@pytest.mark.parametrize("kind", notifier.OPTIONAL)
def test_optional_mail_is_rendered_delivered_and_its_unsubscribe_link_is_honoured(
    rt: LocalRuntime, kind: str
) -> None:
    member_id, address = _verified_member(rt, kind.split("_")[0])
    assert notifier.notify(member_id, kind, DATA[kind])
    mails = _mails(rt, address)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["subject"] == SUBJECTS[kind]
    assert mail["categories"] == [kind]
    assert mail["from_email"] == rt.settings.email_from
    name = kind.split("_")[0].capitalize()
    assert f"Hi {name}," in mail["text"]
    assert f"Hi {name}," in mail["html"]
    if kind == notifier.RECIPROCITY_WARNING:
        assert "40 artists" in mail["text"]
        assert "9 are no longer followed" in mail["text"]

    link = _LINK.search(mail["text"])
    assert link, mail["text"]
    assert link.group(1).replace("&", "&amp;") in mail["html"] or link.group(1) in mail["html"]
    assert _headers(mail)["List-Unsubscribe"] == f"<{link.group(1)}>"
    page = requests.get(link.group(1), timeout=30)
    assert page.status_code == 200
    assert 'method="post"' in page.text
    done = requests.post(link.group(1), data="List-Unsubscribe=One-Click", timeout=30)
    assert done.status_code == 200, done.text
    assert MemberModel.get(member_id).email_preferences[kind] is False

    assert notifier.notify(member_id, kind, DATA[kind])
    assert len(_mails(rt, address)) == 1  # honoured: nothing new
    # Other mails still arrive.
    other = notifier.WELCOME if kind != notifier.WELCOME else notifier.NEEDS_REAUTH
    notifier.notify(member_id, other, DATA[other])
    assert [m["categories"] for m in _mails(rt, address)][-1] == [other]


def test_payment_failed_mail_has_no_link_and_ignores_preferences(rt: LocalRuntime) -> None:
    member_id, address = _verified_member(rt, "payer")
    MemberModel.get(member_id).update(
        actions=[MemberModel.email_preferences.set(dict.fromkeys(notifier.OPTIONAL, False))]
    )
    notifier.notify(member_id, notifier.PAYMENT_FAILED, DATA[notifier.PAYMENT_FAILED])
    mails = _mails(rt, address)
    assert [m["subject"] for m in mails] == [SUBJECTS[notifier.PAYMENT_FAILED]]
    assert "29.00 USD" in mails[0]["text"]
    assert "https://invoice.example/in_1" in mails[0]["html"]
    assert not _LINK.search(mails[0]["text"])
    assert "List-Unsubscribe" not in _headers(mails[0])


def test_verification_goes_to_the_unverified_address_only_then_welcome(rt: LocalRuntime) -> None:
    session = sign_in_api_client(rt)
    address = f"new-{session['member_id'][:8]}@example.com"
    reply = requests.put(
        f"{rt.api_url}/api/v1/me/email",
        json={"email": address},
        headers=bearer(session),
        timeout=30,
    )
    assert reply.status_code == 202, reply.text
    notifier.notify(session["member_id"], notifier.NEEDS_REAUTH, {})  # not for an unverified one
    mails = _mails(rt, address)
    assert [m["categories"] for m in mails] == [["verify_email"]]
    assert not _LINK.search(mails[0]["text"])
    token = re.search(r"token=([\w.-]+)", mails[0]["text"])
    assert token
    verified = requests.post(
        f"{rt.api_url}/api/v1/me/email/verify",
        json={"token": token.group(1)},
        headers=bearer(session),
        timeout=30,
    )
    assert verified.status_code == 200, verified.text
    mails = _mails(rt, address)
    assert [m["categories"] for m in mails] == [["verify_email"], ["welcome"]]
    assert _LINK.search(mails[1]["text"])


def test_preferences_route_reads_and_sets_optional_kinds(rt: LocalRuntime) -> None:
    session = sign_in_api_client(rt)
    url = f"{rt.api_url}/api/v1/me/email/preferences"
    got = requests.get(url, headers=bearer(session), timeout=30).json()["preferences"]
    assert got == dict.fromkeys(notifier.OPTIONAL, True)
    put = requests.put(
        url, json={"preferences": {"weekly_digest": False}}, headers=bearer(session), timeout=30
    )
    assert put.status_code == 200
    assert put.json()["preferences"]["weekly_digest"] is False
    bad = requests.put(
        url, json={"preferences": {"payment_failed": False}}, headers=bearer(session), timeout=30
    )
    assert bad.status_code == 400


def test_weekly_digest_schedule_queues_one_digest_per_verified_member(rt: LocalRuntime) -> None:
    _, address = _verified_member(rt, "digest")
    event = {"detail-type": "WeeklyDigest", "source": "aws.events", "detail": {}}
    assert rt.invoker.invoke("digest", event)["queued"] >= 1
    assert rt.invoker.invoke("digest", event)["queued"] >= 1  # a repeated schedule ...
    mails = _mails(rt, address)
    assert [m["categories"] for m in mails] == [["weekly_digest"]]  # ... mails once
    assert "Artists you followed this week: 0" in mails[0]["text"]


def test_first_followers_and_roster_complete_are_mailed_once_by_the_engine(
    rt: LocalRuntime,
) -> None:
    swarm = Swarm(rt)
    ids = [swarm.add_member(200 + i) for i in range(3)]
    for member_id in ids:
        MemberModel.get(member_id).update(
            actions=[
                MemberModel.email.set(f"swarm-{member_id}@example.com"),
                MemberModel.email_verified.set(True),
            ]
        )
    rt.advance(2 * 3600)
    rt.advance(3600)
    for member_id in ids:
        mails = _mails(rt, f"swarm-{member_id}@example.com")
        kinds = sorted(m["categories"][0] for m in mails)
        assert kinds == ["first_followers", "roster_complete"], (member_id, kinds)
        first = next(m for m in mails if m["categories"] == ["first_followers"])
        artist = MemberModel.get(member_id).artist_name
        assert artist
        assert artist in first["text"]


def test_a_send_that_keeps_failing_is_retried_then_dead_lettered(rt: LocalRuntime) -> None:
    member_id, address = _verified_member(rt, "bounce")
    sink = rt.sendgrid.state
    key, sink.api_key = sink.api_key, "SG.something-else"  # SendGrid now answers 401
    try:
        notifier.notify(member_id, notifier.NEEDS_REAUTH, {})
        dlq = rt.settings.notify_dlq_name
        before = rt.queue_status()[dlq]["visible"]
        rt.advance(
            rt.settings.queue_visibility_timeout_seconds * (rt.settings.queue_max_receive_count + 1)
        )
        assert rt.queue_status()[dlq]["visible"] == before + 1
    finally:
        sink.api_key = key
    assert rt.sendgrid.mails(to=address) == []
