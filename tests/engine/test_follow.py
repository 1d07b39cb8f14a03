"""Follow mode: every followed account's new stories and posts, within the limits."""

from __future__ import annotations

import itertools
from dataclasses import replace

from custom_components.ig_autoliker.engine.clock import DAY, HOUR
from custom_components.ig_autoliker.engine.events import Liked
from custom_components.ig_autoliker.engine.exceptions import RateLimited
from custom_components.ig_autoliker.engine.follow import FollowSettings, LikeMode
from custom_components.ig_autoliker.engine.follow_pass import (
    FOLLOWED_RETENTION,
    REELS_BATCH,
)
from custom_components.ig_autoliker.engine.models import Target
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits
from custom_components.ig_autoliker.engine.state import StoredData

from .fakes import ANY_HOUR, START, FakeClient, FakeTime, make_rig, post, story


def _follow(mode: LikeMode = LikeMode.FOLLOWING, *excluded: str) -> FollowSettings:
    return FollowSettings(mode=mode, excluded=frozenset(excluded))


async def test_follow_mode_likes_new_media_of_followed_accounts_only() -> None:
    """Old media is baselined; new media is liked unless excluded or unfollowed."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", stories=[START - HOUR], posts=[START - DAY])
    client.add("22", "bob", stories=[START - HOUR], posts=[START - DAY])
    client.add("33", "cleo", posts=[START - DAY])
    client.accounts["33"].followed = False
    settings = replace(ANY_HOUR, follow=_follow(LikeMode.FOLLOWING, "bob"))
    rig = make_rig(time, client, [], settings=settings)

    assert await rig.engine.async_cycle() is True
    assert client.likes() == [], "what was there when follow mode began is baseline"
    assert set(rig.engine.stored.followed) == {"11"}, "bob is excluded, cleo unfollowed"

    fresh = START + 10 * 60
    for pk in ("11", "22", "33"):
        client.accounts[pk].stories.append(story(f"{pk}901", pk, fresh))
        client.accounts[pk].posts.append(post(f"{pk}902", pk, fresh))
    assert await rig.next_cycle() is True

    assert sorted(client.likes()) == ["11901", "11902"]
    assert client.liked_on_instagram() == {"11901", "11902"}
    assert {(e.media_pk, e.username) for e in rig.of(Liked)} == {
        ("11901", "anna"),
        ("11902", "anna"),
    }
    batches = [c.arg for c in client.calls("reels_media")]
    assert batches == ["11"], "only accounts with a story newer than the baseline"
    assert not client.calls("user_stories", "user_posts"), "no per-account reads"
    stored = rig.engine.stored
    assert stored.followed["11"][2] == max(c.at for c in client.calls("like_post"))
    assert "11" not in stored.targets, "a followed account has no target row"

    sent = len(client.likes())
    assert await rig.next_cycle() is True
    assert len(client.likes()) == sent, "each item is liked once"
    assert len(client.calls("reels_media")) == 1, "a handled reel is not read again"


async def test_a_newly_followed_account_has_its_old_posts_baselined() -> None:
    """An account first seen later keeps its backlog; what came since is liked."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - DAY])
    rig = make_rig(time, client, [], settings=replace(ANY_HOUR, follow=_follow()))
    assert await rig.engine.async_cycle() is True
    first_pass = rig.engine.stored.follow_pass
    assert first_pass == START

    # Followed now: ten old posts, and one posted after the last read.
    old = [START - n * DAY for n in range(1, 11)]
    client.add("44", "dora", posts=[*old, START + 60])
    assert await rig.next_cycle() is True

    assert client.likes() == ["44102"]
    assert rig.engine.stored.followed["44"][0] == first_pass


