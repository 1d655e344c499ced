"""Invokes catalogue functions in-process, as Lambda would, with a fake Lambda context.

Handler modules are imported lazily, on first invocation, so that they read the environment the
runtime has set (Lambda functions read their settings at import). Tests may override a function
with a stub (``override``) and read how often each function ran (``invocations``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from followswarm.catalog import FUNCTIONS, FunctionSpec, function_by_name

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes and method of ``awslambdaric``'s context that handlers use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"local/[$LATEST]{uuid.uuid4().hex}"

    @property
    def memory_limit_in_mb_str(self) -> str:
        return str(self.memory_limit_in_mb)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    function: str
    request_id: str
    ok: bool
    error: str | None = None


class FunctionInvoker:
    """Resolves catalogue functions to handlers and invokes them."""

    def __init__(
        self,
        app_name: str,
        stage: str,
        region: str,
        account: str,
        before_invoke: Callable[[], None] | None = None,
    ) -> None:
        #: Restores the runtime's process state, which a Lambda container never sees change.
        self._before_invoke = before_invoke
        self._prefix = f"{app_name}-{stage}"
        self._region = region
        self._account = account
        self._handlers: dict[str, Handler] = {}
        self._overrides: dict[str, Handler] = {}
        self._lock = threading.Lock()
        # One warm execution environment per function: Lambda hands an environment one event
        # at a time, and handlers rely on it (Powertools' resolver keeps the current event on
        # its module-level app), so concurrent requests (a browser's parallel fetches) queue.
        self._environments: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self.invocations: Counter[str] = Counter()
        self.history: list[Invocation] = []

    def physical_name(self, spec: FunctionSpec) -> str:
        return f"{self._prefix}-{spec.name}"

    def context(self, spec: FunctionSpec) -> LambdaContext:
        name = self.physical_name(spec)
        return LambdaContext(
            function_name=name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{self._region}:{self._account}:function:{name}",
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=spec.timeout_seconds,
        )

    def handler(self, function: str) -> Handler:
        with self._lock:
            if function in self._overrides:
                return self._overrides[function]
            if function not in self._handlers:
                spec = function_by_name(function)
                module = importlib.import_module(spec.module)
                self._handlers[function] = module.handler
            return self._handlers[function]

    def forget_handlers(self) -> None:
        """Resolve handlers afresh on next use (after their modules were re-imported)."""
        with self._lock:
            self._handlers.clear()

    def preload(self) -> None:
        """Import every handler module now (as Lambda's init phase would)."""
        for spec in FUNCTIONS:
            self.handler(spec.name)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Invoke ``function`` with ``event``; exceptions propagate (the caller decides what
        Lambda's event source would do with them)."""
        spec = function_by_name(function)
        if self._before_invoke is not None:
            self._before_invoke()
        handler = self.handler(function)
        context = self.context(spec)
        with self._lock:
            self.invocations[function] += 1
        try:
            with self._environment(function):
                result = handler(event, context)
        except Exception as error:
            self._record(Invocation(function, context.aws_request_id, False, repr(error)))
            raise
        self._record(Invocation(function, context.aws_request_id, True))
        return result

    def _environment(self, function: str) -> threading.Lock:
        with self._lock:
            return self._environments[function]

    def _record(self, invocation: Invocation) -> None:
        with self._lock:
            self.history.append(invocation)
            del self.history[:-1000]

    @contextlib.contextmanager
    def override(self, function: str, handler: Handler) -> Iterator[Handler]:
        """Replace ``function``'s handler for the duration of the block (tests)."""
        function_by_name(function)  # KeyError for unknown names
        with self._lock:
            previous = self._overrides.get(function)
            self._overrides[function] = handler
        try:
            yield handler
        finally:
            with self._lock:
                if previous is None:
                    self._overrides.pop(function, None)
                else:
                    self._overrides[function] = previous
