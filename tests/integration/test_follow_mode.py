"""Follow mode against the emulator: what Instagram receives from a follow pass."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.sandbox import World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PUBLIC, QUIET

from .conftest import SAFETY_OFF, FakeClock, run_cycle
from .test_cycle import liked_by_alice


@pytest.fixture
def targets() -> list[str]:
    """No chosen targets: follow mode alone."""
    return []


@pytest.fixture
def entry_options() -> dict[str, object]:
    """Everyone Alice follows, except the private friend (written as a user would)."""
    return {
        **SAFETY_OFF,
        "like_mode": "following",
        "excluded_accounts": [f"@{PRIVATE_FOLLOWED.upper()}"],
    }


async def test_follow_mode_likes_followed_media_and_never_ads_or_suggestions(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    world: World,
    clock: FakeClock,
) -> None:
    await run_cycle(hass, setup_integration)
    assert liked_by_alice(world) == [], "the media there at the start is baseline"
    assert world.count("feed/timeline/", "POST") >= 1

    clock.advance(3600)
    story = world.add_story(PUBLIC)
    post = world.add_post(PUBLIC, "photo")
    excluded = {world.add_story(PRIVATE_FOLLOWED).pk}
    excluded.add(world.add_post(PRIVATE_FOLLOWED, "photo").pk)
    ad = world.add_timeline_ad(ALICE.username, "brand_shop", position=0)
    suggested = world.add_suggested_post(ALICE.username, "viral_photos", position=1)
    reel = world.add_suggested_post(ALICE.username, "viral_clips", kind="reel")
    unfollowed = world.add_post(QUIET, "photo")
    clock.advance(600)

    await run_cycle(hass, setup_integration)

    liked = liked_by_alice(world)
    assert sorted(liked) == sorted([story.pk, post.pk])
    assert not {ad.pk, suggested.pk, reel.pk, unfollowed.pk} & set(liked)
    assert not excluded & set(liked)
    batches = [r.batch for r in world.requests("feed/reels_media/")]
    assert batches == [1], "one batched read, for the account with a new story"
    assert world.count("feed/reels_tray/") >= 2
    assert world.count("feed/user/*/story/") == 0
    assert world.count("feed/user/*/") == 0
