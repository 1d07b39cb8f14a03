"""Silent like blocks against the fake client: likes answered ok that do not stick."""

from __future__ import annotations

import math

from custom_components.ig_autoliker.engine.clock import HOUR
from custom_components.ig_autoliker.engine.events import Blocked
from custom_components.ig_autoliker.engine.models import Target
from custom_components.ig_autoliker.engine.outcomes import MAX_UNCHECKED
from custom_components.ig_autoliker.engine.ratelimit import Limits
from custom_components.ig_autoliker.engine.safety import BlockKind

from .fakes import START, FakeClient, FakeTime, Rig, make_rig, post, story

TARGETS = 12


def many_targets(*, stories: bool = False) -> Rig:
    """Twelve accounts with one post (or story) each, one like per account."""
    time = FakeTime()
    client = FakeClient(time)
    for index in range(TARGETS):
        if stories:
            client.add(f"{index + 10}", f"user{index}", stories=[START - HOUR])
        else:
            client.add(f"{index + 10}", f"user{index}", posts=[START - HOUR])
    targets = [
        Target(f"{index + 10}", f"user{index}", like_stories=stories)
        for index in range(TARGETS)
    ]
    return make_rig(time, client, targets)


def publish(rig: Rig, *, stories: bool = False) -> None:
    """One new post (or story) on every account, an hour after the last cycle."""
    at = rig.time.now
    for pk, account in rig.client.accounts.items():
        feed = account.stories if stories else account.posts
        make = story if stories else post
        feed.append(make(f"{pk}{len(feed):02}{1 if stories else 2}", pk, at))


async def test_a_block_from_one_cycle_to_the_next_costs_at_most_five_likes() -> None:
    rig = many_targets()
    client, engine = rig.client, rig.engine
    assert await engine.async_cycle() is True
    assert len(client.likes()) == TARGETS
    kept = client.liked_on_instagram()

    # Instagram keeps nothing from now on; every account has a new post.
    client.keep_likes = False
    publish(rig)
    before = len(client.likes())
    assert await rig.next_cycle() is True

    wasted = client.likes()[before:]
    assert 3 <= len(wasted) <= 5
    [blocked] = rig.of(Blocked)
    assert blocked.freeze.kind is BlockKind.SILENT
    assert blocked.freeze.until == blocked.freeze.since + 12 * HOUR
    assert set(wasted).isdisjoint(engine.stored.liked_posts)
    assert sum(state.posts_liked for state in engine.stored.targets.values()) == len(
        kept
    )

    # No like while the freeze lasts; afterwards every post is liked, the dropped
    # ones again.
    client.keep_likes = True
    while engine.next_cycle_at < blocked.freeze.until:
        assert await rig.next_cycle() is False  # the gate refuses: frozen
    assert len(client.likes()) == before + len(wasted)
    rig.time.now = blocked.freeze.until + 1
    for _ in range(3):  # the warm-up after a freeze spreads them over cycles
        await rig.next_cycle()
    assert client.liked_on_instagram() == {
        item.pk for account in client.accounts.values() for item in account.posts
    }
    assert len(rig.of(Blocked)) == 1


async def test_checks_cost_one_read_per_three_unseen_likes_and_none_when_quiet() -> (
    None
):
    rig = many_targets()
    client = rig.client
    assert await rig.engine.async_cycle() is True
    polls = TARGETS  # the cycle reads each account's post feed once
    checks = len(client.calls("user_posts")) - polls
    assert 1 <= checks <= math.ceil(TARGETS / MAX_UNCHECKED)

    client.log.clear()
    assert await rig.next_cycle() is True  # nothing new: only the regular reads
    assert len(client.calls("user_posts")) == TARGETS
    assert client.likes() == []


async def test_a_due_check_waits_with_its_like_for_budget_not_ending_the_cycle() -> (
    None
):
    # Six accounts with a post each; a cycle of two hours and room for eight
    # requests an hour: a post feed and a like for three of them (6), the fourth
    # feed (7), then the check read that the fourth like needs first (8) and the
    # like itself (9) no longer fit in the first hour.
    time = FakeTime()
    client = FakeClient(time)
    accounts = 6
    budget = 8
    for index in range(accounts):
        client.add(f"{index + 10}", f"user{index}", posts=[START - HOUR])
    targets = [
        Target(f"{index + 10}", f"user{index}", like_stories=False)
        for index in range(accounts)
    ]
    rig = make_rig(
        time,
        client,
        targets,
        limits=Limits(max_requests_per_hour=budget),
        interval=2 * HOUR,
    )
    assert await rig.engine.async_cycle() is True

    # The fourth like waited, with its check read, until the hour had room for
    # both, and the cycle went on: every post is liked in this one cycle, each by
    # one request; the check read was not skipped and no hour passed the budget.
    owner = {item.pk: pk for pk, acct in client.accounts.items() for item in acct.posts}
    assert client.liked_on_instagram() == owner.keys()
    assert sorted(client.likes()) == sorted(owner)
    likes = client.calls("like_post")
    check = client.log[client.log.index(likes[MAX_UNCHECKED]) - 1]
    assert check.method == "user_posts"
    assert check.arg == owner[likes[MAX_UNCHECKED - 1].arg or ""]  # the newest like
    sent = [call.at for call in client.log]
    assert max(sum(at <= t < at + HOUR for t in sent) for at in sent) <= budget


async def test_story_likes_count_only_once_a_story_feed_showed_one_liked() -> None:
    rig = many_targets(stories=True)
    client, engine = rig.client, rig.engine
    client.keep_likes = False  # from the first like on: the flag is never seen set
    assert await engine.async_cycle() is True
    publish(rig, stories=True)
    assert await rig.next_cycle() is True

    # Every story feed showed our stories unliked, yet nothing is taken for a block:
    # an account whose story feeds never show the flag must not look blocked.
    assert len(client.likes()) == 2 * TARGETS
    assert rig.of(Blocked) == []
    assert engine.stored.like_outcomes.story_flag_seen is False
    # And no reads are spent on story likes that cannot be told: each cycle reads
    # every story feed in one batched request.
    assert client.calls("user_stories") == []
    batches = [call.arg.split(",") for call in client.calls("reels_media")]
    assert [len(batch) for batch in batches] == [TARGETS, TARGETS]


async def test_once_the_story_flag_is_seen_dropped_story_likes_count() -> None:
    rig = many_targets(stories=True)
    client, engine = rig.client, rig.engine
    assert await engine.async_cycle() is True  # kept
    publish(rig, stories=True)
    assert await rig.next_cycle() is True  # the feeds show the first ones liked
    assert engine.stored.like_outcomes.story_flag_seen is True

    client.keep_likes = False
    publish(rig, stories=True)
    before = len(client.likes())
    assert await rig.next_cycle() is True

    wasted = client.likes()[before:]
    assert 3 <= len(wasted) <= 5
    [blocked] = rig.of(Blocked)
    assert blocked.freeze.kind is BlockKind.SILENT
    assert set(wasted).isdisjoint(engine.stored.liked_stories)

    # After the freeze the dropped stories are liked again: the reels tray did not
    # hide their feeds, although no newer story came.
    client.keep_likes = True
    rig.time.now = blocked.freeze.until + 1
    for _ in range(3):  # the warm-up after a freeze spreads them over cycles
        await rig.next_cycle()
    assert set(wasted) <= client.liked_on_instagram()