async def test_both_mode_leaves_chosen_targets_to_their_own_cycle() -> None:
    """A chosen target is liked once, by its cycle; following-only rests targets."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - DAY])
    client.add("22", "bob", posts=[START - DAY])
    targets = [Target("11", "anna", backlog_posts=0)]
    rig = make_rig(
        time, client, targets, settings=replace(ANY_HOUR, follow=_follow(LikeMode.BOTH))
    )
    assert await rig.engine.async_cycle() is True
    client.accounts["11"].posts.append(post("11902", "11", START + 60))
    client.accounts["22"].posts.append(post("22902", "22", START + 60))
    assert await rig.next_cycle() is True

    assert sorted(client.likes()) == ["11902", "22902"]
    assert "11" not in rig.engine.stored.followed, "the target is not followed twice"

    only = make_rig(time, client, targets, settings=replace(ANY_HOUR, follow=_follow()))
    client.log.clear()
    await only.engine.async_cycle()
    assert not client.calls("user_posts", "user_stories"), "targets rest"


async def test_both_mode_above_the_limits_likes_the_chosen_targets_first() -> None:
    """The hour allows two likes: the named target's two posts, not the others'."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - DAY])
    client.add("22", "bob", posts=[START - DAY])
    targets = [Target("11", "anna", backlog_posts=0)]
    rig = make_rig(
        time,
        client,
        targets,
        limits=Limits(max_likes_per_hour=2, max_likes_per_day=2),
        settings=replace(ANY_HOUR, follow=_follow(LikeMode.BOTH)),
    )
    assert await rig.engine.async_cycle() is True
    for pk in ("22", "11"):  # the followed account published first
        for n in (1, 2):
            client.accounts[pk].posts.append(post(f"{pk}90{n}", pk, START + 60 * n))

    assert await rig.next_cycle() is True

    assert sorted(client.likes()) == ["11901", "11902"]


async def test_follow_mode_stays_within_the_like_limits_stories_first() -> None:
    """More new media than the limits allow: exactly the limit, stories first."""
    time = FakeTime()
    client = FakeClient(time)
    for n in range(30):
        client.add(f"{100 + n}", f"user{n}")
    rig = make_rig(
        time,
        client,
        [],
        limits=Limits(max_likes_per_hour=12, max_likes_per_day=12),
        settings=replace(ANY_HOUR, follow=_follow(), max_likes_per_target_cycle=1),
    )
    assert await rig.engine.async_cycle() is True
    fresh = START + 60
    for pk, account in client.accounts.items():
        account.stories.append(story(f"{pk}901", pk, fresh))
        account.posts.append(post(f"{pk}902", pk, fresh - 30))

    assert await rig.next_cycle() is True

    likes = client.likes()
    assert len(likes) == 12
    assert all(pk.endswith("901") for pk in likes), "stories before they expire"
    assert len({pk[:3] for pk in likes}) == 12, "one like per account and pass"
    assert rig.engine.limiter.count(Action.LIKE) == 12
    batches = [c.arg or "" for c in client.calls("reels_media")]
    assert [len(b.split(",")) for b in batches] == [REELS_BATCH, 30 - REELS_BATCH]


def test_followed_state_survives_a_restart_and_old_stores_load() -> None:
    """The per-account state is stored; a store without it loads empty."""
    stored = StoredData(followed={"11": [1.0, 2.0, 0.0]}, follow_pass=2.0)
    again, lost = StoredData.parse(stored.as_dict())
    assert (again.followed, again.follow_pass, lost) == (stored.followed, 2.0, [])

    old = stored.as_dict()
    del old["followed"], old["follow_pass"]
    before, lost = StoredData.parse(old)
    assert (before.followed, before.follow_pass, lost) == ({}, None, [])

    damaged, lost = StoredData.parse({"followed": {"11": [1.0, "x", 0.0]}})
    assert (damaged.followed, lost) == ({}, ["followed"])


async def test_accounts_not_seen_for_a_month_are_forgotten() -> None:
    """Accounts no longer followed do not pile up in the store."""
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[START - DAY])
    stored = StoredData(followed={"99": [0.0, START - FOLLOWED_RETENTION, 0.0]})
    rig = make_rig(
        time, client, [], stored=stored, settings=replace(ANY_HOUR, follow=_follow())
    )
    assert await rig.engine.async_cycle() is True
    assert set(rig.engine.stored.followed) == {"11"}


def _busiest_hour(stamps: list[float]) -> int:
    """Most of `stamps` in any sliding hour (as the limiter counts)."""
    stamps = sorted(stamps)
    return max(
        sum(start <= t < start + HOUR for t in stamps) for start in stamps or [0.0]
    )


def _fresh_stories(client: FakeClient, at: float) -> None:
    """Give every account of `client` one new story, posted at `at`."""
    for pk, account in client.accounts.items():
        account.stories.append(story(f"{pk}901", pk, at))


