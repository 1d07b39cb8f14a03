"""A cycle likes what is new once, within the hourly like limit."""

from __future__ import annotations

from custom_components.ig_autoliker.engine.clock import HOUR
from custom_components.ig_autoliker.engine.events import Liked, Progress
from custom_components.ig_autoliker.engine.models import MediaKind, Target
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits

from .fakes import START, FakeClient, FakeTime, make_rig


async def test_a_cycle_likes_each_new_story_and_post_once() -> None:
    """Every story and post of the enabled targets liked once; none of the other's."""
    time = FakeTime()
    client = FakeClient(time)
    # Two story targets: the tray shows the followed one; the other is looked up.
    client.add("11", "anna", stories=[START - 3 * HOUR, START - HOUR], posts=[START])
    client.add("22", "ben", stories=[START - 2 * HOUR], posts=[START - 50 * HOUR])
    client.add("33", "cleo", stories=[START - HOUR], posts=[START - HOUR])
    client.accounts["22"].followed = False
    targets = [
        Target("11", "anna"),
        Target("22", "ben"),
        Target("33", "cleo", enabled=False),
    ]
    rig = make_rig(time, client, targets)
    expected = {"11001", "11011", "11002", "22001", "22002"}

    assert await rig.engine.async_cycle() is True

    assert sorted(client.likes()) == sorted(expected)
    assert client.liked_on_instagram() == expected
    assert not [c for c in client.log if c.error is not None]
    assert not [c for c in client.log if c.arg in {"33", "33001", "33002"}]
    assert [c.method for c in client.calls("reels_tray", "in_tray_when_live")] == [
        "reels_tray",
        "in_tray_when_live",
    ]
    liked = rig.of(Liked)
    assert sorted(event.media_pk for event in liked) == sorted(expected)
    assert {(e.media_pk, e.kind, e.username) for e in liked} >= {
        ("11001", MediaKind.STORY, "anna"),
        ("22002", MediaKind.PHOTO, "ben"),
    }
    stored = rig.engine.stored
    assert set(stored.liked_stories) == {"11001", "11011", "22001"}
    assert set(stored.liked_posts) == {"11002", "22002"}
    anna = stored.targets["11"]
    assert (anna.stories_liked, anna.posts_liked) == (2, 1)
    assert "33" not in stored.targets
    assert rig.engine.limiter.count(Action.LIKE) == len(expected)
    assert Progress("11") in rig.events
    assert Progress("22") in rig.events
    assert stored.session == client.session
    assert stored.last_cycle == time.now

    ledger = (dict(stored.liked_stories), dict(stored.liked_posts))
    sent = len(client.log)
    assert await rig.next_cycle() is True

    reads = {call.method for call in client.log[sent:]}
    assert "user_posts" in reads, "the second cycle looks at the feeds again"
    assert reads <= {"reels_tray", "user_stories", "user_posts"}
    assert len(client.likes()) == len(expected)
    assert len(rig.of(Liked)) == len(expected)
    assert (stored.liked_stories, stored.liked_posts) == ledger


async def test_the_hourly_like_limit_is_never_passed() -> None:
    """A cycle longer than an hour waits for the window; no hour has more likes."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - n * HOUR for n in range(12)])
    limits = Limits(max_likes_per_hour=3)
    rig = make_rig(
        time, client, [Target("11", "anna")], limits=limits, interval=3 * HOUR
    )

    for _ in range(3):
        await rig.next_cycle()

    likes = client.calls("like_post")
    stamps = [call.at for call in likes]
    assert len(stamps) > 3, "the cycles went on liking once the hour had passed"
    for index, at in enumerate(stamps):
        in_hour = [t for t in stamps[: index + 1] if t > at - HOUR]
        assert len(in_hour) <= 3, f"like {index} at +{at - START:.0f} s: {in_hour}"
    assert len({call.arg for call in likes}) == len(likes), "a post liked twice"
    assert len(rig.of(Liked)) == len(likes)
