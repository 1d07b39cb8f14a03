"""A hard kill at any moment leaves every like sent on disk, and the limits count it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from custom_components.ig_autoliker.engine.clock import HOUR
from custom_components.ig_autoliker.engine.engine import restore_limits
from custom_components.ig_autoliker.engine.models import Target
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits

from .fakes import ANY_HOUR, LIKES, START, FakeClient, FakeTime, Rig, make_rig

LIMITS = Limits(max_likes_per_hour=4)


def anna_with_three_stories_and_three_posts() -> Rig:
    time = FakeTime()
    client = FakeClient(time)
    client.add(
        "11",
        "anna",
        stories=[START - 3 * HOUR, START - 2 * HOUR, START - HOUR],
        posts=[START - 3 * HOUR, START - 2 * HOUR, START - HOUR],
    )
    return make_rig(time, client, [Target("11", "anna")], limits=LIMITS)


def most_in_an_hour(times: list[float]) -> int:
    """The most of `times` inside any sliding hour (`t` counts until `t + 3600`)."""
    return max(
        (sum(1 for t in times if start <= t < start + HOUR) for start in times),
        default=0,
    )


async def test_the_limits_restored_after_a_kill_count_every_like_sent() -> None:
    """Killed right after Instagram received a like: its answer was never saved."""
    rig = anna_with_three_stories_and_three_posts()

    assert await rig.engine.async_cycle() is True

    likes = rig.client.calls(*LIKES)
    assert len(likes) == 4, "the hourly limit ends the cycle"
    for sent, like in enumerate(likes, start=1):
        stored = rig.on_disk_at(like)
        limiter, _policy = restore_limits(
            stored, LIMITS, ANY_HOUR, clock=rig.time, tz=UTC
        )
        assert limiter.count(Action.LIKE) == sent
        stories = sum(1 for c in likes[:sent] if c.method == "like_story")
        assert limiter.count(Action.STORY_VIEW) >= stories
        assert like.arg in stored.unsure_likes, "on disk as sent, before the answer"


async def test_a_restart_after_the_kill_keeps_every_sliding_hour_within_the_limit() -> (
    None
):
    rig = anna_with_three_stories_and_three_posts()
    assert await rig.engine.async_cycle() is True
    on_disk = rig.on_disk_at(rig.client.calls(*LIKES)[-1])

    again = make_rig(
        rig.time, rig.client, rig.targets, limits=LIMITS, stored=on_disk, restore=True
    )
    assert again.engine.limiter.count(Action.LIKE) == 4
    for _ in range(3):
        assert await again.next_cycle() is True

    likes = rig.client.likes()
    assert sorted(likes) == sorted(set(likes)), "nothing liked twice"
    assert len(likes) == 6
    assert most_in_an_hour([c.at for c in rig.client.calls(*LIKES)]) == 4
    anna = again.engine.stored.targets["11"]
    assert anna.stories_liked + anna.posts_liked == 6
    assert again.engine.stored.unsure_likes == {}


async def test_a_like_that_shows_again_after_a_drop_counts_once_after_a_restart() -> (
    None
):
    """Found dropped, then shown liked again: back in the ledger, still one like."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - HOUR])
    rig = make_rig(time, client, [Target("11", "anna", like_stories=False)])
    client.keep_likes = False  # the like is answered ok and not kept
    assert await rig.engine.async_cycle() is True
    assert await rig.next_cycle() is True
    assert "11002" not in rig.engine.stored.liked_posts, "found dropped"

    [kept] = client.accounts["11"].posts
    client.accounts["11"].posts = [replace(kept, has_liked=True)]
    assert await rig.next_cycle() is True
    assert "11002" in rig.engine.stored.liked_posts, "shows again"

    limiter, _policy = restore_limits(
        rig.engine.state_to_save(), Limits(), ANY_HOUR, clock=rig.time, tz=UTC
    )
    assert client.likes() == ["11002"]
    assert limiter.count(Action.LIKE, window=24 * HOUR) == 1
