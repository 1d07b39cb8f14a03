"""The emulator's silent like blocks, seen through the real instagrapi `Client`.

Instagram sometimes answers a like `{"status": "ok"}` and does not keep it, or removes
it soon after (tests/sandbox/SOURCES.md, "Silent like blocks"): the answer looks
like every other, only a later feed tells. These tests like through instagrapi and
read what the feeds then show: `has_liked` on `feed/user/<pk>/` items, and
`has_liked` / `has_privately_liked` on `feed/user/<pk>/story/` items.
"""

from __future__ import annotations

from typing import Any

import pytest
from instagrapi import Client

from tests.sandbox import Fault, Media, Sandbox, World, build_test_world
from tests.sandbox.testworld import ALICE, PUBLIC
from tests.test_sandbox import admin
from tests.timebase import default_test_start

POST_LIKE = "media/*/like/"
STORY_LIKE = "story_interactions/send_story_like"


@pytest.fixture
def client(sandbox: Sandbox) -> Client:
    """A real instagrapi Client, logged in as alice through the emulator's proxy."""
    cl = Client(delay_range=None)
    cl.set_retry_config(
        request_timeout=0, session_retry_total=0, private_transport="curl"
    )
    cl.delay_range = None
    cl.set_proxy(sandbox.proxy_url)
    cl.set_tls_verify(str(sandbox.ca_path))
    for session in (cl.private, cl.public):
        _pin_ca_bundle(session, str(sandbox.ca_path))
    assert cl.login(ALICE.username, ALICE.password)
    sandbox.world.clear_log()
    return cl


