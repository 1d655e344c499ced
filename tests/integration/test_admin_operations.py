"""Operator routes end to end: stats, member search, suspension, queue view, pause, redrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.runtime import LocalRuntime, RuntimeConfig
from tests.integration.signin import bearer, new_user, sign_in_api_client

ADMIN_USER = "ops-admin"


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    config = RuntimeConfig(
        data_dir=tmp_path_factory.mktemp("admin"),
        start_epoch=1_780_000_000.0,
        moto_mode="process",
        seed_demo_data=False,
        settings_overrides={"admin_spotify_user_ids": (ADMIN_USER,)},
    ).with_free_ports()
    with LocalRuntime(config) as runtime:
        yield runtime


def _member(rt: LocalRuntime, name: str) -> dict[str, Any]:
    session = sign_in_api_client(rt, new_user(rt, name))
    artist = requests.post(f"{rt.spotify_url}/_fake/artists", json={"name": name}, timeout=10)
    requests.put(
        f"{rt.api_url}/api/v1/me/artist",
        json={"artist": artist.json()["id"]},
        headers=bearer(session),
        timeout=30,
    ).raise_for_status()
    requests.post(
        f"{rt.api_url}/api/v1/roster/join", headers=bearer(session), timeout=30
    ).raise_for_status()
    return session


def _admin(rt: LocalRuntime) -> dict[str, str]:
    requests.post(
        f"{rt.spotify_url}/_fake/users", json={"id": ADMIN_USER, "display_name": "Ops"}, timeout=10
    )
    return bearer(sign_in_api_client(rt, ADMIN_USER))


def test_admin_sees_stats_and_finds_members(rt: LocalRuntime) -> None:
    alice, _ = _member(rt, "Alice Alpha"), _member(rt, "Bob Beta")
    admin = _admin(rt)
    stats = requests.get(f"{rt.api_url}/api/v1/admin/stats", headers=admin, timeout=30).json()
    assert stats["roster"]["active_members"] == 2

    found = requests.get(
        f"{rt.api_url}/api/v1/admin/members",
        params={"search": "alpha", "tier": "free", "status": "active"},
        headers=admin,
        timeout=30,
    ).json()
    assert [m["id"] for m in found["items"]] == [alice["member_id"]]

    paged = requests.get(
        f"{rt.api_url}/api/v1/admin/members", params={"limit": 1}, headers=admin, timeout=30
    ).json()
    assert paged["next_cursor"]
    bad = requests.get(
        f"{rt.api_url}/api/v1/admin/members", params={"cursor": "%%%"}, headers=admin, timeout=30
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_cursor"


def test_suspension_removes_a_target_and_reinstatement_restores_it(rt: LocalRuntime) -> None:
    carol = _member(rt, "Carol Gamma")
    admin = _admin(rt)
    url = f"{rt.api_url}/api/v1/admin/members/{carol['member_id']}"
    before = requests.get(f"{rt.api_url}/api/v1/admin/stats", headers=admin, timeout=30).json()
    patched = requests.patch(url, json={"account_status": "suspended"}, headers=admin, timeout=30)
    assert patched.status_code == 200, patched.text
    after = requests.get(f"{rt.api_url}/api/v1/admin/stats", headers=admin, timeout=30).json()
    assert after["roster"]["active_members"] == before["roster"]["active_members"] - 1

    requests.patch(url, json={"account_status": "active"}, headers=admin, timeout=30)
    again = requests.get(f"{rt.api_url}/api/v1/admin/stats", headers=admin, timeout=30).json()
    assert again["roster"]["active_members"] == before["roster"]["active_members"]
    audit = requests.get(f"{rt.api_url}/api/v1/admin/audit", headers=admin, timeout=30).json()
    assert any(e["action"] == "account_status" for e in audit["entries"])


def test_pause_stops_dispatch_and_redrive_moves_dead_letters(rt: LocalRuntime) -> None:
    admin = _admin(rt)
    paused = requests.post(
        f"{rt.api_url}/api/v1/admin/queue/pause",
        json={"reason": "maintenance"},
        headers=admin,
        timeout=30,
    ).json()
    assert paused["admin_paused"] is True
    result = rt.advance(120)
    assert all(f.ok for f in result.fired)
    view = requests.get(f"{rt.api_url}/api/v1/admin/queue", headers=admin, timeout=30).json()
    assert view["paused"] is True
    assert view["queue"]["visible"] == 0
    requests.post(f"{rt.api_url}/api/v1/admin/queue/resume", headers=admin, timeout=30)

    dlq = rt.resources.queue_by_name(rt.settings.follow_queue_name).dlq_url
    rt.aws.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"not": "a job"}))
    moved = requests.post(
        f"{rt.api_url}/api/v1/admin/dlq/redrive", headers=admin, timeout=30
    ).json()
    assert moved == {"moved": 1}
    view = requests.get(f"{rt.api_url}/api/v1/admin/queue", headers=admin, timeout=30).json()
    assert view["dlq"]["visible"] == 0
    assert view["admin_paused"] is False
