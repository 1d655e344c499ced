"""The whole system on one machine: moto, the Spotify stand-in, the API and the virtual clock.

    with LocalRuntime(RuntimeConfig().with_free_ports()) as runtime:
        requests.get(f"{runtime.api_url}/health")
        runtime.advance(300)  # fires five dispatch ticks and drains the follow queue

Handlers run in this process, as Lambda would run them: the runtime sets the environment a
deployed function gets (``Settings.lambda_environment()`` plus the local endpoints), installs
the virtual clock in ``followswarm.clock`` and imports handler modules lazily, after that.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import boto3
import requests
from botocore.exceptions import ClientError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from followswarm import clock as domain_clock
from followswarm.catalog import FUNCTIONS, SCHEDULES
from followswarm.data.models import MemberModel
from followswarm.data.tables import bind_models, table_specs
from followswarm.edge_routes import SITE_DIR
from followswarm.settings import Settings, get_settings
from local.runtime.apigw import ApiGateway
from local.runtime.aws import AwsClients, MotoServer, aws_environment
from local.runtime.clock import AdvanceResult, ClockDriver, DrainResult, Scheduler, VirtualClock
from local.runtime.config import RuntimeConfig
from local.runtime.edge import Edge
from local.runtime.lambdas import FunctionInvoker
from local.runtime.resources import (
    SENDGRID_LOCAL_API_KEY,
    STRIPE_LOCAL_API_KEY,
    STRIPE_LOCAL_WEBHOOK_SECRET,
    AwsResources,
    ensure_resources,
    sweep_expired,
)
from local.runtime.sqs import DelayBridge, SqsPoller, queue_depths
from local.standins.sendgrid.server import SendGridSink
from local.standins.serving import QuietRequestHandler
from local.standins.spotify import SpotifyStandIn, SpotifyStandInConfig
from local.standins.stripe import StripeStandIn

log = logging.getLogger(__name__)

#: Real-time loop of ``make run``: how often schedules and queues are looked at.
REALTIME_TICK_SECONDS = 0.5
#: ... and how often expired TTL items are swept.
REALTIME_SWEEP_SECONDS = 60.0

#: The dashboard's static site, served at the API's origin as CloudFront serves it.
SITE_ROOT = Path(__file__).resolve().parents[2] / SITE_DIR

DEMO_ARTISTS = ("The Local Echoes", "Moto Mornings", "Virtual Clocks")
DEMO_USERS = ("Ada Demo", "Bo Demo", "Cy Demo")
#: The paid tiers' prices in the Stripe stand-in: tier -> (price id, monthly cents).
LOCAL_STRIPE_PRICES = {"pro": ("price_local_pro", 900), "premium": ("price_local_premium", 2900)}


class LocalRuntime:
    """Starts and stops every local piece; a context manager."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig.from_env()
        self.clock = VirtualClock(self.config.start_epoch, flowing=self.config.realtime)
        self._moto: MotoServer | None = None
        self._spotify: SpotifyStandIn | None = None
        self._sendgrid: SendGridSink | None = None
        self._stripe: StripeStandIn | None = None
        self._api_server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._environment: dict[str, str] = {}
        self._boto_session: boto3.session.Session | None = None
        self._aws: AwsClients | None = None
        self._settings: Settings | None = None
        self._resources: AwsResources | None = None
        self._invoker: FunctionInvoker | None = None
        self._driver: ClockDriver | None = None
        self._gateway: ApiGateway | None = None
        self._edge: Edge | None = None
        self._delay_bridge: DelayBridge | None = None
        self.pollers: dict[str, SqsPoller] = {}
        self.demo_users: list[dict[str, Any]] = []
        self.demo_artists: list[dict[str, Any]] = []
        self.started = False

    # ---------------------------------------------------------------------------- lifecycle

    def start(self) -> LocalRuntime:
        if self.started:
            return self
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started = True
        return self

    def _start(self) -> None:
        config = self.config
        config.data_dir.mkdir(parents=True, exist_ok=True)

        self._moto = MotoServer(config.host, config.moto_port, config.moto_mode).start()

        # Bind the API socket first: the redirect URI and public URLs need its port.
        quiet = QuietRequestHandler if not config.realtime else WSGIRequestHandler
        self._api_server = make_server(
            config.host, config.api_port, self._wsgi, threaded=True, request_handler=quiet
        )
        spotify_config = SpotifyStandInConfig(seed=config.seed, redirect_uris=(self.redirect_uri,))
        self._spotify = SpotifyStandIn(
            spotify_config, host=config.host, port=config.spotify_port, clock=self.clock.now
        ).start()
        self._sendgrid = SendGridSink(
            SENDGRID_LOCAL_API_KEY,
            host=config.host,
            port=config.sendgrid_port,
            clock=self.clock.now,
        ).start()
        self._stripe = StripeStandIn(
            STRIPE_LOCAL_API_KEY,
            host=config.host,
            port=config.stripe_port,
            clock=self.clock.now,
            webhook_url=f"{self.api_url}/webhooks/stripe",
            webhook_secret=STRIPE_LOCAL_WEBHOOK_SECRET,
        ).start()
        for tier, (price_id, cents) in LOCAL_STRIPE_PRICES.items():
            self._stripe.add_price(
                price_id,
                product=f"Follow-Swarm {tier.capitalize()}",
                unit_amount=cents,
                nickname=tier,
            )

        settings = Settings(**self._settings_overrides())
        self._settings = settings
        self._aws = AwsClients(self._moto.url, settings.aws_region)
        self._resources = ensure_resources(
            self._aws,
            settings,
            spotify_client_id=spotify_config.client_id,
            spotify_client_secret=spotify_config.client_secret,
        )
        self._environment = self.function_environment()
        _apply_environment(self._environment)
        # The handlers' view: read from the environment just set, as ``get_settings()`` does.
        settings = Settings(**self._settings_overrides(with_queue_url=True))
        self._settings = settings

        invoker = FunctionInvoker(
            settings.app_name,
            settings.stage,
            settings.aws_region,
            self._resources.account_id,
            before_invoke=self._ensure_active,
        )
        self._invoker = invoker
        for spec in FUNCTIONS:
            if spec.trigger != "sqs" or spec.queue_setting is None:
                continue
            queue = self._resources.queue_by_name(str(getattr(settings, spec.queue_setting)))
            self.pollers[spec.name] = SqsPoller(
                self._aws.sqs,
                queue_url=queue.url,
                queue_arn=queue.arn,
                region=settings.aws_region,
                batch_size=settings.worker_batch_size,
                visibility_timeout=queue.visibility_timeout,
                invoke=_bind(invoker, spec.name),
                now=self.clock.now,
            )
        # Handlers' boto3 clients come from the default session: ours, created after the
        # environment is set, with the hook that puts DelaySeconds on the virtual clock.
        self._boto_session = boto3.session.Session()
        self._delay_bridge = DelayBridge(
            {p.queue_url for p in self.pollers.values()}, self.clock.now
        )
        self._delay_bridge.install(self._boto_session.events)
        with _ACTIVE_LOCK:
            _ACTIVE.append(self)
            self._activate()
        scheduler = Scheduler(
            SCHEDULES,
            invoker.invoke,
            now=self.clock.now(),
            region=settings.aws_region,
            account=self._resources.account_id,
            rule_arns=self._resources.rule_arns,
        )
        specs = table_specs(settings)
        aws = self._aws
        self._driver = ClockDriver(
            self.clock,
            scheduler,
            list(self.pollers.values()),
            sweep=lambda now: sweep_expired(aws, specs, now),
        )

        self._gateway = ApiGateway(
            invoke_api=_bind(invoker, "api"),
            now=self.clock.now,
            advance=lambda seconds: self.advance(seconds).to_json(),
            queues=self.queue_status,
            account_id=self._resources.account_id,
            routes={
                prefix: _bind(invoker, spec.name)
                for spec in FUNCTIONS
                if spec.trigger == "http"
                for prefix in spec.http_routes
            },
        )
        self._edge = Edge(api=self._gateway, site_dir=SITE_ROOT)
        self._spawn("api-gateway", self._api_server.serve_forever)
        if config.seed_demo_data:
            self._seed_demo_data()
        if config.realtime:
            self._spawn("realtime-clock", self._realtime_loop)
        self._write_state_file()

    def stop(self) -> None:
        self._stopping.set()
        if self._api_server is not None:
            self._api_server.shutdown()
            self._api_server.server_close()
            self._api_server = None
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        if self._spotify is not None:
            self._spotify.stop()
            self._spotify = None
        if self._sendgrid is not None:
            self._sendgrid.stop()
            self._sendgrid = None
        if self._stripe is not None:
            self._stripe.stop()
            self._stripe = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._delay_bridge is not None:
            self._delay_bridge.uninstall()
            self._delay_bridge = None
        with _ACTIVE_LOCK:
            was_live = bool(_ACTIVE) and _ACTIVE[-1] is self
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            if not _ACTIVE:
                _deactivate_all()  # also undoes a start that failed half-way
            elif was_live:
                _ACTIVE[-1]._activate()  # the runtime started before this one is live again
        if self.started:
            (self.config.data_dir / "runtime.json").unlink(missing_ok=True)
        self.started = False

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --------------------------------------------------------------------------- settings

    def _settings_overrides(self, *, with_queue_url: bool = False) -> dict[str, Any]:
        api = self.api_url
        extra: dict[str, Any] = {}
        if with_queue_url and "follow_queue_url" in Settings.model_fields:
            follow = self.resources.queue_by_name(self.settings.follow_queue_name)
            extra["follow_queue_url"] = follow.url
        return {
            "stage": self.config.stage,
            "spotify_accounts_url": self.spotify_url,
            "spotify_api_url": f"{self.spotify_url}/v1/",
            "spotify_redirect_uri": self.redirect_uri,
            "sendgrid_api_url": self.sendgrid_url,
            "stripe_api_base": self.stripe_url,
            "stripe_price_pro": LOCAL_STRIPE_PRICES["pro"][0],
            "stripe_price_premium": LOCAL_STRIPE_PRICES["premium"][0],
            "public_base_url": api,
            "dashboard_url": f"{api}/dashboard",
            "cors_allow_origins": (api,),
            **extra,
            **self.config.settings_overrides,
        }

    def function_environment(self) -> dict[str, str]:
        """The environment every handler sees: what CDK gives a deployed function, plus the
        local endpoints and dummy credentials."""
        settings, resources = self.settings, self.resources
        follow = resources.queue_by_name(settings.follow_queue_name)
        notify = resources.queue_by_name(settings.notify_queue_name)
        return {
            **settings.lambda_environment(),
            **aws_environment(self.aws_endpoint_url, settings.aws_region),
            "SWARM_FOLLOW_QUEUE_URL": follow.url,
            "SWARM_FOLLOW_DLQ_URL": follow.dlq_url,
            "SWARM_NOTIFY_QUEUE_URL": notify.url,
            "SWARM_NOTIFY_DLQ_URL": notify.dlq_url,
            "SWARM_TOKEN_KEY_ARN": resources.key_arn,
            "POWERTOOLS_SERVICE_NAME": settings.app_name,
            "POWERTOOLS_METRICS_NAMESPACE": settings.metrics_namespace,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "SWARM_LOCAL": "true",
        }

    def _activate(self) -> None:
        """Install this runtime's process-wide state: environment, default boto3 session,
        virtual clock, model bindings; forget what the shared layer cached under another
        runtime and re-import handler modules (their import reads the settings).

        Handlers share the process, so one runtime is live at a time: the most recently
        started. Stopping it re-activates the one started before it, if any.
        """
        _apply_environment(self._environment)
        boto3.DEFAULT_SESSION = self._boto_session
        _clear_layer_caches()
        bind_models(self.settings)
        domain_clock.set_clock(self.clock.now)
        self._reload_imported_handlers()
        self.invoker.forget_handlers()

    def _ensure_active(self) -> None:
        """Other code in this process (a ``mock_aws`` unit test, say) may have rebound the
        models, the environment or the clock since this runtime started; a Lambda container
        never sees its environment change, so put ours back before each invocation."""
        with _ACTIVE_LOCK:
            if not _ACTIVE or _ACTIVE[-1] is not self:
                return
            meta: Any = MemberModel.Meta
            diverged = (
                meta.host != self.settings.aws_endpoint_url
                or meta.table_name != self.settings.members_table
                or boto3.DEFAULT_SESSION is not self._boto_session
                or any(os.environ.get(k) != v for k, v in self._environment.items())
            )
            if diverged:
                log.info("process state changed under the local runtime; restoring it")
                self._activate()
            domain_clock.set_clock(self.clock.now)

    def _reload_imported_handlers(self) -> None:
        """A handler module imported under other settings (by a unit test or another runtime
        in the same process) runs its import again, as a cold start would."""
        for spec in FUNCTIONS:
            module = sys.modules.get(spec.module)
            if module is not None:
                log.info("re-importing %s under the local runtime's environment", spec.module)
                importlib.reload(module)

    # ------------------------------------------------------------------------------- time

    def advance(self, seconds: float) -> AdvanceResult:
        """Move virtual time forward, firing schedules and draining queues on the way."""
        return self.driver.advance(seconds)

    def drain(self) -> DrainResult:
        """Process every visible message now (without moving time)."""
        return self.driver.drain()

    def tick(self) -> AdvanceResult:
        return self.driver.tick()

    def _realtime_loop(self) -> None:
        last_sweep = time.monotonic()
        while not self._stopping.wait(REALTIME_TICK_SECONDS):
            sweep = time.monotonic() - last_sweep >= REALTIME_SWEEP_SECONDS
            try:
                result = self.driver.tick(sweep=sweep)
            except Exception:
                log.exception("real-time tick failed")
                continue
            if sweep:
                last_sweep = time.monotonic()
            for fired in result.fired:
                log.info("fired %s -> %s (ok=%s)", fired.schedule, fired.function, fired.ok)

    # ------------------------------------------------------------------------- the gateway

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return _started(self._edge)(environ, start_response)

    @property
    def gateway(self) -> ApiGateway:
        return _started(self._gateway)

    def queue_status(self) -> dict[str, Any]:
        """Depths of every queue and DLQ, plus messages waiting for a virtual timeout."""
        queues: dict[str, str] = {}
        for queue in self.resources.queues.values():
            queues[queue.name] = queue.url
            queues[queue.dlq_name] = queue.dlq_url
        status: dict[str, Any] = dict(queue_depths(self.aws.sqs, queues))
        for poller in self.pollers.values():
            for name, url in queues.items():
                if url == poller.queue_url:
                    status[name]["waiting_for_visibility"] = poller.hidden_count()
                    status[name]["delayed_on_virtual_clock"] = poller.delayed_count()
                    status[name]["next_visible_at"] = poller.next_visible_at()
        return status

    def purge_queues(self) -> None:
        """Empty every queue and DLQ and forget pending visibility timers (a test hook).

        Receives and deletes rather than ``PurgeQueue``: SQS (and moto) allow one purge per
        queue every 60 real seconds.
        """
        sqs = self.aws.sqs
        for poller in self.pollers.values():
            for receipt in poller.forget():
                with contextlib.suppress(ClientError):
                    sqs.delete_message(QueueUrl=poller.queue_url, ReceiptHandle=receipt)
        for queue in self.resources.queues.values():
            for url in (queue.url, queue.dlq_url):  # the main queue may still move some to the DLQ
                while messages := sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
                ).get("Messages", []):
                    sqs.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    )

    # --------------------------------------------------------------------------- demo data

    def _seed_demo_data(self) -> None:
        base = f"{self.spotify_url}/_fake"
        for name in DEMO_ARTISTS:
            response = requests.post(f"{base}/artists", json={"name": name}, timeout=10)
            response.raise_for_status()
            self.demo_artists.append(response.json())
        for name in DEMO_USERS:
            response = requests.post(f"{base}/users", json={"display_name": name}, timeout=10)
            response.raise_for_status()
            self.demo_users.append(response.json())

    def _write_state_file(self) -> None:
        state = {
            "pid": os.getpid(),
            "api_url": self.api_url,
            "docs_url": self.docs_url,
            "clock_url": self.clock_url,
            "spotify_url": self.spotify_url,
            "stripe_url": self.stripe_url,
            "sendgrid_url": self.sendgrid_url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "stage": self.config.stage,
        }
        path = self.config.data_dir / "runtime.json"
        path.write_text(json.dumps(state, indent=2) + "\n")

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -------------------------------------------------------------------------- properties

    @property
    def api_url(self) -> str:
        if self._api_server is None:
            raise RuntimeError("the runtime is not started")
        return f"http://{self.config.host}:{self._api_server.server_port}"

    @property
    def docs_url(self) -> str:
        return f"{self.api_url}/docs"

    @property
    def clock_url(self) -> str:
        return f"{self.api_url}/_local/clock"

    @property
    def redirect_uri(self) -> str:
        return f"{self.api_url}/auth/callback"

    @property
    def sendgrid_url(self) -> str:
        """The SendGrid sink: ``/`` lists received mails, ``/_sink/mails`` as JSON."""
        return _started(self._sendgrid).url

    @property
    def sendgrid(self) -> SendGridSink:
        return _started(self._sendgrid)

    @property
    def stripe_url(self) -> str:
        """The Stripe stand-in: the API under ``/v1``, hosted pages, ``/_fake/`` controls."""
        return _started(self._stripe).url

    @property
    def stripe(self) -> StripeStandIn:
        return _started(self._stripe)

    @property
    def spotify_url(self) -> str:
        if self._spotify is None:
            raise RuntimeError("the runtime is not started")
        return self._spotify.url

    @property
    def spotify(self) -> SpotifyStandIn:
        if self._spotify is None:
            raise RuntimeError("the runtime is not started")
        return self._spotify

    @property
    def aws_endpoint_url(self) -> str:
        if self._moto is None:
            raise RuntimeError("the runtime is not started")
        return self._moto.url

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    @property
    def settings(self) -> Settings:
        return _started(self._settings)

    @property
    def resources(self) -> AwsResources:
        return _started(self._resources)

    @property
    def aws(self) -> AwsClients:
        return _started(self._aws)

    @property
    def invoker(self) -> FunctionInvoker:
        return _started(self._invoker)

    @property
    def driver(self) -> ClockDriver:
        return _started(self._driver)

    @property
    def invocations(self) -> Mapping[str, int]:
        """How often each catalogue function ran (a test hook)."""
        return self.invoker.invocations


T = TypeVar("T")


def _started(value: T | None) -> T:
    if value is None:
        raise RuntimeError("the runtime is not started")
    return value


_ACTIVE: list[LocalRuntime] = []
_ACTIVE_LOCK = threading.RLock()
#: Values the environment had before any runtime changed it (``None``: unset).
_ORIGINAL_ENV: dict[str, str | None] = {}


def _apply_environment(env: Mapping[str, str]) -> None:
    for name, value in env.items():
        _ORIGINAL_ENV.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _deactivate_all() -> None:
    """The last runtime stopped: the process gets its own environment and clock back."""
    for name, value in _ORIGINAL_ENV.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _ORIGINAL_ENV.clear()
    boto3.DEFAULT_SESSION = None
    domain_clock.set_clock(None)
    _clear_layer_caches()


def _clear_layer_caches() -> None:
    """Clear every module-level ``functools`` cache of the shared layer (settings, boto3
    clients, secrets providers, queue URLs ...): they hold another runtime's endpoints."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "followswarm" or name.startswith("followswarm.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()
    get_settings.cache_clear()


def _bind(invoker: FunctionInvoker, function: str) -> Any:
    def invoke(event: dict[str, Any]) -> Any:
        return invoker.invoke(function, event)

    return invoke
