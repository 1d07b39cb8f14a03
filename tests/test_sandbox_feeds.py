"""The emulator's batched feeds, driven by the real instagrapi `Client`.

feed/reels_media/ (several accounts' stories in one request), feed/timeline/ (posts of
followed accounts among ads, suggestions and the end-of-feed demarcator) and
friendships/{pk}/following/ (the following list, paged), each read back through
instagrapi's own parsing. Shapes and sources: tests/sandbox/SOURCES.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from instagrapi import Client
from instagrapi.exceptions import ClientError
from instagrapi.extractors import extract_media_v1, extract_story_v1

from tests.sandbox import Sandbox, World
from tests.sandbox.testworld import ALICE, PRIVATE_FOLLOWED, PRIVATE_STRANGER, PUBLIC

_SILENT = logging.getLogger("tests.sandbox_feeds.instagrapi")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False


def _pin_ca(session: Any, ca_path: str) -> None:
    """Send the emulator's CA and a timeout with every request (instagrapi: neither).

    The curl transport reads `verify` per request only (the adapter's way too).
    """
    original = session.request

    def request(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("verify") is None:
            kwargs["verify"] = ca_path
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = 5
        return original(*args, **kwargs)

    session.request = request


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Client]:
    """A plain instagrapi Client logged in as alice (CAA flow); log cleared after."""
    cl = Client(delay_range=None, request_timeout=0, logger=_SILENT)
    # The transport is rebuilt by set_retry_config: proxy and CA bundle after it.
    cl.set_retry_config(
        request_timeout=0, session_retry_total=0, private_transport="curl"
    )
    cl.set_proxy(sandbox.proxy_url)
    cl.set_tls_verify(str(sandbox.ca_path))
    for session in (cl.private, cl.public):
        _pin_ca(session, str(sandbox.ca_path))
    cl.private_request_logger = _SILENT
    cl.public_request_logger = _SILENT
    assert cl.login(ALICE.username, ALICE.password)
    sandbox.world.clear_log()
    yield cl
    cl.private.close()
    cl.public.close()


def _pk(world: World, username: str) -> int:
    user = world.user(username)
    assert user is not None
    return user.pk


# ------------------------------------------------------------- reels_media
def _reels_media_post(cl: Client, user_ids: list[int]) -> dict[str, Any]:
    """POST feed/reels_media/ as instagrapi's highlight_info_v1 sends it (signed)."""
    result: dict[str, Any] = cl.private_request(
        "feed/reels_media/",
        {
            "exclude_media_ids": "[]",
            "source": "feed_timeline",
            "_uid": str(cl.user_id),
            "_uuid": cl.uuid,
            "user_ids": [str(pk) for pk in user_ids],
        },
    )
    return result


def test_reels_media_post_batches_the_stories_of_several_accounts(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    public, friend = _pk(world, PUBLIC), _pk(world, PRIVATE_FOLLOWED)
    stranger, quiet = _pk(world, PRIVATE_STRANGER), _pk(world, "quiet_user")

    body = _reels_media_post(client, [public, friend, stranger, quiet])

    # The private stranger (not viewable) and the quiet user (no story) are left out.
    assert [reel["id"] for reel in body["reels_media"]] == [public, friend]
    assert set(body["reels"]) == {str(public), str(friend)}
    reel = body["reels"][str(public)]
    assert reel["user"]["pk"] == public
    assert reel["seen"] == 0
    assert reel["latest_reel_media"] == max(s["taken_at"] for s in reel["items"])
    stories = [extract_story_v1(item) for item in reel["items"]]
    assert [s.media_type for s in stories] == [1, 2]
    assert {s.user.pk for s in stories} == {str(public)}
    expected = [str(m.pk) for m in world.stories_of(public)]
    assert [s.pk for s in stories] == expected

    (record,) = world.requests("feed/reels_media/")
    assert (record.method, record.batch, record.status) == ("POST", 4, 200)


def test_reels_media_get_with_repeated_reel_ids(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    public, friend = _pk(world, PUBLIC), _pk(world, PRIVATE_FOLLOWED)

    body = client.private_request(
        "feed/reels_media/", params={"reel_ids": [str(friend), str(public)]}
    )

    assert [reel["id"] for reel in body["reels_media"]] == [friend, public]
    assert world.requests("feed/reels_media/", "GET")[0].batch == 2


def test_reels_media_refuses_more_than_the_limit(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    targets = world.add_followed_targets(ALICE.username, 21, prefix="bulk", stories=1)
    pks = [user.pk for user in targets]

    with pytest.raises(ClientError) as err:
        _reels_media_post(client, pks)
    assert client.last_json == {"message": "Too many reels requested", "status": "fail"}
    assert "Too many reels requested" in str(err.value)
    assert client.last_response.status_code == 400

    # In batches of the limit (20), every story comes back: two requests for 21.
    limit = world.reels_media_limit
    assert limit == 20
    reels = []
    for start in range(0, len(pks), limit):
        reels += _reels_media_post(client, pks[start : start + limit])["reels_media"]
    assert [reel["id"] for reel in reels] == pks
    assert [r.batch for r in world.requests("feed/reels_media/")] == [21, 20, 1]
    assert [r.status for r in world.requests("feed/reels_media/")] == [400, 200, 200]


def test_reels_media_marks_seen_after_v2_media_seen(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    public = _pk(world, PUBLIC)
    first = extract_story_v1(
        _reels_media_post(client, [public])["reels_media"][0]["items"][0]
    )

    assert client.media_seen([first.id])  # v2/media/seen/ with `<pk>_<owner>`

    reel = _reels_media_post(client, [public])["reels"][str(public)]
    assert reel["seen"] == int(world.clock.now())


# ---------------------------------------------------------------- timeline
def _feed_items(cl: Client) -> tuple[list[dict[str, Any]], int]:
    """Every feed item over all pages (instagrapi's get_timeline_feed), and pages."""
    items: list[dict[str, Any]] = []
    max_id = None
    pages = 0
    while True:
        body = cl.get_timeline_feed(max_id=max_id)
        pages += 1
        assert body["num_results"] == len(body["feed_items"])
        items += body["feed_items"]
        if not body["more_available"]:
            assert body["next_max_id"] is None
            return items, pages
        max_id = body["next_max_id"]


def test_timeline_mixes_followed_posts_ads_and_suggestions(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    world.timeline_page_size = 4
    ad = world.add_timeline_ad(ALICE.username, "brand_shop", position=2)
    world.add_suggested_users(ALICE.username, ("stranger_a", "stranger_b"), position=4)
    suggested = world.add_suggested_post(ALICE.username, "viral_photos")
    suggested_reel = world.add_suggested_post(
        ALICE.username, "viral_clips", kind="reel"
    )
    inline = world.add_suggested_post(ALICE.username, "viral_inline", position=1)

    items, pages = _feed_items(client)

    kinds = [next(iter(item)) for item in items]
    # 6 followed posts (public_star 5, private_friend 1), 5 units, demarcator: 12 items.
    assert kinds == [
        "media_or_ad",
        "explore_story",
        "media_or_ad",  # the ad
        "media_or_ad",
        "suggested_users",
        "media_or_ad",
        "media_or_ad",
        "media_or_ad",
        "media_or_ad",
        "end_of_feed_demarcator",
        "explore_story",
        "explore_story",
    ]
    assert pages == 3
    assert world.count("feed/timeline/", "POST") == 3

    medias = [item["media_or_ad"] for item in items if "media_or_ad" in item]
    ads = [m for m in medias if "injected" in m]
    assert [(m["pk"], m["ad_id"], m["injected"]["label"]) for m in ads] == [
        (ad.pk, ad.ad_id, "Sponsored")
    ]
    assert ads[0]["injected"]["ad_id"] == int(str(ad.ad_id))
    organic = [extract_media_v1(m) for m in medias if "injected" not in m]
    assert [str(m.pk) for m in organic] == [
        str(m.pk) for m in world.organic_timeline(_pk(world, ALICE.username))
    ]
    followed = {_pk(world, PUBLIC), _pk(world, PRIVATE_FOLLOWED)}
    assert {int(m.user.pk) for m in organic} == followed
    assert extract_media_v1(ads[0]).user.username == "brand_shop"

    explore = [item["explore_story"] for item in items if "explore_story" in item]
    assert [e["id"] for e in explore] == [inline.id, suggested.id, suggested_reel.id]
    assert {e["media"]["explore"]["explanation"] for e in explore} == {
        "Suggested for you"
    }
    reel = extract_media_v1(explore[2]["media"])
    assert (reel.product_type, reel.media_type) == ("clips", 2)

    (unit,) = [item["suggested_users"] for item in items if "suggested_users" in item]
    assert [s["user"]["username"] for s in unit["suggestions"]] == [
        "stranger_a",
        "stranger_b",
    ]
    (end,) = [
        item["end_of_feed_demarcator"]
        for item in items
        if "end_of_feed_demarcator" in item
    ]
    assert (end["title"], end["pause"]) == ("You're All Caught Up", True)


def test_timeline_pages_honour_has_liked(sandbox: Sandbox, client: Client) -> None:
    world = sandbox.world
    newest = world.organic_timeline(_pk(world, ALICE.username))[0]
    client.media_like(newest.id)

    body = client.get_timeline_feed()

    first = body["feed_items"][0]["media_or_ad"]
    assert (first["pk"], first["has_liked"]) == (newest.pk, True)
    assert [like.media_pk for like in world.likes] == [newest.pk]
    assert world.likes[0].kind == "photo"
    assert newest.placement == "organic"


def test_an_empty_home_feed_is_only_the_demarcator(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    for username in (PUBLIC, PRIVATE_FOLLOWED):
        world.unfollow(ALICE.username, username)

    body = client.get_timeline_feed()

    assert [list(item) for item in body["feed_items"]] == [["end_of_feed_demarcator"]]
    assert body["more_available"] is False


# --------------------------------------------------------------- following
def test_following_list_pages_newest_follow_first(
    sandbox: Sandbox, client: Client
) -> None:
    world = sandbox.world
    world.following_page_size = 50
    added = world.add_followed_targets(ALICE.username, 120, prefix="bulk", posts=1)
    alice = _pk(world, ALICE.username)

    users = client.user_following_v1(str(alice))

    expected = [u.pk for u in world.following_of(ALICE.username)]
    assert [int(u.pk) for u in users] == expected
    assert len(users) == 122  # 120 added + public_star + private_friend
    assert users[0].username == added[-1].username  # the newest follow comes first
    assert world.count_route("friendships/{id}/following/", "GET") == 3
    assert world.route_counts()["friendships/{id}/following/"] == 3
    queries = [r.query for r in world.requests("friendships/*/following/")]
    assert [q.get("max_id") for q in queries] == [None, "50", "100"]
    assert {q["count"] for q in queries} == {"200"}  # instagrapi's MAX_USER_COUNT


def test_following_page_fields(sandbox: Sandbox, client: Client) -> None:
    world = sandbox.world
    world.add_followed_targets(ALICE.username, 3, prefix="few", stories=1)
    alice = _pk(world, ALICE.username)

    first = client.private_request(
        f"friendships/{alice}/following/", params={"count": 2}
    )
    assert (first["big_list"], first["page_size"], first["next_max_id"]) == (
        True,
        2,
        "2",
    )
    assert first["users"][0]["latest_reel_media"] > 0
    last = client.private_request(
        f"friendships/{alice}/following/", params={"count": 2, "max_id": "4"}
    )
    assert (last["big_list"], last["next_max_id"], len(last["users"])) == (
        False,
        None,
        1,
    )
    found = client.search_following_v1(str(alice), "few_0002")
    assert [u.username for u in found] == ["few_0002"]


def test_following_of_a_private_stranger_is_refused(
    sandbox: Sandbox, client: Client
) -> None:
    stranger = _pk(sandbox.world, PRIVATE_STRANGER)
    with pytest.raises(ClientError):
        client.user_following_v1(str(stranger))
    assert client.last_json["message"] == "Not authorized to view user"
