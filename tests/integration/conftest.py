"""Fixtures for tests that run the integration in Home Assistant against the emulator.

instagrapi reaches the emulator through the standard environment only (HTTPS_PROXY,
REQUESTS_CA_BUNDLE), as it would behind any proxy: the integration has no test branch.
The coordinator's clock and pauses are replaced by a fake clock, so a cycle with
dozens of jittered pauses runs in milliseconds while the limiter sees real spacing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_MAX_LIKES_TARGET_CYCLE,
    CONF_TARGET_PK,
    CONF_WARMUP_DAYS,
    DOMAIN,
    SUBENTRY_TYPE_TARGET,
)
from custom_components.ig_autoliker.coordinator import IgAutolikerCoordinator
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import Sandbox, World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PUBLIC
from tests.timebase import default_test_start


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def instagram(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The emulator, reached through the standard proxy and CA-bundle variables."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def world(instagram: Sandbox) -> World:
    """The emulated Instagram's state: accounts, media, likes, request log, faults."""
    return instagram.world


class FakeClock:
    """Unix seconds that move only when the coordinator pauses or a test says so.

    The emulator's clock follows, so Instagram's like times and the limiter's agree.
    """

    def __init__(self, world: World, start: float | None = None) -> None:
        self.world = world
        self.now = default_test_start() if start is None else start
        self.world.clock.set(self.now)
        self.pauses: list[float] = []

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.world.clock.set(self.now)


@pytest.fixture
def clock(world: World, clock_start: float | None) -> Iterator[FakeClock]:
    """Drive the coordinator's clock and pauses; `clock.pauses` lists every wait."""
    fake = FakeClock(world, clock_start)

    async def _sleep(_self: IgAutolikerCoordinator, seconds: float) -> None:
        fake.pauses.append(seconds)
        fake.advance(seconds)

    with (
        patch.object(IgAutolikerCoordinator, "_now", staticmethod(fake.time)),
        patch.object(IgAutolikerCoordinator, "_sleep", _sleep),
    ):
        yield fake


def target_subentry(
    world: World, username: str, *, stories: bool = True, posts: bool = True
) -> ConfigSubentryData:
    """A target subentry as the subentry flow creates it."""
    user = world.user(username)
    assert user is not None
    return ConfigSubentryData(
        data={
            CONF_USERNAME: username,
            CONF_TARGET_PK: str(user.pk),
            CONF_LIKE_STORIES: stories,
            CONF_LIKE_POSTS: posts,
        },
        subentry_type=SUBENTRY_TYPE_TARGET,
        title=username,
        unique_id=str(user.pk),
    )


@pytest.fixture
def targets() -> list[str]:
    """Usernames of the entry's targets (override in a test module)."""
    return [PUBLIC, PRIVATE_FOLLOWED]


#: Options that turn the account-safety pacing off (warm-up, active hours and the
#: per-target cap) for tests about something else; freezes stay on.
SAFETY_OFF: dict[str, int] = {
    CONF_WARMUP_DAYS: 0,
    CONF_ACTIVE_START: 0,
    CONF_ACTIVE_END: 0,
    CONF_MAX_LIKES_TARGET_CYCLE: 50,
}


@pytest.fixture
def entry_options() -> dict[str, int]:
    """The entry's options; `{}` gives the defaults (safety pacing on)."""
    return dict(SAFETY_OFF)


@pytest.fixture
def config_entry(
    world: World, targets: list[str], entry_options: dict[str, int]
) -> MockConfigEntry:
    """Alice's entry (CAA login, no two-factor) with the `targets`."""
    alice = world.user(ALICE.username)
    assert alice is not None
    return MockConfigEntry(
        domain=DOMAIN,
        title=ALICE.username,
        unique_id=str(alice.pk),
        data={CONF_USERNAME: ALICE.username, CONF_PASSWORD: ALICE.password},
        options=entry_options,
        subentries_data=[target_subentry(world, name) for name in targets],
    )


@pytest.fixture
def enabled_entities() -> list[tuple[str, str]]:
    """(platform, key) of account entities disabled by default that a test enables.

    As a user does in the entity's settings; override with `parametrize`.
    """
    return []


@pytest.fixture
async def setup_integration(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    clock: FakeClock,
    enabled_entities: list[tuple[str, str]],
) -> AsyncIterator[MockConfigEntry]:
    """Set the entry up; the first cycle has not run yet when the test starts."""
    config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for platform, key in enabled_entities:
        registry.async_get_or_create(
            platform,
            DOMAIN,
            f"{config_entry.unique_id}_{key}",
            config_entry=config_entry,
        )
    with patch("custom_components.ig_autoliker.async_call_later") as first_cycle:
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    assert first_cycle.call_count == 1
    yield config_entry
    if hass.config_entries.async_get_entry(config_entry.entry_id) is not None:
        await hass.config_entries.async_unload(config_entry.entry_id)
        await hass.async_block_till_done()


async def run_cycle(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run one cycle to its end, as the schedule would."""
    coordinator: IgAutolikerCoordinator = entry.runtime_data
    await coordinator.async_refresh()
    await hass.async_block_till_done()


def flow_sources(hass: HomeAssistant) -> list[str]:
    """The sources of this integration's config flows in progress (e.g. ["reauth"])."""
    return [
        flow["context"]["source"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    ]