def _pin_ca_bundle(session: Any, ca_path: str) -> None:
    """Pass the emulator's CA with every request.

    instagrapi passes no `verify` per request, and its curl transport does not
    take the session's (the integration's api.py pins it the same way).
    """
    original = session.request

    def request(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("verify") is None:
            kwargs["verify"] = ca_path
        kwargs.setdefault("timeout", 5)
        return original(*args, **kwargs)

    session.request = request


def _owner_pk(world: World) -> int:
    owner = world.user(PUBLIC)
    assert owner is not None
    return owner.pk


def _post(world: World, age: float = 60.0) -> Media:
    return world.add_post(PUBLIC, "photo", age=age)


def _story(world: World, age: float = 60.0) -> Media:
    return world.add_story(PUBLIC, age=age)


def _post_liked(client: Client, world: World, media: Media) -> bool:
    """`has_liked` of the post in feed/user/<pk>/, as instagrapi parses it."""
    medias = client.user_medias_v1(_owner_pk(world), amount=50)
    (found,) = [m for m in medias if str(m.pk) == str(media.pk)]
    return bool(found.has_liked)


def _story_flags(client: Client, world: World, media: Media) -> tuple[Any, Any]:
    """(`has_liked`, `has_privately_liked`) of the raw story item.

    instagrapi's parsed `Story` drops both flags, so read the raw
    feed/user/<pk>/story/ answer.
    """
    answer = client.private_request(f"feed/user/{_owner_pk(world)}/story/")
    (item,) = [i for i in answer["reel"]["items"] if str(i["pk"]) == str(media.pk)]
    return item["has_liked"], item["has_privately_liked"]


def _like_story(client: Client, media: Media) -> bool:
    """Seen, then like: the app's two requests (instagrapi 3.1's own `mark_seen`
    path first asks media/<pk>/info/, which the emulator does not serve)."""
    client.media_seen([media.id])
    return bool(client.story_like(media.id, mark_seen=False))


# ------------------------------------------------------------------- drop
def test_silent_drop_answers_ok_and_keeps_no_post_like(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    dropped, kept = _post(world), _post(world, age=120)
    rule = world.faults.add(POST_LIKE, Fault.SILENT_DROP)

    assert client.media_like(dropped.id) is True  # the answer is the usual ok
    assert client.media_like(kept.id) is True  # times=1: the next like is kept

    assert rule.fired == 1
    assert _post_liked(client, world, dropped) is False
    assert _post_liked(client, world, kept) is True
    world.clock.advance(86400)
    assert _post_liked(client, world, dropped) is False  # never comes back
    first, second = world.likes
    assert (first.media_pk, first.dropped, first.silent) == (dropped.pk, True, True)
    assert (second.media_pk, second.silent) == (kept.pk, False)
    assert [r.fault for r in world.requests(POST_LIKE)] == ["silent_drop", None]
    assert [r.status for r in world.requests(POST_LIKE)] == [200, 200]


def test_silent_drop_of_a_story_like(sandbox: Sandbox, client: Client) -> None:
    world = sandbox.world
    dropped, kept = _story(world), _story(world, age=30)
    world.faults.add(STORY_LIKE, Fault.SILENT_DROP)

    assert _like_story(client, dropped) is True
    assert _like_story(client, kept) is True

    assert _story_flags(client, world, dropped) == (False, False)
    assert _story_flags(client, world, kept) == (True, True)
    # story_like marked both seen first (v2/media/seen/): that part is kept.
    assert {s.media_pk for s in world.seen} >= {dropped.pk, kept.pk}


# ------------------------------------------------------------------- undo
@pytest.mark.parametrize("kind", ["post", "story"])
def test_silent_undo_shows_the_like_until_its_delay_has_passed(
    sandbox: Sandbox, client: Client, kind: str
) -> None:
    world = sandbox.world
    media = _post(world) if kind == "post" else _story(world)
    world.faults.add(POST_LIKE if kind == "post" else STORY_LIKE,
                     Fault.SILENT_UNDO, delay=120)  # fmt: skip

    def liked() -> bool:
        if kind == "post":
            return _post_liked(client, world, media)
        has_liked, privately = _story_flags(client, world, media)
        assert has_liked == privately
        return bool(has_liked)

    assert client.media_like(media.id) if kind == "post" else _like_story(client, media)
    (like,) = world.likes
    assert like.undone_at == like.at + 120
    assert liked() is True  # a feed read at once shows it liked
    world.clock.advance(119)
    assert liked() is True
    world.clock.advance(1)
    assert liked() is False  # gone once the delay is over
    world.clock.advance(3600)
    assert liked() is False


# ------------------------------------------------------- sustained block
def test_sustained_silent_block_from_mid_month(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    start = world.clock.now()
    before, during, after = _post(world), _post(world, 90), _post(world, 120)
    block = world.silent_block(ALICE.username, since=start + 15 * 86400)

    assert client.media_like(before.id) is True  # day 0: kept
    world.clock.advance(16 * 86400)  # mid-month: the block has begun
    assert client.media_like(during.id) is True
    fresh_story = _story(world)
    assert _like_story(client, fresh_story) is True

    assert _post_liked(client, world, before) is True  # older likes stay
    assert _post_liked(client, world, during) is False
    assert _story_flags(client, world, fresh_story) == (False, False)

    assert world.end_silent_block(ALICE.username) == 1
    assert world.silent_blocks[0].until == world.clock.now()
    assert world.silent_blocks[0].since == block.since
    assert client.media_like(after.id) is True
    assert _post_liked(client, world, after) is True
    assert _post_liked(client, world, during) is False  # the dropped one stays lost
    assert [like.dropped for like in world.likes] == [False, True, True, False]
    assert all(r.status == 200 for r in world.requests())


def test_silent_block_with_undo_after_and_a_fixed_end(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    first, second = _post(world), _post(world, 90)
    now = world.clock.now()
    world.silent_block(ALICE.username, since=now, until=now + 600, undo_after=60)

    assert client.media_like(first.id) is True
    assert _post_liked(client, world, first) is True
    world.clock.advance(60)
    assert _post_liked(client, world, first) is False
    world.clock.advance(600)  # past `until`
    assert client.media_like(second.id) is True
    world.clock.advance(3600)
    assert _post_liked(client, world, second) is True


# ------------------------------------------------------------- admin API
def test_admin_api_sets_silent_faults_and_blocks(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    media = _post(world)
    rule = admin(
        sandbox,
        "/__sandbox/faults",
        {"endpoint": POST_LIKE, "fault": "silent_undo", "delay": 30},
    )
    assert (rule["fault"], rule["delay"]) == ("silent_undo", 30.0)
    assert client.media_like(media.id) is True
    assert world.likes[0].undone_at == world.likes[0].at + 30

    started = admin(sandbox, "/__sandbox/silent_block", {"username": "alice"})
    assert (started["since"], started["until"]) == (world.clock.now(), None)
    assert admin(
        sandbox, "/__sandbox/silent_block", {"username": "alice", "end": True}
    ) == {"ended": 1}
    state = admin(sandbox, "/__sandbox/state")
    assert state["silent_blocks"][0]["until"] == world.clock.now()
    assert state["likes"][0]["undone_at"] == world.likes[0].undone_at


# ---------------------------------------------------------- world, no server
def test_world_silent_likes_do_not_take_away_a_standing_like() -> None:
    world = build_test_world(start=default_test_start())
    alice = world.user(ALICE.username)
    assert alice is not None
    media = world.add_post(PUBLIC, "photo")
    world.record_like(alice.pk, media, "media/x/like/")
    world.silent_block(ALICE.username)
    world.record_like(alice.pk, media, "media/x/like/")  # dropped: the old one stays
    assert world.has_liked(alice.pk, media.pk)

    other = world.add_post(PUBLIC, "photo")
    world.end_silent_block(ALICE.username)
    world.silent_block(ALICE.username, undo_after=10)
    world.record_like(alice.pk, other, "media/x/like/")
    world.record_unlike(alice.pk, other)  # withdrawn by hand: no undo pending
    world.end_silent_block(ALICE.username)
    world.record_like(alice.pk, other, "media/x/like/")  # a kept like again
    world.clock.advance(60)
    assert world.has_liked(alice.pk, other.pk)  # no stale undo removed it
    assert world.likes[-1].silent is False
