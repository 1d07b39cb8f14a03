"""Shared fixtures of the test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from custom_components.ig_autoliker.engine.client import (
    ConnectionOptions,
    InstagramClient,
)

from tests.sandbox import Sandbox, World, build_test_world
from tests.sandbox.testworld import ALICE
from tests.timebase import default_test_start

# --------------------------------------------------------------------------------------
# Sandbox (Instagram private-API emulator) fixtures -- owner: client.py / tests/sandbox.
# `sandbox` is a started emulator serving `sandbox_world` (override that fixture for a
# different world); it runs in a background thread that is stopped and joined in
# teardown (HA's verify_cleanup fails tests that leave threads). PHACC disables sockets
# per test, hence `socket_enabled`.
# --------------------------------------------------------------------------------------


@pytest.fixture
def clock_start() -> float | None:
    """Unix seconds the fake clocks start at (None: `default_test_start()`)."""
    return None


@pytest.fixture
def sandbox_world(clock_start: float | None) -> World:
    """A fresh test world (tests/sandbox/testworld.py), built at the clocks' start."""
    return build_test_world(
        start=default_test_start() if clock_start is None else clock_start
    )


@pytest.fixture
def sandbox(socket_enabled: None, sandbox_world: World) -> Iterator[Sandbox]:
    """A running emulator; stopped and joined after the test."""
    with Sandbox(sandbox_world) as running:
        yield running


@pytest.fixture
def connection_options(sandbox: Sandbox) -> ConnectionOptions:
    """ConnectionOptions reaching the emulator through its proxy; short timeout."""
    return ConnectionOptions(
        proxy=sandbox.proxy_url, verify=str(sandbox.ca_path), timeout=3.0
    )


@pytest.fixture
def alice(sandbox: Sandbox, connection_options: ConnectionOptions) -> InstagramClient:
    """alice's InstagramClient, logged in; the request log is cleared afterwards."""
    api = InstagramClient(ALICE.username, ALICE.password, options=connection_options)
    api.login()
    sandbox.world.clear_log()
    return api


# -------------------------------------------------------------- end sandbox fixtures


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config dir of its own per test: the like history is a file in `.storage`."""
    return hass_tmp_config_dir
