"""Identity unit tests: moto in-process, the Spotify stand-in and the SendGrid sink on loopback,
and one fake clock shared by the domain and the stand-in."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from moto import mock_aws

from followswarm import clock
from followswarm.clients.aws import reset_clients
from followswarm.clients.secrets import reset_secrets
from followswarm.data.tables import bind_models, table_specs
from followswarm.settings import Settings, get_settings
from local.standins.sendgrid import SendGridSink
from local.standins.spotify import SpotifyStandIn

CLIENT_ID = "followswarm-local"
CLIENT_SECRET = "followswarm-local-secret"
SENDGRID_KEY = "SG.unit-test"
START = 1_780_000_000.0
REGION = "us-east-1"


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def spotify(fake_clock: FakeClock) -> Iterator[SpotifyStandIn]:
    with SpotifyStandIn(clock=fake_clock, sleep=lambda _s: None) as server:
        yield server


@pytest.fixture(scope="session")
def sink(fake_clock: FakeClock) -> Iterator[SendGridSink]:
    with SendGridSink(api_key=SENDGRID_KEY, clock=fake_clock) as server:
        yield server


@dataclass
class Env:
    settings: Settings
    clock: FakeClock
    spotify: SpotifyStandIn
    sink: SendGridSink

    def fake(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.spotify.url}{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def mails(self, to: str | None = None) -> list[dict[str, Any]]:
        """Mails the sink received, after the notifier has sent what is queued."""
        deliver_queued_mail()
        return self.sink.mails(to=to)

    def new_spotify_user(self, name: str = "Ada") -> str:
        return str(self.fake("POST", "/_fake/users", {"display_name": name})["id"])

    def new_artist(self, name: str = "The Swarm") -> str:
        return str(self.fake("POST", "/_fake/artists", {"name": name})["id"])

    def authorize(
        self, authorize_url: str, user_id: str, decision: str = "allow"
    ) -> dict[str, str]:
        """What the person does at Spotify: returns the callback's query (code/error, state)."""
        query = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()}
        form = {**query, "user_id": user_id, "decision": decision}
        response = requests.post(
            f"{self.spotify.url}/authorize", data=form, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch,
    fake_clock: FakeClock,
    spotify: SpotifyStandIn,
    sink: SendGridSink,
) -> Iterator[Env]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SWARM_STAGE": "unit",
        "SWARM_SPOTIFY_ACCOUNTS_URL": spotify.url,
        "SWARM_SPOTIFY_API_URL": f"{spotify.url}/v1/",
        "SWARM_SENDGRID_API_URL": sink.url,
        "SWARM_DASHBOARD_URL": "http://127.0.0.1:3001/dashboard",
        "SWARM_ADMIN_SPOTIFY_USER_IDS": json.dumps(["admin-user"]),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("SWARM_AWS_ENDPOINT_URL", raising=False)
    _reset_caches()
    requests.post(f"{spotify.url}/_fake/reset", timeout=10).raise_for_status()
    sink.state.clear()
    fake_clock.now = START
    clock.set_clock(fake_clock)
    with mock_aws():
        settings = get_settings()
        provision(settings)
        bind_models(settings)
        yield Env(settings, fake_clock, spotify, sink)
    clock.set_clock(None)
    _reset_caches()