async def test_a_follow_pass_waits_for_the_hourly_window_within_its_cycle() -> None:
    """More new stories than an hour allows: liking resumes as the hour frees up.

    Within the one cycle (3 h apart), never more than the hourly limit in any
    sliding hour, each like after its pause, and nothing after the next start.
    """
    time = FakeTime()
    client = FakeClient(time)
    for n in range(40):
        client.add(f"{100 + n}", f"user{n}")
    limits = Limits(max_likes_per_hour=10, max_likes_per_day=500)
    settings = replace(ANY_HOUR, follow=_follow())
    rig = make_rig(
        time, client, [], limits=limits, settings=settings, interval=3 * HOUR
    )
    assert await rig.engine.async_cycle() is True
    _fresh_stories(client, START + 60)
    started = time.now = rig.engine.next_cycle_at
    assert await rig.engine.async_cycle() is True

    sent = [c.at for c in client.calls("like_story")]
    next_start = rig.engine.next_cycle_at
    assert next_start - started > 2.5 * HOUR
    assert len(sent) >= 25, "about 10 an hour for the whole cycle, not 10 in all"
    assert _busiest_hour(sent) == 10, "the hourly limit is never passed"
    assert max(sent) < next_start, "the pass ends before the next cycle starts"
    assert len(client.calls("reels_tray")) == 2, "one read of the feeds per cycle"
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    pause = limits.delay_between_likes * (1 - limits.jitter_percent / 100)
    assert min(gaps) >= pause, "every like keeps its pause"
    assert sum(w > 30 * 60 for w in time.waits) >= 2, "it waited for the window"


async def test_a_follow_pass_waits_no_further_than_the_active_hours() -> None:
    """A wait that would end after the active hours is not started."""
    time = FakeTime()
    client = FakeClient(time)
    for n in range(40):
        client.add(f"{100 + n}", f"user{n}")
    limits = Limits(max_likes_per_hour=10, max_likes_per_day=500)
    settings = replace(
        ANY_HOUR, active_start=8, active_end=23, follow=_follow(LikeMode.FOLLOWING)
    )
    rig = make_rig(
        time, client, [], limits=limits, settings=settings, interval=3 * HOUR
    )
    assert await rig.engine.async_cycle() is True
    evening = START + 9.5 * HOUR  # 21:30 UTC, the active hours end at 23:00
    _fresh_stories(client, evening - 60)
    time.now = evening
    assert await rig.engine.async_cycle() is True

    sent = [c.at for c in client.calls("like_story")]
    night = START + 11 * HOUR
    assert len(sent) == 20, "10 at 21:30, 10 more once the hour frees at 22:30"
    assert max(sent) < night, "nothing is liked after the active hours"
    assert time.now < night, "the cycle does not wait into the night"


async def test_a_follow_pass_stops_waiting_when_instagram_throttles() -> None:
    """A 429 during the pass: no wait for its backoff, no further like."""
    time = FakeTime()
    client = FakeClient(time)
    for n in range(40):
        client.add(f"{100 + n}", f"user{n}")
    limits = Limits(max_likes_per_hour=10, max_likes_per_day=500)
    settings = replace(ANY_HOUR, follow=_follow())
    rig = make_rig(
        time, client, [], limits=limits, settings=settings, interval=3 * HOUR
    )
    assert await rig.engine.async_cycle() is True
    _fresh_stories(client, START + 60)
    time.now = rig.engine.next_cycle_at
    client.fail("like_story", RateLimited("429"))
    assert await rig.engine.async_cycle() is True

    likes = client.calls("like_story")
    assert [c.error for c in likes] == ["RateLimited"], "nothing after the 429"
    assert time.now - likes[0].at < 60, "the pass ended; it did not wait it out"


async def test_follow_mode_keeps_to_the_warm_up_limits() -> None:
    """A new account likes at the warm-up's 25 % in follow mode too."""
    time = FakeTime()
    client = FakeClient(time)
    for n in range(30):
        client.add(f"{100 + n}", f"user{n}")
    settings = replace(ANY_HOUR, warmup_days=7, follow=_follow())
    rig = make_rig(time, client, [], settings=settings, restore=True)
    assert await rig.engine.async_cycle() is True
    _fresh_stories(client, START + 60)
    assert await rig.next_cycle() is True

    warm = rig.engine.policy.effective_limits(rig.engine.limiter.limits)
    assert warm.max_likes_per_hour == 10, "40 an hour at 25 %"
    assert len(client.likes()) == 10, "not the 40 an hour of the options"
