"""The local runtime end to end: API Gateway, virtual clock and schedules, SQS event source
semantics, TTL sweeps, and a Spotify sign-in against the stand-in it launches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth

from followswarm import clock as domain_clock
from followswarm.catalog import SCHEDULES
from local.runtime import LocalRuntime
from local.runtime.clock import iso
from local.runtime.resources import ensure_resources, sweep_expired

pytestmark = pytest.mark.integration

DISPATCH = next(s for s in SCHEDULES if s.function == "dispatcher")


def get(runtime: LocalRuntime, path: str) -> requests.Response:
    return requests.get(f"{runtime.api_url}{path}", timeout=30)


# ------------------------------------------------------------------------------ the API


def test_health(local_runtime: LocalRuntime) -> None:
    response = get(local_runtime, "/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")


def test_ready_checks_the_local_dependencies(local_runtime: LocalRuntime) -> None:
    response = get(local_runtime, "/ready")
    assert response.status_code == 200, response.text


def test_unknown_route_has_the_error_shape(local_runtime: LocalRuntime) -> None:
    response = get(local_runtime, "/api/v1/no/such/route")
    assert response.status_code == 404
    error = response.json()["error"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)


def test_the_edge_serves_the_site_beside_the_api(local_runtime: LocalRuntime) -> None:
    page = get(local_runtime, "/dashboard/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "/assets/js/pages/dashboard.js" in page.text
    script = get(local_runtime, "/assets/js/api.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    missing = get(local_runtime, "/no/such/page")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert get(local_runtime, "/assets/../README.md").status_code == 404
    # The edge's security headers, as CloudFront's response headers policies add them.
    for response in (page, missing, get(local_runtime, "/health")):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    posted = requests.post(f"{local_runtime.api_url}/dashboard", timeout=10)
    assert posted.status_code == 405


def test_handlers_run_on_the_virtual_clock(local_runtime: LocalRuntime) -> None:
    assert domain_clock.now() == local_runtime.clock.now()


def test_handlers_get_the_local_settings(local_runtime: LocalRuntime) -> None:
    env = local_runtime.function_environment()
    assert env["SWARM_SPOTIFY_API_URL"] == f"{local_runtime.spotify_url}/v1/"
    assert env["SWARM_SPOTIFY_REDIRECT_URI"] == f"{local_runtime.api_url}/auth/callback"
    assert env["AWS_ENDPOINT_URL"] == local_runtime.aws_endpoint_url
    follow = local_runtime.resources.queue_by_name(local_runtime.settings.follow_queue_name)
    assert env["SWARM_FOLLOW_QUEUE_URL"] == follow.url


# ----------------------------------------------------------------- clock and schedules


def test_clock_endpoint_advances_and_fires_the_dispatcher(local_runtime: LocalRuntime) -> None:
    before = get(local_runtime, "/_local/clock").json()
    invoked = local_runtime.invocations["dispatcher"]

    response = requests.post(local_runtime.clock_url, json={"advance": 120}, timeout=120)

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["now"] == before["now"] + 120
    assert result["iso"] == iso(result["now"])
    fired = [f for f in result["fired"] if f["schedule"] == DISPATCH.name]
    assert len(fired) == 2  # two minute boundaries in any 120 s
    assert all(f["ok"] for f in fired), result["errors"]
    assert result["errors"] == []
    assert local_runtime.invocations["dispatcher"] == invoked + 2
    assert get(local_runtime, "/_local/clock").json()["now"] == result["now"]


def test_scheduled_event_shape(local_runtime: LocalRuntime) -> None:
    events: list[tuple[dict[str, Any], float]] = []

    def record(event: dict[str, Any], context: Any) -> None:
        events.append((event, local_runtime.clock.now()))
        assert context.get_remaining_time_in_millis() > 0

    with local_runtime.invoker.override("dispatcher", record):
        local_runtime.advance(DISPATCH.every_seconds)

    assert len(events) == 1
    event, fired_at = events[0]
    assert fired_at % DISPATCH.every_seconds == 0
    assert event["detail-type"] == DISPATCH.detail_type
    assert event["source"] == "aws.events"
    assert event["account"] == local_runtime.resources.account_id
    assert event["region"] == local_runtime.settings.aws_region
    assert event["time"] == iso(fired_at)
    assert event["resources"] == [local_runtime.resources.rule_arns[DISPATCH.name]]
    assert event["detail"] == {}


def test_clock_endpoint_rejects_nonsense(local_runtime: LocalRuntime) -> None:
    response = requests.post(local_runtime.clock_url, json={"advance": -5}, timeout=30)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}


# -------------------------------------------------------------------------------- SQS


class StubWorker:
    """Fails every record whose body starts with ``fail``; raises if told to."""

    def __init__(self, raise_error: bool = False) -> None:
        self.raise_error = raise_error
        self.deliveries: list[tuple[str, int, float]] = []
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        failures = []
        for record in event["Records"]:
            count = int(record["attributes"]["ApproximateReceiveCount"])
            self.deliveries.append((record["body"], count, domain_clock.now()))
            if record["body"].startswith("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
        if self.raise_error:
            raise RuntimeError("worker crashed")
        return {"batchItemFailures": failures}

    def bodies(self) -> list[str]:
        return [body for body, _, _ in self.deliveries]


@pytest.fixture
def quiet_queues(local_runtime: LocalRuntime) -> Iterator[LocalRuntime]:
    """Empty queues, and a dispatcher that enqueues nothing while the test moves time."""
    local_runtime.purge_queues()
    with local_runtime.invoker.override("dispatcher", lambda event, context: None):
        yield local_runtime
    local_runtime.purge_queues()


def send(runtime: LocalRuntime, *bodies: str) -> None:
    for body in bodies:
        runtime.aws.sqs.send_message(
            QueueUrl=runtime.pollers["follow-worker"].queue_url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "follow-batch"}},
        )


def depth(runtime: LocalRuntime, name: str) -> dict[str, Any]:
    return dict(get(runtime, "/_local/queues").json()["queues"][name])


def test_partial_batch_failure_redelivery_and_dlq(quiet_queues: LocalRuntime) -> None:
    runtime = quiet_queues
    settings = runtime.settings
    timeout = settings.queue_visibility_timeout_seconds
    worker = StubWorker()
    send(runtime, "ok-1", "fail-1", "ok-2")

    with runtime.invoker.override("follow-worker", worker):
        result = runtime.drain()
        assert (result.received, result.deleted, result.failed) == (3, 2, 1)
        assert sorted(worker.bodies()) == ["fail-1", "ok-1", "ok-2"]

        record = worker.events[0]["Records"][0]
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].endswith(f":{settings.follow_queue_name}")
        assert record["awsRegion"] == settings.aws_region
        assert record["md5OfBody"]
        assert record["messageAttributes"]["kind"]["stringValue"] == "follow-batch"
        assert record["messageAttributes"]["kind"]["dataType"] == "String"

        follow = depth(runtime, settings.follow_queue_name)
        assert (follow["visible"], follow["waiting_for_visibility"]) == (0, 1)

        # Not visible again before the (virtual) visibility timeout has passed ...
        runtime.drain()
        runtime.advance(timeout - 1)
        assert worker.bodies().count("fail-1") == 1
        # ... and redelivered, once, when it has.
        runtime.advance(1)
        assert worker.bodies().count("fail-1") == 2
        redelivered = [d for d in worker.deliveries if d[0] == "fail-1"]
        assert redelivered[1][1] == 2
        assert redelivered[1][2] - redelivered[0][2] == timeout

        # After maxReceiveCount receives, SQS moves it to the DLQ instead of delivering it.
        runtime.advance(timeout * (settings.queue_max_receive_count + 1))

    assert worker.bodies().count("fail-1") == settings.queue_max_receive_count
    assert worker.bodies().count("ok-1") == 1
    assert worker.bodies().count("ok-2") == 1
    dlq = runtime.resources.queue_by_name(settings.follow_queue_name).dlq_url
    moved = runtime.aws.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["fail-1"]
    follow = depth(runtime, settings.follow_queue_name)
    assert (follow["visible"], follow["in_flight"], follow["waiting_for_visibility"]) == (0, 0, 0)


def test_a_raising_handler_keeps_the_whole_batch(quiet_queues: LocalRuntime) -> None:
    runtime = quiet_queues
    crashing = StubWorker(raise_error=True)
    send(runtime, "ok-a", "ok-b")
    with runtime.invoker.override("follow-worker", crashing):
        result = runtime.drain()
    assert (result.received, result.deleted, result.failed) == (2, 0, 2)
    assert result.errors

    healthy = StubWorker()
    with runtime.invoker.override("follow-worker", healthy):
        runtime.advance(runtime.settings.queue_visibility_timeout_seconds)
    assert sorted(healthy.bodies()) == ["ok-a", "ok-b"]
    assert {count for _, count, _ in healthy.deliveries} == {2}
    assert depth(runtime, runtime.settings.follow_queue_name)["in_flight"] == 0


def test_batches_respect_the_worker_batch_size(quiet_queues: LocalRuntime) -> None:
    runtime = quiet_queues
    worker = StubWorker()
    send(runtime, *(f"ok-{i}" for i in range(12)))
    with runtime.invoker.override("follow-worker", worker):
        result = runtime.drain()
    assert result.received == 12
    assert max(len(e["Records"]) for e in worker.events) <= runtime.settings.worker_batch_size
    assert sorted(worker.bodies()) == sorted(f"ok-{i}" for i in range(12))


def test_delay_seconds_run_on_the_virtual_clock(quiet_queues: LocalRuntime) -> None:
    from followswarm.clients.queues import send_json

    runtime = quiet_queues
    worker = StubWorker()
    # Sent as a handler sends (the shared layer's client), delayed by 90 s.
    send_json(runtime.settings.follow_queue_name, {"job": "later"}, delay_seconds=90)
    send_json(runtime.settings.follow_queue_name, {"job": "now"})
    with runtime.invoker.override("follow-worker", worker):
        runtime.drain()
        assert worker.bodies() == ['{"job":"now"}']
        status = depth(runtime, runtime.settings.follow_queue_name)
        assert status["delayed_on_virtual_clock"] == 1
        runtime.advance(89)
        assert len(worker.deliveries) == 1
        runtime.advance(1)
    assert worker.bodies() == ['{"job":"now"}', '{"job":"later"}']
    _, receive_count, delivered_at = worker.deliveries[1]
    assert receive_count == 1
    assert delivered_at == worker.deliveries[0][2] + 90
    assert "x-local-visible-at" not in worker.events[1]["Records"][0]["messageAttributes"]


# -------------------------------------------------------------------------------- TTL


def test_ttl_sweep_deletes_only_expired_items(local_runtime: LocalRuntime) -> None:
    ddb = local_runtime.aws.dynamodb
    table = local_runtime.settings.idempotency_table
    now = int(local_runtime.clock.now())
    items = {"ttl-expired": now - 1, "ttl-later": now + 600}
    for key, expires in items.items():
        ddb.put_item(TableName=table, Item={"id": {"S": key}, "expiration": {"N": str(expires)}})
    ddb.put_item(TableName=table, Item={"id": {"S": "ttl-none"}})

    def present() -> set[str]:
        keys = [{"id": {"S": k}} for k in ("ttl-expired", "ttl-later", "ttl-none")]
        found = ddb.batch_get_item(RequestItems={table: {"Keys": keys}})["Responses"][table]
        return {item["id"]["S"] for item in found}

    assert present() == {"ttl-expired", "ttl-later", "ttl-none"}
    result = local_runtime.advance(1)
    assert result.ttl_deleted >= 1
    assert present() == {"ttl-later", "ttl-none"}
    local_runtime.advance(600)
    assert present() == {"ttl-none"}
    ddb.delete_item(TableName=table, Key={"id": {"S": "ttl-none"}})


def test_ttl_is_enabled_on_every_ttl_table(local_runtime: LocalRuntime) -> None:
    ddb = local_runtime.aws.dynamodb
    assert local_runtime.resources.ttl_attributes
    for table, attribute in local_runtime.resources.ttl_attributes.items():
        ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}
    assert sweep_expired(local_runtime.aws, {}, local_runtime.clock.now()) == 0


# -------------------------------------------------------------------------- resources


def test_resources_exist_and_creation_is_idempotent(local_runtime: LocalRuntime) -> None:
    settings = local_runtime.settings
    aws = local_runtime.aws
    tables = set(aws.dynamodb.list_tables()["TableNames"])
    assert set(settings.table_names().values()) <= tables

    follow = local_runtime.resources.queue_by_name(settings.follow_queue_name)
    attributes = aws.sqs.get_queue_attributes(QueueUrl=follow.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert int(attributes["VisibilityTimeout"]) == settings.queue_visibility_timeout_seconds
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == settings.queue_max_receive_count
    assert redrive["deadLetterTargetArn"] == follow.dlq_arn

    spotify = json.loads(
        aws.client("secretsmanager").get_secret_value(SecretId=settings.spotify_secret_name)[
            "SecretString"
        ]
    )
    config = local_runtime.spotify.standin.config
    assert spotify == {"client_id": config.client_id, "client_secret": config.client_secret}
    jwt = json.loads(
        aws.client("secretsmanager").get_secret_value(SecretId=settings.jwt_secret_name)[
            "SecretString"
        ]
    )
    assert jwt["current"]["kid"] == "k1"

    again = ensure_resources(
        aws,
        settings,
        spotify_client_id=config.client_id,
        spotify_client_secret=config.client_secret,
    )
    assert again.queues == local_runtime.resources.queues
    assert again.key_id == local_runtime.resources.key_id
    assert len(aws.sqs.list_queues()["QueueUrls"]) == 4
    # An existing JWT key survives a second start (sessions stay valid).
    jwt_again = json.loads(
        aws.client("secretsmanager").get_secret_value(SecretId=settings.jwt_secret_name)[
            "SecretString"
        ]
    )
    assert jwt_again == jwt


# ----------------------------------------------------------------------- nesting


def test_a_second_runtime_hands_the_process_back_when_it_stops(
    local_runtime: LocalRuntime, tmp_path: Path
) -> None:
    import os

    config = replace(local_runtime.config, data_dir=tmp_path, start_epoch=0.0, seed_demo_data=False)
    with LocalRuntime(config) as inner:
        assert domain_clock.now() == inner.clock.now() == 0.0
        assert os.environ["AWS_ENDPOINT_URL"] == inner.aws_endpoint_url
        assert get(inner, "/ready").status_code == 200
    assert domain_clock.now() == local_runtime.clock.now()
    assert os.environ["AWS_ENDPOINT_URL"] == local_runtime.aws_endpoint_url
    assert get(local_runtime, "/ready").status_code == 200
    with local_runtime.invoker.override("dispatcher", lambda event, context: None):
        assert local_runtime.advance(60).errors == []


# ---------------------------------------------------------------------------- Spotify


def test_spotipy_signs_in_against_the_stand_in(local_runtime: LocalRuntime) -> None:
    settings = local_runtime.settings
    secret = json.loads(
        local_runtime.aws.client("secretsmanager").get_secret_value(
            SecretId=settings.spotify_secret_name
        )["SecretString"]
    )
    user = local_runtime.demo_users[0]
    oauth = SpotifyOAuth(
        client_id=secret["client_id"],
        client_secret=secret["client_secret"],
        redirect_uri=settings.spotify_redirect_uri,
        scope="user-follow-read user-follow-modify user-library-modify",
        state="state-123",
        open_browser=False,
        cache_handler=MemoryCacheHandler(),
        requests_session=requests.Session(),
    )
    # Pointed at the stand-in by configuration, as the app's client is.
    oauth.OAUTH_AUTHORIZE_URL = f"{settings.spotify_accounts_url}/authorize"
    oauth.OAUTH_TOKEN_URL = f"{settings.spotify_accounts_url}/api/token"

    authorize_url = oauth.get_authorize_url()
    page = requests.get(authorize_url, timeout=30)
    assert page.status_code == 200
    assert user["display_name"] in page.text

    form = {key: values[0] for key, values in parse_qs(urlparse(authorize_url).query).items()}
    form |= {"user_id": user["id"], "decision": "allow"}
    consent = requests.post(
        f"{settings.spotify_accounts_url}/authorize", data=form, allow_redirects=False, timeout=30
    )
    assert consent.status_code == 302, consent.text
    location = urlparse(consent.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == settings.spotify_redirect_uri
    returned = parse_qs(location.query)
    assert returned["state"] == ["state-123"]

    token = oauth.get_access_token(returned["code"][0], as_dict=False, check_cache=False)
    client = spotipy.Spotify(auth=token, requests_session=requests.Session(), retries=0)
    client.prefix = settings.spotify_api_url
    me = client.current_user()
    assert me is not None
    assert me["id"] == user["id"]
    assert me["display_name"] == user["display_name"]
