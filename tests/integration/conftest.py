"""The local runtime, started once per test session on free ports with a temporary data dir."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.runtime import LocalRuntime, RuntimeConfig

#: A fixed virtual start (2026-05-28T20:26:40Z) so that runs are reproducible.
START_EPOCH = 1_780_000_000.0


@pytest.fixture(scope="session")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    config = RuntimeConfig(
        data_dir=tmp_path_factory.mktemp("local-runtime"),
        start_epoch=START_EPOCH,
        # moto's backends are process-global: a mock_aws test in the same pytest worker would
        # reset them under a threaded server, so the tests keep moto in a child process.
        moto_mode="process",
        seed=1234,
    ).with_free_ports()
    with LocalRuntime(config) as runtime:
        yield runtime
