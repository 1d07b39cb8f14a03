"""A like whose answer was lost is never sent twice while it may have landed."""

from __future__ import annotations

import pytest
from custom_components.ig_autoliker.engine.clock import HOUR
from custom_components.ig_autoliker.engine.events import Liked, SessionHealth
from custom_components.ig_autoliker.engine.exceptions import CannotConnect
from custom_components.ig_autoliker.engine.media import UNSURE_RECHECK
from custom_components.ig_autoliker.engine.models import Target
from custom_components.ig_autoliker.engine.ratelimit import Action

from .fakes import START, FakeClient, FakeTime, Rig, make_rig


def two_posts(*, landed: bool) -> Rig:
    """anna with two posts; the first like's answer is lost (after landing or not)."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - 2 * HOUR, START - HOUR])
    client.fail("like_post", CannotConnect("read timed out"), landed=landed)
    return make_rig(time, client, [Target("11", "anna", like_stories=False)])


def health(rig: Rig) -> SessionHealth:
    """What "Session health" shows (a call: mypy must not narrow it)."""
    return rig.engine.session.health


async def test_a_lost_answer_is_not_resent_and_a_landed_like_is_recorded_once() -> None:
    rig = two_posts(landed=True)
    client, engine = rig.client, rig.engine

    with pytest.raises(CannotConnect):
        await engine.async_cycle()

    [sent] = client.calls("like_post")
    assert (sent.arg, sent.error) == ("11002", "CannotConnect")
    assert client.log[-1] == sent, "the cycle ends at the lost answer"
    assert engine.stored.unsure_likes == {"11002": sent.at}
    assert "11002" not in engine.stored.liked_posts
    assert not rig.of(Liked)
    assert engine.limiter.count(Action.LIKE) == 1, "Instagram may count it"
    assert health(rig) is SessionHealth.ERROR

    # The next cycle's feed shows the post liked: recorded, not liked again.
    assert await rig.next_cycle() is True

    assert client.likes() == ["11002", "11012"]
    # The post the lost answer left unliked was carried over and liked first;
    # the feed read after it found the lost like landed.
    assert [e.media_pk for e in rig.of(Liked)] == ["11012", "11002"]
    assert set(engine.stored.liked_posts) == {"11002", "11012"}
    assert engine.stored.unsure_likes == {}
    assert engine.stored.targets["11"].posts_liked == 2
    assert engine.limiter.count(Action.LIKE) == 2
    assert health(rig) is SessionHealth.HEALTHY

    assert await rig.next_cycle() is True
    assert client.likes() == ["11002", "11012"]
    assert len(rig.of(Liked)) == 2


async def test_a_like_that_did_not_land_is_sent_again_after_ten_minutes() -> None:
    rig = two_posts(landed=False)
    client, engine, time = rig.client, rig.engine, rig.time

    with pytest.raises(CannotConnect):
        await engine.async_cycle()
    [lost] = client.calls("like_post")

    # "Run cycle now" five minutes later: Instagram may still be acting on it.
    time.now = lost.at + 300
    assert await engine.async_cycle() is True
    assert client.likes() == ["11002", "11012"]
    assert "11002" in engine.stored.unsure_likes

    # Past ten minutes the feed still shows it not liked: it did not land.
    time.now = lost.at + UNSURE_RECHECK + 60
    assert await engine.async_cycle() is True
    assert client.likes() == ["11002", "11012", "11002"]
    assert client.liked_on_instagram() == {"11002", "11012"}
    assert engine.stored.unsure_likes == {}
    assert [e.media_pk for e in rig.of(Liked)] == ["11012", "11002"]
    assert engine.limiter.count(Action.LIKE) == 2, "the lost like was taken back"


async def test_a_story_like_that_did_not_land_is_not_lost_behind_the_tray() -> None:
    """
    A story met again within the ten minutes must be looked at again later.

    With two story targets the reels tray decides which story feeds are read. A
    cycle within ten minutes of the lost answer (the button, or the next cycle
    of a 10 min interval jittered down to 9 min) skips the unsure story, but it
    marks the target's stories handled up to the newest; the tray then shows
    nothing newer, the feed is never read again, and the story, which did not
    land, is never liked.
    """
    time = FakeTime()
    client = FakeClient(time)
    # Anna's story is the closer to its expiry: liked first, its answer lost.
    client.add("11", "anna", stories=[START - 2 * HOUR])
    client.add("22", "ben", stories=[START - HOUR])
    client.fail("like_story", CannotConnect("read timed out"), landed=False)
    targets = [
        Target("11", "anna", like_posts=False),
        Target("22", "ben", like_posts=False),
    ]
    rig = make_rig(time, client, targets)
    engine = rig.engine

    with pytest.raises(CannotConnect):
        await engine.async_cycle()
    [lost] = client.calls("like_story")
    assert lost.arg == "11001"
    time.now = lost.at + 300
    assert await engine.async_cycle() is True
    assert "11001" in engine.stored.unsure_likes

    for _ in range(3):
        assert await rig.next_cycle() is True

    assert client.likes().count("11001") == 2, [(c.method, c.arg) for c in client.log]
    assert client.liked_on_instagram() == {"11001", "22001"}
    assert engine.stored.unsure_likes == {}