def provision(settings: Settings, *, key_alias: str | None = None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for spec in table_specs(settings).values():
        dynamodb.create_table(**spec.create_table_kwargs())
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName=settings.notify_queue_name)
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key(Description="tokens")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=key_alias or settings.token_key_alias, TargetKeyId=key_id)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    for name, value in {
        settings.spotify_secret_name: {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        settings.jwt_secret_name: {
            "current": {"kid": "k1", "secret": "unit-secret-one-0123456789abcdef0123456789"}
        },
        settings.sendgrid_secret_name: {"api_key": SENDGRID_KEY},
    }.items():
        secrets.create_secret(Name=name, SecretString=json.dumps(value))


def _reset_caches() -> None:
    from followswarm.clients.queues import queue_url
    from followswarm.domain.mail import delivery

    get_settings.cache_clear()
    reset_clients()
    reset_secrets()
    queue_url.cache_clear()
    delivery.reset_client()
    # Handler modules read their settings at import: one imported earlier in this process
    # (by an integration test's local runtime, stage "dev") gets a cold start here.
    for module in ("functions.notifier.handler", "functions.api.handler"):
        if module in sys.modules:
            importlib.reload(sys.modules[module])


def deliver_queued_mail() -> int:
    """Runs the notifier function over every queued notification (as its SQS trigger would);
    returns how many it handled."""
    from followswarm.clients.queues import queue_url
    from functions.notifier import handler

    sqs = boto3.client("sqs", region_name=REGION)
    url = queue_url(get_settings().notify_queue_name)
    handled = 0
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:notify",
                "awsRegion": REGION,
            }
            for m in messages
        ]
        result = handler.handler({"Records": records}, _Context())
        assert result["batchItemFailures"] == [], result
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        handled += len(messages)
    return handled


@pytest.fixture
def signed_in(env: Env) -> Any:
    """Signs a new Spotify user in through the real flow; returns (member id, issued session)."""
    from followswarm.domain.identity import oauth

    def sign_in(name: str = "Ada", spotify_user_id: str | None = None, ip: str = "10.0.0.1") -> Any:
        user_id = spotify_user_id or env.new_spotify_user(name)
        start = oauth.begin_sign_in(ip)
        back = env.authorize(start.authorize_url, user_id)
        issued = oauth.complete_sign_in(back["code"], back["state"], start.browser_nonce)
        return issued.member_id, issued

    return sign_in


# ------------------------------------------------------------------------------- the API


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    def cookie(self, name: str) -> str | None:
        for item in self.cookies:
            key, _, rest = item.partition("=")
            if key == name:
                return rest.split(";", 1)[0]
        return None


class _Context:
    function_name = "api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class Api:
    """Invokes the API function as API Gateway (HTTP API, payload 2.0) would."""

    def __init__(self) -> None:
        from functions.api import handler

        self._handler = handler.handler

    def __call__(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
        ip: str = "10.0.0.1",
    ) -> Reply:
        from urllib.parse import urlencode

        all_headers = {"host": "api.test", **(headers or {})}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        if body is not None:
            all_headers["content-type"] = "application/json"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": urlencode(query or {}),
            "headers": all_headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "api",
                "domainName": "api.test",
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": ip,
                    "userAgent": "test",
                },
                "requestId": "req",
                "routeKey": "$default",
                "stage": "$default",
                "time": "01/Jan/2026:00:00:00 +0000",
                "timeEpoch": 0,
            },
            "body": None if body is None else json.dumps(body),
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = query
        if cookies:
            event["cookies"] = [f"{k}={v}" for k, v in cookies.items()]
        result = self._handler(event, _Context())
        return Reply(
            status=int(result["statusCode"]),
            headers={k.lower(): v for k, v in (result.get("headers") or {}).items()},
            cookies=list(result.get("cookies") or []),
            body=result.get("body") or "",
        )


@pytest.fixture
def api(env: Env) -> Api:
    return Api()


@pytest.fixture
def browser_sign_in(env: Env, api: Api) -> Any:
    """Signs in through the API as a browser: returns the session cookies set by the callback."""

    def sign_in(spotify_user_id: str | None = None, ip: str = "10.0.0.1") -> dict[str, str]:
        user = spotify_user_id or env.new_spotify_user()
        start = api("GET", "/auth/spotify", ip=ip)
        assert start.status == 302, start.body
        nonce = start.cookie("fs_oauth")
        assert nonce
        back = env.authorize(start.headers["location"], user)
        done = api("GET", "/auth/callback", query=back, cookies={"fs_oauth": nonce}, ip=ip)
        assert done.status == 302, done.body
        return {
            name: value
            for name in ("fs_access", "fs_refresh", "fs_csrf")
            if (value := done.cookie(name)) is not None
        }

    return sign_in
