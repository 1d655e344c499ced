"""moto's server on loopback, and boto3 clients pointed at it.

``thread`` mode runs moto's ``ThreadedMotoServer`` in this process (``make run``). ``process``
mode runs the same server in a child process: moto's backends are process-global, so a
``mock_aws`` test elsewhere in the same pytest worker would otherwise reset the runtime's tables.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import requests

from local.runtime.config import MotoMode

#: Dummy credentials: moto accepts anything; real ones must never reach the local runtime.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
#: moto's default account (see ``moto.core.models.DEFAULT_ACCOUNT_ID``).
MOTO_ACCOUNT_ID = "123456789012"

_REPO_ROOT = str(Path(__file__).resolve().parents[2])
_PROCESS_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[3])
from local.runtime.aws import _quiet_threaded_moto_server
server = _quiet_threaded_moto_server(sys.argv[1], int(sys.argv[2]))
server.start()
print("ready", flush=True)
sys.stdin.read()  # until the parent closes our stdin (or dies)
server.stop()
"""


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """Starts and stops moto's server; ``url`` is its endpoint."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mode: MotoMode = "thread") -> None:
        self.host = host
        self.port = port
        self.mode = mode
        self._thread_server: Any = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        if self.mode == "thread":
            server = _quiet_threaded_moto_server(self.host, self.port)
            server.start()
            self.port = server.get_host_and_port()[1]
            self._thread_server = server
        else:
            if self.port == 0:
                self.port = free_port(self.host)
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", _PROCESS_SCRIPT, self.host, str(self.port), _REPO_ROOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert self._process.stdout is not None
            line = self._process.stdout.readline()
            if line.strip() != "ready":
                self.stop()
                raise RuntimeError(f"moto server did not start on port {self.port}")
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(f"{self.url}/moto-api/", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self._thread_server is not None:
            self._thread_server.stop()
            self._thread_server = None
        if self._process is not None:
            process, self._process = self._process, None
            with contextlib.suppress(OSError):
                assert process.stdin is not None
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _quiet_threaded_moto_server(host: str, port: int) -> Any:
    """moto's ``ThreadedMotoServer`` without its per-request access log (hundreds of lines
    per clock advance would drown the API's own log in ``make run``)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    class QuietThreadedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=QuietHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return QuietThreadedMotoServer(ip_address=host, port=port, verbose=False)


def aws_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """What a process needs so every boto3/pynamodb client reaches moto, never AWS."""
    return {
        **DUMMY_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "SWARM_AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "SWARM_AWS_REGION": region,
        # Never read ~/.aws: a profile there must not redirect the local runtime.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


class AwsClients:
    """boto3 clients for the runtime's own use (resource creation, SQS polling, TTL sweeps)."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=region,
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(  # type: ignore[call-overload]
                service, endpoint_url=self.endpoint_url, region_name=self.region
            )
        return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def sqs(self) -> Any:
        return self.client("sqs")
